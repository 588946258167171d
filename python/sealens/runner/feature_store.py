"""The frozen encoder's patch tokens and SEA labels of every image, on disk, read a few rows at a time.

A run's memory must not grow with its dataset (LLaVA-size features are ≈ 3.7 MB per image), so the features
are written once, batch by batch, to one raw little-endian file per array (`features.bin`, `label_idx.bin`,
`label_scores.bin`; row k = the k-th usable image) and training reads the rows of each batch with `pread`
(read, not memory-mapped: mapped pages a run has touched would count in its memory). `meta.json` says what
the files hold and how far the writing got: it is replaced atomically after the data it describes is on disk,
so an interrupted encoding resumes where it stopped, and a folder whose fingerprint (dataset, pack, models)
differs is rewritten, never trusted. `items.bin` maps each row to the image's index in the scanned dataset
(skipped images have no row); `skipped.txt` lists the skipped images with why.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from .atomic import write_text_atomic

FORMAT_VERSION = 1
COMMIT_SECONDS = 2.0   # how often the writer makes its progress durable (fsync + meta.json)


class RowView:
    """One array of the store, indexed like a tensor by row indices: `view[idx]` -> torch tensor [len, ...]."""

    def __init__(self, path: Path, dtype: str, row_shape: Sequence[int], rows: int):
        self.path, self.dtype, self.row_shape = path, np.dtype(dtype), tuple(int(x) for x in row_shape)
        self.row_bytes = int(np.prod(self.row_shape, dtype=np.int64)) * self.dtype.itemsize
        self.shape = (rows, *self.row_shape)
        self._fd: Optional[int] = None

    def __len__(self) -> int:
        return self.shape[0]

    def _rows(self, idx) -> np.ndarray:
        if isinstance(idx, slice):
            return np.arange(self.shape[0])[idx]
        if torch.is_tensor(idx):
            idx = idx.cpu().numpy()
        a = np.asarray(idx, dtype=np.int64).reshape(-1)
        if a.size and (a.min() < -self.shape[0] or a.max() >= self.shape[0]):
            raise IndexError(f"{self.path}: row index out of range for {self.shape[0]} rows")
        return np.where(a < 0, a + self.shape[0], a)

    def __getitem__(self, idx) -> torch.Tensor:
        rows = self._rows(idx)
        out = np.empty((rows.size, *self.row_shape), self.dtype)
        buf = out.reshape(rows.size, -1).view(np.uint8).reshape(rows.size, self.row_bytes) if rows.size else None
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        for k, r in enumerate(rows.tolist()):
            got = os.preadv(self._fd, [buf[k]], r * self.row_bytes)
            if got != self.row_bytes:
                raise OSError(f"{self.path}: row {r} is cut short ({got} of {self.row_bytes} bytes); "
                              f"delete the run's cache folder to encode again")
        return torch.from_numpy(out)

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class FeatureStore:
    """A finished store: `array(name)` views, `items` (scanned index of each row), `skipped` (first ones)."""

    def __init__(self, folder: Path, meta: dict):
        self.folder, self.meta = folder, meta
        self.rows = int(meta["rows"])
        self.items = np.fromfile(folder / "items.bin", dtype="<i8", count=self.rows)
        self.views = {name: RowView(folder / f"{name}.bin", a["dtype"], a["shape"], self.rows)
                      for name, a in meta["arrays"].items()}

    def array(self, name: str) -> Optional[RowView]:
        return self.views.get(name)

    def skipped(self, limit: int = 100) -> List[str]:
        f = self.folder / "skipped.txt"
        if not f.is_file():
            return []
        with open(f, encoding="utf-8", errors="replace") as fh:
            return [line.rstrip("\n") for _, line in zip(range(limit), fh)]

    @property
    def skipped_count(self) -> int:
        return int(self.meta.get("skippedCount", 0))

    def close(self):
        for v in self.views.values():
            v.close()


def _read_meta(folder: Path) -> Optional[dict]:
    try:
        m = json.loads((folder / "meta.json").read_text())
        return m if isinstance(m, dict) and m.get("formatVersion") == FORMAT_VERSION else None
    except (OSError, ValueError):
        return None


def open_finished(folder: Path, fingerprint: str) -> Optional[FeatureStore]:
    m = _read_meta(folder)
    if m and m.get("fingerprint") == fingerprint and m.get("done"):
        try:
            return FeatureStore(folder, m)
        except (OSError, KeyError, TypeError, ValueError):
            return None   # a damaged store is encoded again, never trusted
    return None


class StoreWriter:
    """Appends encoded batches; resumes an unfinished store of the same fingerprint (the files are cut back
    to what meta.json vouches for, so a crash mid-batch loses at most the batches since the last commit)."""

    def __init__(self, folder: Path, fingerprint: str, n_items: int):
        self.folder, self.fingerprint, self.n_items = folder, fingerprint, n_items
        m = _read_meta(folder)
        if m and m.get("fingerprint") == fingerprint and not m.get("done") and m.get("items") == n_items:
            self.meta = m
            for name, a in m["arrays"].items():
                rb = int(np.prod(a["shape"], dtype=np.int64)) * np.dtype(a["dtype"]).itemsize
                os.truncate(folder / f"{name}.bin", int(m["rows"]) * rb)
            os.truncate(folder / "items.bin", int(m["rows"]) * 8)
            self._trim_skipped(int(m.get("skippedCount", 0)))
        else:
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            self.meta = {"formatVersion": FORMAT_VERSION, "fingerprint": fingerprint, "items": n_items,
                         "processed": 0, "rows": 0, "skippedCount": 0, "done": False, "arrays": {}}
        self._files: Dict[str, object] = {}
        self._last_commit = time.monotonic()

    @property
    def processed(self) -> int:
        """Scanned images dealt with so far (encoded or skipped): where encoding goes on."""
        return int(self.meta["processed"])

    def _trim_skipped(self, keep: int):
        f = self.folder / "skipped.txt"
        if f.is_file():
            with open(f, encoding="utf-8", errors="replace") as fh:
                lines = [line for _, line in zip(range(keep), fh)]
            f.write_text("".join(lines), encoding="utf-8")

    def _file(self, name: str):
        fh = self._files.get(name)
        if fh is None:
            fh = self._files[name] = open(self.folder / name, "ab")
        return fh

    def append(self, arrays: Dict[str, np.ndarray], item_index: Sequence[int], processed: int, skipped: Sequence[str]):
        """`arrays`: name -> [k, ...] for the k usable images `item_index` (scanned indices) of the batch;
        `processed`: scanned images dealt with after this batch; `skipped`: why the others were skipped."""
        for name, a in arrays.items():
            spec = {"dtype": a.dtype.str, "shape": list(a.shape[1:])}
            known = self.meta["arrays"].setdefault(name, spec)
            if known != spec:
                raise ValueError(f"{name}: the encoder gave {spec} after {known}; the pack changed during encoding")
            self._file(f"{name}.bin").write(np.ascontiguousarray(a).tobytes())
        self._file("items.bin").write(np.asarray(item_index, dtype="<i8").tobytes())
        if skipped:
            self._file("skipped.txt").write("".join(s.replace("\n", " ") + "\n" for s in skipped).encode("utf-8"))
        self.meta["rows"] += len(item_index)
        self.meta["processed"] = int(processed)
        self.meta["skippedCount"] += len(skipped)
        if time.monotonic() - self._last_commit >= COMMIT_SECONDS:
            self.commit()

    def commit(self, done: bool = False):
        for fh in self._files.values():
            fh.flush()
            os.fsync(fh.fileno())
        self.meta["done"] = done
        write_text_atomic(self.folder / "meta.json", json.dumps(self.meta))
        self._last_commit = time.monotonic()

    def finish(self) -> FeatureStore:
        self.commit(done=True)
        self.close()
        return FeatureStore(self.folder, self.meta)

    def close(self):
        for fh in self._files.values():
            fh.close()
        self._files.clear()
