"""Evaluation: candidate words (same definition as the TypeScript engine), patch-word accuracy, top-5,
CLIP label precision, caption loss, modality gap D (Eq. 5), TACS (App. D, K = 10)."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .tokenizers import SPACE, SPECIALS, BPETokenizer

_ALPHA = re.compile(r"[A-Za-z]+")


STOPWORDS_FILE = Path(__file__).resolve().parents[2] / "src" / "shared" / "stopwords.json"


def view_stopwords() -> frozenset:
    """The words the default view hides (the engine reads the same file): the demo metric leaves them out of
    the candidates, so it counts what a user sees."""
    return frozenset(json.loads(STOPWORDS_FILE.read_text(encoding="utf-8"))["words"])


def candidates(tok: BPETokenizer, embed: torch.Tensor, word_list: Sequence[str], hide: frozenset = frozenset()):
    """Every vocabulary token that decodes to a whole alphabetic word (▁-prefixed, not special, not byte,
    not punctuation) ∪ every word of the labeling word list (multi-token word = mean of its sub-token rows,
    Eq. 10). Duplicates by surface form keep the word-list entry. Returns (surfaces, matrix [C, H])."""
    surf: Dict[str, torch.Tensor] = {}
    for w in word_list:
        surf[w] = embed[tok.word_pieces(w)].mean(0)
    for t, i in tok.vocab.items():
        if t in SPECIALS or not t.startswith(SPACE):
            continue
        s = t[len(SPACE):]
        if _ALPHA.fullmatch(s) and s not in surf and s.lower() not in hide:
            surf[s] = embed[i]
    names = list(surf)
    return names, torch.stack([surf[n] for n in names])


def label_precision(idx: torch.Tensor, scores: torch.Tensor, words: Sequence[str], truth: List[List[List[str]]]):
    """Expected precision of the sampled SEA label (P(sampled word ∈ truth)), top-1 precision, coverage, plus
    the top-1 precision on background / object patches and the mean number of positive scores kept."""
    exp_p, top1, covered, total, n_pos = 0.0, 0, 0, 0, 0
    kind = {"background": [0, 0], "object": [0, 0]}
    # per kind of word: P(sampled label = the true material | colour | shape), over ALL patches of that kind
    # (an unlabelled patch counts 0), and how often the true shape scores > 0 at all
    by_word = {"material": [0.0, 0], "colour": [0.0, 0], "shape": [0.0, 0], "shapePositive": [0.0, 0]}
    for b in range(idx.shape[0]):
        for p in range(idx.shape[1]):
            total += 1
            s = scores[b, p]
            t = truth[b][p]
            tot = float(s.sum())
            got = {words[int(i)]: float(v) / tot for i, v in zip(idx[b, p], s)} if tot > 0 else {}
            if len(t) == 1:
                by_word["material"][0] += got.get(t[0], 0.0); by_word["material"][1] += 1
            else:
                by_word["colour"][0] += got.get(t[0], 0.0); by_word["colour"][1] += 1
                by_word["shape"][0] += got.get(t[-1], 0.0); by_word["shape"][1] += 1
                by_word["shapePositive"][0] += float(got.get(t[-1], 0.0) > 0); by_word["shapePositive"][1] += 1
            if tot <= 0:
                continue
            covered += 1
            n_pos += int((s > 0).sum())
            ok = torch.tensor([words[int(i)] in truth[b][p] for i in idx[b, p]], dtype=torch.float32)
            exp_p += float((s * ok).sum() / s.sum())
            top1 += int(ok[0])
            k = kind["background" if len(truth[b][p]) == 1 else "object"]
            k[0] += int(ok[0])
            k[1] += 1
    c = max(1, covered)
    return {"expected": exp_p / c, "top1": top1 / c, "coverage": covered / max(1, total),
            "top1Background": kind["background"][0] / max(1, kind["background"][1]),
            "top1Object": kind["object"][0] / max(1, kind["object"][1]), "meanPositive": n_pos / c,
            "sampledMaterialBackground": by_word["material"][0] / max(1, by_word["material"][1]),
            "sampledColourObject": by_word["colour"][0] / max(1, by_word["colour"][1]),
            "sampledShapeObject": by_word["shape"][0] / max(1, by_word["shape"][1]),
            "shapePositiveObject": by_word["shapePositive"][0] / max(1, by_word["shapePositive"][1])}


@torch.no_grad()
def token_metrics(vis: torch.Tensor, names: Sequence[str], cand: torch.Tensor, truth, cap_token_ids, embed,
                  k_tacs: int = 10) -> dict:
    """vis [N, P, H] adapter outputs; truth [N][P] word lists; cap_token_ids: caption ids (no BOS)."""
    N, P, H = vis.shape
    v = vis.reshape(-1, H)
    cn = F.normalize(cand, dim=-1)
    cos = F.normalize(v, dim=-1) @ cn.t()
    top5 = cos.topk(5, dim=-1).indices.view(N, P, 5)
    acc = acc5 = 0
    kind = {"background": [0, 0], "object": [0, 0]}   # a background patch has one true word, an object patch two
    for b in range(N):
        for p in range(P):
            tw = truth[b][p]
            pred = [names[int(i)] for i in top5[b, p]]
            acc += pred[0] in tw
            acc5 += any(x in tw for x in pred)
            k = kind["background" if len(tw) == 1 else "object"]
            k[0] += pred[0] in tw
            k[1] += 1
    gap = torch.cdist(v, cand).min(-1).values.mean()          # Eq. 5
    tacs = []
    for b in range(N):
        ce = F.normalize(embed[list(cap_token_ids[b])], dim=-1)
        best = (F.normalize(vis[b], dim=-1) @ ce.t()).max(-1).values
        tacs.append(best.topk(min(k_tacs, P)).values.mean())
    return {"patch_word_accuracy": acc / (N * P), "top5_accuracy": acc5 / (N * P),
            "patch_word_accuracy_background": kind["background"][0] / max(1, kind["background"][1]),
            "patch_word_accuracy_object": kind["object"][0] / max(1, kind["object"][1]),
            "object_patch_share": kind["object"][1] / max(1, N * P),
            "modality_gap": float(gap), "tacs": float(torch.stack(tacs).mean())}


def decode_examples(vis: torch.Tensor, names, cand, n: int = 8):
    cos = F.normalize(vis.reshape(-1, vis.shape[-1]), dim=-1) @ F.normalize(cand, dim=-1).t()
    return [names[int(i)] for i in cos.argmax(-1)[:n]]
