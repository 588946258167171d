"""Trainers: mini-CLIP, mini-LM, adapters (baseline: L_g; sea: L_g + λ·L_a).

Each trainer takes a config dataclass and a progress callback `progress(dict)` (the build prints them as
JSON lines); every loop is step-based and seeded, so a run is deterministic for (seed, device).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from . import sea
from .models import Adapter, MiniCLIP, MiniLM

Progress = Callable[[dict], None]
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)


def to_pixels(imgs_u8: np.ndarray, device) -> torch.Tensor:
    x = (imgs_u8.astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).to(device)


def cosine_lr(step: int, total: int, base: float, warmup_frac: float = 0.03) -> float:
    w = max(1, int(round(total * warmup_frac)))
    if step < w:
        return base * (step + 1) / w
    p = (step - w) / max(1, total - w)
    return base * 0.5 * (1 + math.cos(math.pi * p))


def _emit(progress: Optional[Progress], **kw):
    if progress:
        progress(kw)


# ------------------------------------------------------------------------------------ mini-CLIP
@dataclass
class ClipTrainConfig:
    steps: int = 500
    batch: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.05
    seed: int = 0
    log_every: int = 20
    closeups: int = 0   # close-up image–caption pairs added to the scenes (set by the build; part of the cache key)
    # loss weights: global CLIP loss on the patch-pooled embedding, FILIP token-wise loss, patch-level MIL-NCE,
    # and the patch-level word-tag loss (dense_tag_loss; 0 = off)
    global_weight: float = 1.0
    filip_weight: float = 1.0
    milnce_weight: float = 1.0
    tag_weight: float = 0.0
    tag_scale: float = 10.0   # fixed logit scale of dense_tag_loss (cosine 0 stays the decision boundary)
    tag_pool: str = "lme"     # pooling of a present word over the patches: lme, max, topK, lme+topK
    # words of the labelling list that no caption contains (the frequency list's distractors) are negatives
    # for every image; each step uses this many of them at random (0 = all), which bounds the text-encoder cost
    tag_negatives: int = 96


def filip_logits(patch: torch.Tensor, tokens: torch.Tensor, tok_w: torch.Tensor):
    """Token-wise (FILIP-style) image–text similarity: image->text = mean over patches of the best
    caption content token; text->image = weighted mean over content tokens of the best patch."""
    p = F.normalize(patch, dim=-1)                     # [B, P, E]
    t = F.normalize(tokens, dim=-1)                    # [B, T, E]
    sim = torch.einsum("ipe,jte->ijpt", p, t)          # [B, B, P, T]
    w = (tok_w > 0.01).float()                         # content tokens only
    sim_masked = sim + (w[None, :, None, :] - 1) * 1e4
    i2t = sim_masked.max(-1).values.mean(-1)           # [B, B]
    t2i = (sim.max(-2).values * w[None]).sum(-1) / w.sum(-1).clamp_min(1)[None]
    return i2t, t2i, sim_masked


def dense_milnce(sim_masked: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Patch-level multiple-instance NCE: each patch of image i should match SOME content token of its
    own caption better than the content tokens of the other captions of the batch (no patch labels)."""
    B = sim_masked.shape[0]
    s = scale * sim_masked.permute(0, 2, 1, 3)         # [B(img), P, B(txt), T]
    allv = s.reshape(B, s.shape[1], -1).logsumexp(-1)  # [B, P]
    own = s[torch.arange(B), :, torch.arange(B)].logsumexp(-1)  # [B, P]
    return (allv - own).mean()


def dense_tag_loss(patch: torch.Tensor, words: torch.Tensor, tags: torch.Tensor, scale: float,
                   pool: str = "lme") -> torch.Tensor:
    """Patch-level word tags from the captions alone (weakly supervised, multiple-instance): for each word of
    the labeling list, `tags[i, w]` = 1 when the word occurs in image i's caption. A word absent from the
    caption may describe NO patch of the image, so every patch is pushed to cosine < 0 for it; a word present
    must describe SOME patch, so the smooth maximum over patches is pushed above 0. The logistic loss has no
    bias term, so cosine 0 is the decision boundary, the same as the threshold of the labelling step (method
    §3.1 step 3): after training, a patch scores > 0 only on words it shows. patch [B,P,E], words [W,E],
    tags [B,W] in {0, 1}. `pool` says how "some patch" is measured: `lme` (log-mean-exp), `max`, `topK`
    (the K best patches each above 0), or `lme+topK` (both terms; docs/demo-pack.md compares them)."""
    logit = scale * torch.einsum("bpe,we->bpw", F.normalize(patch, dim=-1), F.normalize(words, dim=-1))
    neg = (1.0 - tags)[:, None, :].expand_as(logit)
    l_neg = (F.softplus(logit) * neg).sum() / neg.sum().clamp_min(1.0)
    per_word = torch.zeros_like(tags)
    for part in pool.split("+"):
        if part == "lme":
            pooled = torch.logsumexp(logit, dim=1) - math.log(logit.shape[1])    # smooth max over the patches
            per_word = per_word + F.softplus(-pooled)
        elif part == "max":
            per_word = per_word + F.softplus(-logit.max(dim=1).values)
        elif part.startswith("top") and part[3:].isdigit() and int(part[3:]) >= 1:
            k = min(int(part[3:]), logit.shape[1])
            per_word = per_word + F.softplus(-logit.topk(k, dim=1).values).mean(1)
        else:
            raise ValueError(f"dense_tag_loss: unknown pooling {part!r} in {pool!r} (lme, max, topK, lme+topK)")
    l_pos = (per_word * tags).sum() / tags.sum().clamp_min(1.0)
    return l_neg + l_pos


def caption_tags(captions: Sequence[str], words: Sequence[str]) -> np.ndarray:
    """[N, W] float32: 1 where word w occurs in caption n (whole-word match)."""
    import re
    pos = {w: j for j, w in enumerate(words)}
    out = np.zeros((len(captions), len(words)), np.float32)
    for n, c in enumerate(captions):
        for t in re.findall(r"[a-z]+", c.lower()):
            if t in pos:
                out[n, pos[t]] = 1.0
    return out


def train_clip(model: MiniCLIP, imgs: np.ndarray, ids: np.ndarray, mask: np.ndarray, cfg: ClipTrainConfig,
               device, progress: Optional[Progress] = None, tags: Optional[np.ndarray] = None,
               word_prompts: Optional[tuple] = None):
    """tags [N, W] / word_prompts (ids, mask) of the W labeling words: needed when cfg.tag_weight > 0."""
    if cfg.tag_weight > 0 and (tags is None or word_prompts is None):
        raise ValueError("train_clip: tag_weight > 0 needs tags and word_prompts")
    g = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    t0 = time.time()
    n = imgs.shape[0]
    if tags is not None:
        seen_cols = np.flatnonzero(tags.any(0))            # words some caption contains: in every step
        unseen_cols = np.flatnonzero(~tags.any(0))         # never in a caption: a random subset per step
    for step in range(cfg.steps):
        for pg in opt.param_groups:
            pg["lr"] = cosine_lr(step, cfg.steps, cfg.lr)
        sel = torch.randint(n, (cfg.batch,), generator=g).numpy()
        x = to_pixels(imgs[sel], device)
        if bool(torch.rand(1, generator=g) < 0.5):   # horizontal flip keeps captions true
            x = x.flip(-1)
        _, img_emb, patch = model.vision(x)
        txt, tokens, w = model.text(torch.from_numpy(ids[sel]).to(device), torch.from_numpy(mask[sel]).to(device))
        scale = model.logit_scale.clamp(max=math.log(100)).exp()
        tgt = torch.arange(cfg.batch, device=device)
        gl = scale * F.normalize(img_emb, dim=-1) @ F.normalize(txt, dim=-1).t()
        i2t, t2i, simm = filip_logits(patch, tokens, w)
        loss = cfg.global_weight * 0.5 * (F.cross_entropy(gl, tgt) + F.cross_entropy(gl.t(), tgt)) \
            + cfg.filip_weight * 0.5 * (F.cross_entropy(scale * i2t, tgt) + F.cross_entropy(scale * t2i.t(), tgt))
        if cfg.milnce_weight > 0:
            loss = loss + cfg.milnce_weight * dense_milnce(simm, scale)
        if cfg.tag_weight > 0:
            cols = seen_cols
            if 0 < cfg.tag_negatives < len(unseen_cols):
                pick = torch.randperm(len(unseen_cols), generator=g)[:cfg.tag_negatives].numpy()
                cols = np.concatenate([seen_cols, unseen_cols[np.sort(pick)]])
            elif len(unseen_cols):
                cols = np.concatenate([seen_cols, unseen_cols])
            ct = torch.from_numpy(cols).to(device)
            wt = model.text(word_prompts[0][ct], word_prompts[1][ct])[0]
            tg = torch.from_numpy(tags[sel][:, cols]).to(device)
            loss = loss + cfg.tag_weight * dense_tag_loss(patch, wt, tg, cfg.tag_scale, cfg.tag_pool)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % cfg.log_every == 0 or step == cfg.steps - 1:
            _emit(progress, phase="clip", step=step + 1, total=cfg.steps, loss=round(float(loss), 4),
                  elapsed_s=round(time.time() - t0, 1))
    model.eval()


# ------------------------------------------------------------------------------------ mini-LM
@dataclass
class LMTrainConfig:
    steps: int = 800
    batch: int = 32
    lr: float = 2e-3
    weight_decay: float = 0.01
    seed: int = 0
    log_every: int = 50


def train_lm(lm: MiniLM, seqs: List[List[int]], cfg: LMTrainConfig, device, pad_id: int,
             progress: Optional[Progress] = None):
    g = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.AdamW(lm.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    lm.train()
    t0 = time.time()
    for step in range(cfg.steps):
        for pg in opt.param_groups:
            pg["lr"] = cosine_lr(step, cfg.steps, cfg.lr)
        sel = torch.randint(len(seqs), (cfg.batch,), generator=g).tolist()
        L = min(lm.c.max_len, max(len(seqs[i]) for i in sel))
        ids = torch.full((cfg.batch, L), pad_id, dtype=torch.long)
        for r, i in enumerate(sel):
            s = seqs[i][:L]
            ids[r, :len(s)] = torch.tensor(s)
        ids = ids.to(device)
        logits = lm(lm.embed_tokens(ids))
        tgt = ids[:, 1:].clone()
        tgt[tgt == pad_id] = -100
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % cfg.log_every == 0 or step == cfg.steps - 1:
            _emit(progress, phase="lm", step=step + 1, total=cfg.steps, loss=round(float(loss), 4),
                  elapsed_s=round(time.time() - t0, 1))
    lm.eval()
    for p in lm.parameters():
        p.requires_grad_(False)


# ------------------------------------------------------------------------------------ adapters
@dataclass
class AdapterTrainConfig:
    name: str = "sea"
    steps: int = 600
    batch: int = 32
    lr: float = 1e-3          # LLaVA-1.5 pretraining: AdamW, cosine, 3 % warm-up, wd 0
    weight_decay: float = 0.0
    lam: float = 1.0          # λ of Eq. 12 (0 for the baseline)
    window: int = 2
    seed: int = 0
    log_every: int = 20


def caption_batch(cap_ids: Sequence[Sequence[int]], eos: int, pad: int, device):
    L = max(len(c) for c in cap_ids) + 1
    ids = torch.full((len(cap_ids), L), pad, dtype=torch.long)
    for r, c in enumerate(cap_ids):
        ids[r, :len(c)] = torch.tensor(list(c))
        ids[r, len(c)] = eos
    return ids.to(device)


def caption_loss(lm: MiniLM, vis: torch.Tensor, ids: torch.Tensor, bos: int, pad: int, reduction="mean"):
    """L_g: prompt = <s> + visual tokens + caption + </s>; next-token loss on caption and </s>."""
    B, P, _ = vis.shape
    emb = lm.embed_tokens
    bos_e = emb(torch.full((B, 1), bos, dtype=torch.long, device=vis.device))
    x = torch.cat([bos_e, vis, emb(ids)], dim=1)
    logits = lm(x, first=P)[:, :-1]               # positions predicting caption tokens
    tgt = ids.clone()
    tgt[tgt == pad] = -100
    l = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100, reduction="none")
    l = l.view(B, -1)
    if reduction == "none":
        return l, (tgt != -100)
    return l.sum() / (tgt != -100).sum()


def train_adapter(adapter: Adapter, lm: MiniLM, feats: np.ndarray, cap_ids: List[List[int]],
                  label_idx: Optional[torch.Tensor], label_scores: Optional[torch.Tensor],
                  label_embeds: Optional[torch.Tensor], grid: int, cfg: AdapterTrainConfig, device,
                  bos: int, eos: int, pad: int, progress: Optional[Progress] = None,
                  truth: Optional[list] = None, words: Optional[Sequence[str]] = None) -> dict:
    """`truth`/`words` (the training scenes' patch truth and the labelling list) are read for REPORTING only:
    the share of the (patch, label) pairs entering L_a that are right, per epoch; training never uses them."""
    g = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    scale = sea.LogitScale().to(device)
    params = list(adapter.parameters()) + (list(scale.parameters()) if cfg.lam > 0 else [])
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    adapter.train()
    t0 = time.time()
    n = feats.shape[0]
    hist = {}
    steps_per_epoch = max(1, n // cfg.batch)
    pair_log, ep = [], {"pairs": 0, "right": 0, "steps": 0}
    for step in range(cfg.steps):
        for pg in opt.param_groups:
            pg["lr"] = cosine_lr(step, cfg.steps, cfg.lr)
        sel = torch.randint(n, (cfg.batch,), generator=g)
        x = torch.from_numpy(feats[sel.numpy()].astype(np.float32)).to(device)
        vis = adapter(x)
        ids = caption_batch([cap_ids[i] for i in sel.tolist()], eos, pad, device)
        lg = caption_loss(lm, vis, ids, bos, pad)
        loss = lg
        la = torch.zeros(())
        n_pairs = 0
        if cfg.lam > 0:
            bi, pi, wi = sea.sea_pairs(label_idx[sel], label_scores[sel], grid, grid, g, cfg.window)
            n_pairs = int(bi.numel())
            if truth is not None and words is not None:
                ids_ = sel.tolist()
                ep["right"] += sum(words[int(w)] in truth[ids_[int(b)]][int(p)] for b, p, w in zip(bi, pi, wi))
                ep["pairs"] += n_pairs
                ep["steps"] += 1
                if ep["steps"] == steps_per_epoch or step == cfg.steps - 1:
                    pair_log.append({"epoch": len(pair_log) + 1, "pairsPerStep": ep["pairs"] / ep["steps"],
                                     "pairsCorrect": ep["right"] / max(1, ep["pairs"])})
                    _emit(progress, phase=f"adapter:{cfg.name}", **pair_log[-1])
                    ep = {"pairs": 0, "right": 0, "steps": 0}
            if n_pairs >= 2:
                la = sea.symmetric_infonce(vis[bi.to(device), pi.to(device)], label_embeds[wi.to(device)], scale())
                loss = lg + cfg.lam * la
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % cfg.log_every == 0 or step == cfg.steps - 1:
            hist = dict(phase=f"adapter:{cfg.name}", step=step + 1, total=cfg.steps, loss=round(float(loss), 4),
                        caption_loss=round(float(lg), 4), align_loss=round(float(la), 4), pairs=n_pairs,
                        logit_scale=round(float(scale()), 3), elapsed_s=round(time.time() - t0, 1))
            _emit(progress, **hist)
    adapter.eval()
    return {"logit_scale_final": float(scale()), "lambda": cfg.lam, "pairsByEpoch": pair_log}
