"""Frozen-encoder features and SEA labels (method §3.1), computed once per run and cached on disk in
safetensors (atomic write), so resumed runs and every DDP rank read identical inputs."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Dict

import numpy as np
import torch

from .. import sea
from ..safetensors_io import load_file_with_metadata, save_file
from .atomic import replace_atomically
from .dataset import Dataset
from .sources import Sources


def fingerprint(ds: Dataset, pack_dir: Path, extra: str = "") -> str:
    h = hashlib.sha256()
    h.update((Path(pack_dir) / "manifest.json").read_bytes())
    h.update(extra.encode())   # the Hugging Face models in use, when any (hf_sources.model_identity)
    for it in ds.items:
        st = it.path.stat()
        h.update(f"{it.path}|{st.st_size}|{st.st_mtime_ns}|{it.caption}".encode())
    return h.hexdigest()


@torch.no_grad()
def compute(src: Sources, ds: Dataset, device, batch: int = 32) -> Dict[str, np.ndarray]:
    feats, idx, sc = [], [], []
    for i in range(0, len(ds.items), batch):
        x = torch.from_numpy(ds.pixels[i:i + batch]).to(device)
        out = src.vision(**{src.vision_input: x})
        feats.append(out[src.vision_output][:, src.prefix_tokens:].float().cpu())
        if src.word_embeds is not None and src.patch_output:
            li, ls = sea.topn_labels(out[src.patch_output].float().cpu(), src.word_embeds, src.top_n,
                                     src.threshold, sign=src.sign)
            idx.append(li)
            sc.append(ls)
    res = {"features": torch.cat(feats).numpy()}
    if idx:
        res["label_idx"] = torch.cat(idx).numpy().astype(np.int64)
        res["label_scores"] = torch.cat(sc).numpy().astype(np.float32)
    return res


def cached(cache_dir: Path, src: Sources, ds: Dataset, pack_dir: Path, device, extra: str = "") -> Dict[str, np.ndarray]:
    cache_dir.mkdir(parents=True, exist_ok=True)
    f = cache_dir / "features.safetensors"
    fp = fingerprint(ds, pack_dir, extra)
    if f.is_file():
        try:
            t, meta = load_file_with_metadata(str(f))
            if meta and meta.get("fingerprint") == fp:
                return t
        except ValueError:
            pass  # a damaged cache is recomputed, never trusted
    t = compute(src, ds, device)
    meta = {"fingerprint": fp, "images": json.dumps([str(i.path) for i in ds.items])}
    replace_atomically(f, lambda tmp: save_file(t, str(tmp), meta))   # a full disk leaves no half cache
    return t
