"""After training: export the adapter (LLaVA keys in safetensors + ONNX), write a run-local pack overlay
that holds the trained adapter next to the pack's own adapters, and evaluate before/after.

Registration decision: the pack the run used is never modified (it may be the demo pack inside the
installed extension). `<run>/pack/` is a complete pack: every file of the base pack hard-linked (copied
where links are impossible) plus adapters/<outputName>.{safetensors,onnx}, and a manifest listing the
new adapter first (default) followed by the base pack's adapters, so "Compare Adapters" can show
before and after side by side. Paths stay inside the overlay folder, as the pack format requires.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

from .. import evaluate
from .onnx_export import export_onnx as _onnx
from ..models import Adapter
from ..safetensors_io import save_file
from .atomic import replace_atomically
from .checkpoint import write_json_atomic
from .validation import per_class_accuracy


def export_adapter(adapter: Adapter, out_dir: Path, n_patches: int, meta: dict) -> Dict[str, str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    st, ox = out_dir / "adapter.safetensors", out_dir / "adapter.onnx"
    replace_atomically(st, lambda tmp: save_file(adapter.llava_state(), str(tmp),
                                                 {"format": "pt", **{k: str(v) for k, v in meta.items()}}))
    d_in = adapter.net[0].in_features
    dev = next(adapter.parameters()).device   # _onnx moves the module to the CPU
    replace_atomically(ox, lambda tmp: _onnx(
        adapter.net, (torch.zeros(1, n_patches, d_in),), tmp, ["image_features"], ["visual_tokens"],
        {"image_features": {0: "batch", 1: "patches"}, "visual_tokens": {0: "batch", 1: "patches"}}))
    adapter.to(dev)
    return {"safetensors": str(st), "onnx": str(ox)}


def _link_tree(src: Path, dst: Path) -> None:
    for root, dirs, files in os.walk(src):
        rel = Path(root).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for f in files:
            s, d = Path(root) / f, dst / rel / f
            if s.is_symlink():
                continue   # never follow links out of the pack
            try:
                os.link(s, d)
            except OSError:
                shutil.copy2(s, d)


def write_overlay(base_pack: Path, run_dir: Path, name: str, exported: Dict[str, str], description: str,
                  evaluation: dict) -> Path:
    manifest = json.loads((base_pack / "manifest.json").read_text())
    existing = {a["name"] for a in manifest["adapters"]}
    final_name = name if name not in existing else f"{name}-trained"
    out = run_dir / "pack"
    tmp = Path(tempfile.mkdtemp(prefix=".pack.tmp-", dir=run_dir))
    try:
        _link_tree(base_pack, tmp)
        (tmp / "manifest.json").unlink()
        (tmp / "adapters").mkdir(exist_ok=True)
        shutil.copy2(exported["safetensors"], tmp / "adapters" / f"{final_name}.safetensors")
        shutil.copy2(exported["onnx"], tmp / "adapters" / f"{final_name}.onnx")
        manifest["name"] = f"{manifest['name']}+{final_name}"
        manifest["adapters"] = [{"name": final_name, "description": description,
                                 "safetensors": f"adapters/{final_name}.safetensors",
                                 "onnx": f"adapters/{final_name}.onnx"}] + manifest["adapters"]
        manifest["defaultAdapter"] = final_name
        manifest.setdefault("evaluation", {})
        manifest["evaluation"] = {**(manifest["evaluation"] if isinstance(manifest["evaluation"], dict) else {}),
                                  "training": evaluation}
        write_json_atomic(tmp / "manifest.json", manifest)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


@torch.no_grad()
def metrics(vis: torch.Tensor, label_idx, label_scores, label_emb, truth: List[Optional[list]],
            cap_ids: List[Optional[List[int]]], embed: torch.Tensor, tok, words: List[str]) -> dict:
    """vis [N, P, H]. Patch-word accuracy (overall, per true word, per kind) where truth exists, CLIP-label
    agreement, gap D (Eq. 5) and TACS (App. D, K = 10) — the same definitions as sealens.evaluate."""
    N, P, H = vis.shape
    out: dict = {"images": N}
    names, cand = evaluate.candidates(tok, embed, words)
    with_truth = [i for i, t in enumerate(truth) if t is not None and len(t) == P]
    if with_truth:
        capt = [cap_ids[i] or [] for i in with_truth]
        m = evaluate.token_metrics(vis[with_truth], names, cand, [truth[i] for i in with_truth], capt, embed)
        out.update(patchWordAccuracy=m["patch_word_accuracy"], top5Accuracy=m["top5_accuracy"],
                   imagesWithTruth=len(with_truth))
        out.update(per_class_accuracy(vis[with_truth], names, cand, [truth[i] for i in with_truth]))
    out["modalityGap"] = float(torch.cdist(vis.reshape(-1, H), cand).min(-1).values.mean())
    tacs = []
    for b in range(N):
        if cap_ids[b]:
            ce = F.normalize(embed[list(cap_ids[b])], dim=-1)
            best = (F.normalize(vis[b], dim=-1) @ ce.t()).max(-1).values
            tacs.append(float(best.topk(min(10, P)).values.mean()))
    out["tacs"] = float(np.mean(tacs)) if tacs else None
    if label_idx is not None:
        near = (F.normalize(vis, dim=-1) @ F.normalize(label_emb, dim=-1).t()).argmax(-1)
        ok = label_scores[..., 0] > 0
        out["labelAgreement"] = float(((near == label_idx[..., 0]) & ok).sum()) / max(1, int(ok.sum()))
    return out
