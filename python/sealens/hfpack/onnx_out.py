"""ONNX export of a tower or projector for a pack: the TorchScript exporter (one graph shape on torch 2.x,
see runner/onnx_export.py), checked, and written with its weights in an external-data file when the graph
is over protobuf's 2 GB limit (LLaVA's ViT-L towers in fp32 are close to it)."""
from __future__ import annotations

import os
from pathlib import Path

from ..runner.onnx_export import OPSET, torch_export  # noqa: F401  (OPSET: one opset for every export)
INLINE_LIMIT = 1_800_000_000   # bytes; protobuf's hard limit is 2 GiB


def export(module, args, path: Path, inputs, outputs, axes) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".export")
    tmp.mkdir(exist_ok=True)
    raw = tmp / path.name
    torch_export(module, args, str(raw), inputs, outputs, axes)   # to a file: torch writes external data > 2 GB
    import onnx
    written = list(tmp.iterdir())
    if written == [raw] and raw.stat().st_size <= INLINE_LIMIT:
        # one self-contained file: check it by path and move it, without loading a second copy of the weights
        # into this process (the tower is still in memory; a reload would hold the weights three times)
        onnx.checker.check_model(str(raw))
        os.replace(raw, path)
        tmp.rmdir()
        return
    m = onnx.load_model(str(raw), load_external_data=True)
    big = sum(t.ByteSize() for t in m.graph.initializer) > INLINE_LIMIT
    if big:
        onnx.save_model(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=path.name + ".data", size_threshold=1024)
        onnx.checker.check_model(str(path))
    else:
        onnx.checker.check_model(m)
        onnx.save_model(m, str(path))
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    os.sync() if hasattr(os, "sync") else None
