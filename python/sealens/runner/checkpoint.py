"""Crash-safe checkpoints: tensors in safetensors, optimizer scalars / RNG state / data position in JSON,
never pickle.

A checkpoint is a folder `checkpoints/step-000123/`. It is written under a temporary name, every file is
fsync'ed, then the folder is renamed into place and its parent fsync'ed, so a SIGKILL (or a full disk)
at any moment leaves either the complete new checkpoint or none of it; `meta.json` carries a SHA-256 of
every file and is written last, so a folder that does not verify is ignored and the previous one is used.
"""
from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np
import torch

from ..safetensors_io import SafetensorsError, load_file, save_file
from .atomic import DiskFullError, fsync_dir, is_disk_full, replace_atomically

__all__ = ["DiskFullError", "save", "latest", "verify", "load_tensors", "write_json_atomic"]

PREFIX = "step-"
KEEP = 2


def _fsync_file(p: Path) -> None:
    fd = os.open(p, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_fsync_dir = fsync_dir


def _sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def finite_json(obj):
    """NaN/±Inf (a diverged loss, NaN weights) become null: JSON has no NaN, and the extension's reader
    rejects the token; the numbers' absence is what a reader can show."""
    if isinstance(obj, float):
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_json(v) for v in obj]
    return obj


def write_json_atomic(path: Path, obj) -> None:
    """temp file + fsync + rename: readers never see half a file (atomic.replace_atomically)."""
    replace_atomically(path, lambda tmp: tmp.write_text(json.dumps(finite_json(obj), indent=1, allow_nan=False)))


def rng_state() -> dict:
    return {"torch": base64.b64encode(torch.get_rng_state().numpy().tobytes()).decode("ascii")}


def set_rng_state(s: dict) -> None:
    if "torch" in s:
        torch.set_rng_state(torch.from_numpy(np.frombuffer(base64.b64decode(s["torch"]), dtype=np.uint8).copy()))


def optimizer_tensors(opt: torch.optim.Optimizer) -> Tuple[Dict[str, np.ndarray], dict]:
    """AdamW state as flat tensors + JSON scalars (param index keyed, matching opt.state_dict())."""
    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for pid, st in sd["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v) and v.dim() > 0:
                tensors[f"optim.{pid}.{k}"] = v.detach().cpu().numpy()
            else:
                scalars[f"{pid}.{k}"] = float(v)
    return tensors, {"scalars": scalars, "param_groups": sd["param_groups"]}


def load_optimizer(opt: torch.optim.Optimizer, tensors: Dict[str, np.ndarray], meta: dict) -> None:
    state: Dict[int, dict] = {}
    for key, v in tensors.items():
        if key.startswith("optim."):
            _, pid, k = key.split(".", 2)
            state.setdefault(int(pid), {})[k] = torch.from_numpy(v.copy())
    for key, v in meta["scalars"].items():
        pid, k = key.split(".", 1)
        state.setdefault(int(pid), {})[k] = torch.tensor(v)
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def save(ckpt_dir: Path, step: int, model_tensors: Dict[str, np.ndarray], opt: torch.optim.Optimizer,
         extra: dict) -> Path:
    """Write checkpoint `step`; on ENOSPC remove the partial folder and raise DiskFullError (earlier
    checkpoints are untouched)."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    final = ckpt_dir / f"{PREFIX}{step:06d}"
    tmp = ckpt_dir / f".tmp-{PREFIX}{step:06d}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        o_tensors, o_meta = optimizer_tensors(opt)
        save_file({**{f"model.{k}": v for k, v in model_tensors.items()}, **o_tensors}, str(tmp / "tensors.safetensors"))
        _fsync_file(tmp / "tensors.safetensors")
        state = {"step": step, "optimizer": o_meta, "rng": rng_state(), **extra}
        (tmp / "state.json").write_text(json.dumps(state))
        _fsync_file(tmp / "state.json")
        meta = {"step": step, "sha256": {f: _sha256(tmp / f) for f in ("tensors.safetensors", "state.json")}}
        (tmp / "meta.json").write_text(json.dumps(meta))
        _fsync_file(tmp / "meta.json")
        _fsync_dir(tmp)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        _fsync_dir(ckpt_dir)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if is_disk_full(e):
            prev = latest(ckpt_dir)
            raise DiskFullError(errno.ENOSPC, f"disk full while writing checkpoint {final}; "
                                f"previous checkpoint {'%s intact' % prev[0] if prev else 'none'}") from None
        raise
    for old in sorted(p for p in ckpt_dir.iterdir() if p.name.startswith(PREFIX))[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def verify(folder: Path) -> Optional[dict]:
    """The checkpoint's state if every file matches meta.json, else None."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
        for f, h in meta["sha256"].items():
            if _sha256(folder / f) != h:
                return None
        return json.loads((folder / "state.json").read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def latest(ckpt_dir: Path) -> Optional[Tuple[Path, dict]]:
    """Newest checkpoint that verifies; leftover temp folders of a killed write are removed."""
    if not ckpt_dir.is_dir():
        return None
    for p in ckpt_dir.iterdir():
        if p.name.startswith(".tmp-"):
            shutil.rmtree(p, ignore_errors=True)
    for p in sorted((p for p in ckpt_dir.iterdir() if p.name.startswith(PREFIX)), reverse=True):
        st = verify(p)
        if st is not None:
            return p, st
    return None


def load_tensors(folder: Path) -> Dict[str, np.ndarray]:
    try:
        return load_file(str(folder / "tensors.safetensors"))
    except SafetensorsError as e:
        raise ValueError(f"{folder}: checkpoint tensors unreadable ({e})") from None
