"""Minimal safetensors reader/writer (format: u64-LE header length, JSON header, raw LE data)."""
from __future__ import annotations

import json
import os
import struct
from typing import Dict, Optional

import numpy as np

_DT = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32,
       "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_DT_REV = {np.dtype(v).str: k for k, v in _DT.items()}
MAX_HEADER = 100 * 1024 * 1024


class SafetensorsError(ValueError):
    pass


def save_file(tensors: Dict[str, np.ndarray], path: str, metadata: Optional[Dict[str, str]] = None) -> None:
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        a = np.array(tensors[name], order="C", copy=False)
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        key = np.dtype(a.dtype).str.replace(">", "<").replace("=", "<").replace("|", "|")
        dt = _DT_REV.get(key) or _DT_REV.get(np.dtype(a.dtype).newbyteorder("<").str)
        if dt is None:
            raise SafetensorsError(f"unsupported dtype {a.dtype} for {name}")
        b = a.tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for b in blobs:
                f.write(b)
        os.replace(tmp, path)
    except BaseException:  # a full disk must not leave half a file behind
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class _DuplicateKey(Exception):
    pass


def _no_duplicate_keys(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def load_file(path: str) -> Dict[str, np.ndarray]:
    tensors, _ = load_file_with_metadata(path)
    return tensors


def load_file_with_metadata(path: str):
    name = os.fspath(path)
    try:
        with open(name, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise SafetensorsError(f"{name}: file not found") from None
    if len(data) < 8:
        raise SafetensorsError(f"{name}: too short to be a safetensors file ({len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER or 8 + n > len(data):
        raise SafetensorsError(f"{name}: header length {n} exceeds file size {len(data)}")
    try:
        text = data[8:8 + n].decode("utf-8")
    except UnicodeDecodeError as e:
        raise SafetensorsError(f"{name}: header is not valid UTF-8 ({e}); re-export the file") from None
    try:
        # json keeps the last of two equal keys; the engine refuses such a file, and so does the trainer.
        header = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as e:
        raise SafetensorsError(f"{name}: header is not valid JSON ({e})") from None
    except _DuplicateKey as e:
        raise SafetensorsError(f"{name}: tensor {e.args[0]!r} appears twice in the header; the file is damaged, re-export it") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{name}: header is not a JSON object")
    meta = header.pop("__metadata__", None)
    body = data[8 + n:]
    out = {}
    for key, info in header.items():
        try:
            # bf16 (what most LLaVA checkpoints ship) has no numpy dtype: read the raw 16 bits and widen
            # to float32 below, exactly (bf16 is the top half of a float32), as the engine does.
            dt = np.uint16 if info["dtype"] == "BF16" else _DT[info["dtype"]]
            shape = [int(s) for s in info["shape"]]
            a, b = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise SafetensorsError(f"{name}: tensor {key!r} has an invalid header entry {info!r}") from None
        count = int(np.prod(shape)) if shape else 1
        if not (0 <= a <= b <= len(body)) or b - a != count * np.dtype(dt).itemsize or any(s < 0 for s in shape):
            raise SafetensorsError(f"{name}: tensor {key!r} data_offsets {[a, b]} do not match dtype/shape "
                                   f"{info['dtype']}{shape} or the file size")
        arr = np.frombuffer(body, dtype=np.dtype(dt).newbyteorder("<"), count=count, offset=a).reshape(shape)
        out[key] = (arr.astype(np.uint32) << 16).view(np.float32) if info["dtype"] == "BF16" else arr.copy()
    return out, meta
