"""What the before/after evaluation adds to the token metrics of finish.metrics: the validation caption
loss (SEA's trade-off: alignment may cost captioning) and accuracy per true word where the dataset carries
per-patch truth (the demo world's NAME.truth.json sidecars), plus the split of the validation set and the
images a run has trained on (its throughput in images/s)."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F

from ..train import caption_batch, caption_loss

# Classes kept in the per-class table (the most frequent true words): enough for every word of the demo
# world (materials, colours, shapes), bounded for open-vocabulary truth.
MAX_CLASSES = 64


@torch.no_grad()
def validation_caption_loss(lm, vis: torch.Tensor, cap_ids: Sequence[Optional[List[int]]], bos: int, eos: int,
                            pad: int, device, batch: int = 32) -> Optional[dict]:
    """Mean next-token loss per caption token (and </s>) of the images that have a caption, the same
    per-token L_g the training steps report; None without a decoder or captions. vis [N, P, H] on any device."""
    idx = [i for i, c in enumerate(cap_ids) if c]
    if lm is None or not idx:
        return None
    total, tokens = 0.0, 0
    for s in range(0, len(idx), batch):
        part = idx[s:s + batch]
        ids = caption_batch([cap_ids[i] for i in part], eos, pad, device)
        loss, valid = caption_loss(lm, vis[part].to(device).float(), ids, bos, pad, reduction="none")
        total += float((loss * valid).sum())
        tokens += int(valid.sum())
    return {"captionLoss": total / max(1, tokens), "imagesWithCaption": len(idx)}


@torch.no_grad()
def per_class_accuracy(vis: torch.Tensor, names: Sequence[str], cand: torch.Tensor, truth: Sequence[Sequence[Sequence[str]]],
                       chunk: int = 4096) -> dict:
    """Top-1 accuracy per true word ("class"): of the patches whose truth holds the word, the share whose
    nearest candidate word is one of their true words. Also by kind, as the demo world defines it (a
    background patch has one true word, an object patch two), and the mean over classes, which a frequent
    class (87 % of the demo patches are background) cannot dominate. vis [N, P, H]; truth [N][P] word lists."""
    N, P, H = vis.shape
    cn = F.normalize(cand.float(), dim=-1)
    flat = F.normalize(vis.reshape(-1, H).float(), dim=-1)
    top = torch.cat([(flat[s:s + chunk] @ cn.t()).argmax(-1) for s in range(0, flat.shape[0], chunk)])
    counts: Dict[str, List[int]] = {}
    kinds = {"background": [0, 0], "object": [0, 0]}
    for b in range(N):
        for p in range(P):
            tw = truth[b][p]
            ok = int(names[int(top[b * P + p])] in tw)
            for w in set(tw):
                c = counts.setdefault(w, [0, 0])
                c[0] += ok
                c[1] += 1
            k = kinds["background" if len(tw) == 1 else "object"]
            k[0] += ok
            k[1] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][1], kv[0]))
    per_class = {w: {"patches": n, "accuracy": ok / n} for w, (ok, n) in ranked[:MAX_CLASSES]}
    return {
        "perClass": per_class,
        "classBalancedAccuracy": sum(ok / n for ok, n in counts.values()) / max(1, len(counts)),
        "perKind": {k: {"patches": n, "accuracy": ok / n} for k, (ok, n) in kinds.items() if n},
    }


def images_through(step: int, n_train: int, batch: int, per_epoch: int) -> int:
    """Images the loop has trained on after `step` steps: whole epochs plus the batches of the current one
    (an epoch's last batch may be short, so step × batch would over-count). Exact after a resume too."""
    epoch, k = divmod(step, per_epoch)
    return epoch * n_train + min(k * batch, n_train)


def validation_split(n: int, wanted: int) -> int:
    """Validation images out of n: as many as asked, but never more than half the dataset (a default of
    256 must not leave a 12-image dataset with 2 to train on) and always ≥ 2 images to train."""
    return max(0, min(wanted, n - 2, n // 2))
