"""ONNX export for the runner (trained adapter, tiny test packs) on torch 1.13 and 2.x alike.

torch ≥ 2.9 switched `torch.onnx.export` to the torch.export-based exporter, which needs the separate
`onnxscript` package and writes graphs the TorchScript exporter did not; asking for the TorchScript
exporter (`dynamo=False`, where the parameter exists) keeps one code path and one graph shape for every
supported torch. The graph is checked and must hold its weights inline (a pack file is self-contained).
"""
from __future__ import annotations

import inspect
import io
import warnings
from pathlib import Path

import torch

OPSET = 17


def torch_export(model, args, target, inputs, outputs, axes, *, with_weights: bool = True) -> None:
    """The one call of the exporter (TorchScript graph, opset 17, constants folded) that every ONNX file of
    SEA Lens comes from: the demo pack, the trainer's adapters, and `pack init`'s towers (hfpack.onnx_out).

    with_weights=False writes the graph alone: every parameter and buffer stays a graph input named by its
    state_dict key, so the exporter never copies a weight (a fp32 ViT-L would otherwise be held three or four
    times: folded constants, the ModelProto, its serialised bytes). Constant folding is off then, as it would
    compute new weights under new names; onnxruntime folds the same subgraphs when it loads the session.
    hfpack.onnx_out writes the weights itself, tensor by tensor, into the external-data file."""
    model = model.cpu().eval()
    extra = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")   # the TorchScript exporter's deprecation notice on torch 2.x
        torch.onnx.export(model, args, target, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                          opset_version=OPSET, export_params=with_weights, do_constant_folding=with_weights, **extra)


def export_onnx(model, args, path, inputs, outputs, axes) -> None:
    """A small graph with its weights inline, checked, then written (never half a file)."""
    buf = io.BytesIO()
    torch_export(model, args, buf, inputs, outputs, axes)
    import onnx
    m = onnx.load_model_from_string(buf.getvalue())
    onnx.checker.check_model(m)
    if any(i.data_location == onnx.TensorProto.EXTERNAL for i in m.graph.initializer):
        raise RuntimeError(f"{path}: external tensor data is not allowed in a pack")
    from .atomic import replace_atomically
    replace_atomically(Path(path), lambda tmp: tmp.write_bytes(buf.getvalue()))
