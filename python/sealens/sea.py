"""Supervised Embedding Alignment — each function cites the method page (docs SEA-METHOD.md, arXiv 2408.11813).

Open points decided here (documented in docs/demo-pack.md):
* window edge handling: a grid not divisible by k is tiled from the top-left; the last row/column of
  windows is *partial* (smaller) and still contributes exactly one patch per step — no patch is ever
  unreachable and none is double-counted.
* de-dup keeps the first occurrence after a seeded random permutation of the batch's sampled pairs.
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# §3.1 step 2–3: score every (patch, word) pair by (signed) cosine, keep top-n, drop scores < threshold
def topn_labels(patch_feats: torch.Tensor, word_feats: torch.Tensor, n: int = 10, threshold: float = 0.0,
                sign: int = 1) -> Tuple[torch.Tensor, torch.Tensor]:
    """patch_feats [..., P, E], word_feats [Q, E] -> (indices [..., P, n], scores [..., P, n]); scores below
    the threshold are set to 0 (they can never be sampled)."""
    p = F.normalize(patch_feats.float(), dim=-1)
    w = F.normalize(word_feats.float(), dim=-1)
    s = sign * torch.matmul(p, w.t())
    n = min(n, w.shape[0])
    scores, idx = s.topk(n, dim=-1)
    scores = torch.where(scores >= threshold, scores, torch.zeros_like(scores))
    if threshold < 0:  # make scores usable as sampling weights
        scores = scores - threshold
    return idx, scores


# §3.1 step 4: sample ONE label per patch with probability S_i / sum S_i (linear, not softmax)
def sample_labels(idx: torch.Tensor, scores: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """idx/scores [N, n] -> word index per row, -1 where no score is positive."""
    tot = scores.sum(-1)
    valid = tot > 0
    out = torch.full((idx.shape[0],), -1, dtype=torch.long)
    if valid.any():
        probs = scores[valid] / tot[valid, None]
        pick = torch.multinomial(probs, 1, generator=gen).squeeze(-1)
        out[valid] = idx[valid].gather(1, pick[:, None]).squeeze(-1)
    return out


# §3.1 step 5: in each k x k window only one patch takes part per step
def window_sample(rows: int, cols: int, k: int, gen: torch.Generator) -> torch.Tensor:
    """Returns flat (row-major) patch indices, one per window; partial windows at the right/bottom edge
    of a non-divisible grid are their own (smaller) windows."""
    out = []
    for r0 in range(0, rows, k):
        for c0 in range(0, cols, k):
            h, w = min(k, rows - r0), min(k, cols - c0)
            j = int(torch.randint(h * w, (1,), generator=gen))
            out.append((r0 + j // w) * cols + (c0 + j % w))
    return torch.tensor(out, dtype=torch.long)


# §3.1 step 6: batch de-duplication — each label at most once per contrastive batch
def dedup(labels: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """labels [N] (-1 = none) -> positions to keep (one per distinct label, chosen at random)."""
    perm = torch.randperm(labels.shape[0], generator=gen)
    seen, keep = set(), []
    for p in perm.tolist():
        l = int(labels[p])
        if l < 0 or l in seen:
            continue
        seen.add(l)
        keep.append(p)
    return torch.tensor(sorted(keep), dtype=torch.long)


# Eq. 10: label embedding = mean of the label's sub-token rows of the frozen LLM input-embedding table
def subtoken_mean(embed: torch.Tensor, pieces: Sequence[Sequence[int]]) -> torch.Tensor:
    return torch.stack([embed[list(p)].mean(0) for p in pieces])


class LogitScale(nn.Module):
    """Learnable logit scale (CLIP parametrisation): init 1/0.07, exp() clamped at 100."""

    def __init__(self, init: float = 1 / 0.07, max_scale: float = 100.0):
        super().__init__()
        self.log_scale = nn.Parameter(torch.tensor(math.log(init)))
        self.max_log = math.log(max_scale)

    def forward(self):
        return self.log_scale.clamp(max=self.max_log).exp()


# Eq. 11: symmetric InfoNCE between L2-normalised adapter outputs x_i and label embeddings t_i
def symmetric_infonce(x: torch.Tensor, t: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    x = F.normalize(x, dim=-1)
    t = F.normalize(t, dim=-1)
    logits = scale * x @ t.t()
    target = torch.arange(x.shape[0], device=x.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))


def sea_pairs(label_idx: torch.Tensor, label_scores: torch.Tensor, rows: int, cols: int, gen: torch.Generator,
              k: int = 2) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For a batch: label_idx/scores [B, P, n] -> (image index, patch index, word index) of the pairs
    that enter L_a after window sampling, score-proportional sampling and de-dup."""
    B = label_idx.shape[0]
    bi, pi = [], []
    for b in range(B):
        p = window_sample(rows, cols, k, gen)
        bi.append(torch.full_like(p, b))
        pi.append(p)
    bi, pi = torch.cat(bi), torch.cat(pi)
    words = sample_labels(label_idx[bi, pi], label_scores[bi, pi], gen)
    keep = dedup(words, gen)
    if keep.numel() == 0:
        e = torch.zeros(0, dtype=torch.long)
        return e, e, e
    return bi[keep], pi[keep], words[keep]
