"""ONNX export of a tower or projector for a pack: the TorchScript exporter (one graph shape on torch 2.x,
see runner/onnx_export.py), checked by path, and moved into place only once complete.

A module with more than LARGE bytes of weights (a ViT-L tower is 1.2 GB in fp32) is exported as its graph
alone, and its weights are written here, one tensor at a time straight from the module, into `<file>.data`
beside the .onnx (ONNX external data). The exporter's own path would hold every weight three or four more
times (folded constants, the in-memory ModelProto, its serialised bytes): pack init on LLaVA-1.5-7B peaked
at 5.3 GB that way, 2.1 GB this way (bench/hf_pack_bench.py). Smaller modules keep one self-contained file."""
from __future__ import annotations

import io
import os
import shutil
import sys
import traceback
from pathlib import Path

from ..runner.onnx_export import OPSET, torch_export  # noqa: F401  (OPSET: one opset for every export)
from .errors import PackInitError

INLINE_LIMIT = 1_800_000_000   # bytes; protobuf's hard limit is 2 GiB
LARGE = 256 * 2 ** 20          # bytes of weights above which they go to <file>.data
ALIGN = 65536                  # tensors of ≥ 1 MiB start on this boundary (onnx's own default), so they can be mapped


def export(module, args, path: Path, inputs, outputs, axes, large: int = LARGE) -> None:
    """Write `path` (and `path.data` when the module's weights exceed `large` bytes); on any failure nothing is
    left behind and an earlier file of that name is untouched."""
    path = Path(path)
    if not path.parent.is_dir():
        raise PackInitError(f"{path.parent}: the folder to write {path.name} into does not exist")
    tmp = path.with_name(path.name + ".export")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    raw = tmp / path.name
    try:
        try:
            if weight_bytes(module) > large:
                export_external(module, args, raw, inputs, outputs, axes)
            else:
                torch_export(module, args, str(raw), inputs, outputs, axes)
        except PackInitError:
            raise
        except (RuntimeError, ValueError, TypeError) as e:   # the tracer and exporter raise these on a bad module
            traceback.print_exc(file=sys.stderr)              # the log keeps where it failed; the event names the file
            raise PackInitError(f"{path.name}: exporting {type(module).__name__} to ONNX failed: {e}") from e
        written = sorted(f.name for f in tmp.iterdir())
        size = raw.stat().st_size if raw.is_file() else 0
        if written not in ([raw.name], [raw.name, raw.name + ".data"]) or size > INLINE_LIMIT:
            raise PackInitError(f"{path.name}: the exporter wrote {written} ({size} bytes in the graph); "
                                f"expected one graph under {INLINE_LIMIT} bytes and at most {raw.name}.data beside it")
        # Checked by path: the checker reads the graph and confirms the external-data file is there, without
        # loading a second copy of the weights into this process (the module still holds them).
        import onnx
        onnx.checker.check_model(str(raw))
        stale = path.with_name(path.name + ".data")
        if stale.exists() and len(written) == 1:
            stale.unlink()
        for name in sorted(written, key=lambda n: n == raw.name):   # the weights first, the graph that names them last
            os.replace(tmp / name, path.with_name(name))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def weight_bytes(module) -> int:
    """Bytes of the module's parameters and buffers (what the exporter would put in the graph)."""
    seen, n = set(), 0
    for t in list(module.parameters()) + list(module.buffers()):
        if id(t) not in seen:
            seen.add(id(t))
            n += t.numel() * t.element_size()
    return n


def export_external(module, args, raw: Path, inputs, outputs, axes) -> None:
    """The graph without weights (parameters and buffers are graph inputs named by their state_dict keys), then
    each of those inputs turned into an initializer whose bytes are appended to `raw.data` from the module's own
    tensor: no copy of the weights is ever made, in torch or in protobuf."""
    import onnx
    import torch
    buf = io.BytesIO()
    torch_export(module, args, buf, inputs, outputs, axes, with_weights=False)
    m = onnx.load_model_from_string(buf.getvalue())
    del buf
    # state_dict keeps every name of a tied tensor; non-persistent buffers are not in it but are traced as
    # constants, and named_buffers covers them should an exporter ever make them inputs.
    tensors = {**dict(module.named_buffers()), **module.state_dict(keep_vars=True)}
    weights = [i for i in m.graph.input if i.name not in inputs]
    unknown = [i.name for i in weights if i.name not in tensors]
    if unknown:
        raise PackInitError(f"{raw.name}: the exported graph of {type(module).__name__} reads {unknown[:5]}, which are "
                            "neither parameters nor buffers of the module, so their values cannot be written")
    data = raw.with_name(raw.name + ".data")
    with open(data, "wb") as f:
        for i in weights:
            t = tensors[i.name].detach().cpu().contiguous()
            dtype = onnx_dtype(t, i.name)
            declared = i.type.tensor_type
            if declared.elem_type != dtype or [d.dim_value for d in declared.shape.dim] != list(t.shape):
                raise PackInitError(f"{raw.name}: graph input {i.name!r} is declared "
                                    f"{onnx.TensorProto.DataType.Name(declared.elem_type)} {[d.dim_value for d in declared.shape.dim]} "
                                    f"but the module's tensor is {t.dtype} {list(t.shape)}")
            if t.nbytes >= 2 ** 20:
                f.write(b"\0" * (-f.tell() % ALIGN))
            offset = f.tell()
            f.write(t.reshape(-1).view(torch.uint8).numpy().data)   # raw little-endian bytes, no copy
            init = onnx.TensorProto(name=i.name, dims=list(t.shape), data_type=dtype, data_location=onnx.TensorProto.EXTERNAL)
            for k, v in (("location", data.name), ("offset", str(offset)), ("length", str(t.nbytes))):
                init.external_data.add(key=k, value=v)
            m.graph.initializer.append(init)
    feeds = [i for i in m.graph.input if i.name in inputs]
    del m.graph.input[:]
    m.graph.input.extend(feeds)   # weights are initializers only: a caller cannot override them
    onnx.save_model(m, str(raw))


def onnx_dtype(t, name: str) -> int:
    import onnx
    import torch
    table = {torch.float32: onnx.TensorProto.FLOAT, torch.float16: onnx.TensorProto.FLOAT16,
             torch.bfloat16: onnx.TensorProto.BFLOAT16, torch.float64: onnx.TensorProto.DOUBLE,
             torch.int64: onnx.TensorProto.INT64, torch.int32: onnx.TensorProto.INT32, torch.int16: onnx.TensorProto.INT16,
             torch.int8: onnx.TensorProto.INT8, torch.uint8: onnx.TensorProto.UINT8, torch.bool: onnx.TensorProto.BOOL}
    if t.dtype not in table:
        raise PackInitError(f"tensor {name!r} has dtype {t.dtype}, which SEA Lens cannot write as ONNX external data")
    return table[t.dtype]
