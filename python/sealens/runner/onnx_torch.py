"""Run a pack's ONNX graphs (vision encoder, LLM decoder) as torch operations.

Why: the trainer needs the frozen vision encoder's patch tokens and, for the caption loss L_g, gradients
of the frozen LLM with respect to its `inputs_embeds`. A pack ships these models as ONNX only, and the
Python onnxruntime is not a dependency; interpreting the graph node by node with torch ops gives both
inference and autograd through the graph on CPU and CUDA. Unsupported operators are reported by name up
front (`check_supported`) instead of failing mid-run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F


class OnnxGraphError(ValueError):
    pass


_DTYPES = {1: torch.float32, 2: torch.uint8, 3: torch.int8, 5: torch.int16, 6: torch.int32, 7: torch.int64,
           9: torch.bool, 10: torch.float16, 11: torch.float64, 16: torch.bfloat16}


def _ints(t: torch.Tensor) -> List[int]:
    return [int(v) for v in t.reshape(-1).tolist()]


def _axis(a: int, rank: int) -> int:
    return a + rank if a < 0 else a


def _unsqueeze(x, axes):
    rank = x.dim() + len(axes)
    for a in sorted(_axis(a, rank) for a in axes):
        x = x.unsqueeze(a)
    return x


def _squeeze(x, axes=None):
    if axes is None:
        return x.squeeze()
    for a in sorted((_axis(a, x.dim()) for a in axes), reverse=True):
        x = x.squeeze(a)
    return x


def _reshape(x, shape, allowzero=0):
    s = _ints(shape)
    if not allowzero:
        s = [x.shape[i] if v == 0 else v for i, v in enumerate(s)]
    return x.reshape(s)


def _gather(data, idx, axis=0):
    axis = _axis(axis, data.dim())
    idx = idx.long()
    idx = torch.where(idx < 0, idx + data.shape[axis], idx)
    out = data.index_select(axis, idx.reshape(-1))
    return out.reshape(tuple(data.shape[:axis]) + tuple(idx.shape) + tuple(data.shape[axis + 1:]))


def _slice(x, starts, ends, axes=None, steps=None):
    st, en = _ints(starts), _ints(ends)
    ax = _ints(axes) if axes is not None else list(range(len(st)))
    sp = _ints(steps) if steps is not None else [1] * len(st)
    idx = [slice(None)] * x.dim()
    for s, e, a, p in zip(st, en, ax, sp):
        if p <= 0:
            raise OnnxGraphError(f"Slice with step {p} is not supported")
        idx[_axis(a, x.dim())] = slice(s, e, p)
    return x[tuple(idx)]


def _div(a, b):
    if not a.is_floating_point() and not b.is_floating_point():
        return torch.div(a, b, rounding_mode="trunc")
    return a / b


def _conv(x, w, b=None, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1), group=1, **_):
    n = len(strides)
    if list(pads[:n]) != list(pads[n:]):
        x = F.pad(x, [p for i in reversed(range(n)) for p in (pads[i], pads[i + n])])
        pads = [0] * (2 * n)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[n]
    return conv(x, w, b, stride=list(strides), padding=list(pads[:n]), dilation=list(dilations), groups=group)


def _gemm(a, b, c=None, alpha=1.0, beta=1.0, transA=0, transB=0):
    a = a.t() if transA else a
    b = b.t() if transB else b
    y = alpha * (a @ b)
    return y + beta * c if c is not None else y


def _reduce(fn):
    def run(x, axes_in=None, axes=None, keepdims=1, noop_with_empty_axes=0):
        ax = _ints(axes_in) if axes_in is not None else axes
        if not ax:
            return x if noop_with_empty_axes else fn(x, dim=list(range(x.dim())), keepdim=bool(keepdims))
        return fn(x, dim=[_axis(a, x.dim()) for a in ax], keepdim=bool(keepdims))
    return run


def _split(x, split=None, axis=0, num_outputs=None, **_):
    axis = _axis(axis, x.dim())
    if split is not None:
        return list(torch.split(x, _ints(split), dim=axis))
    raise OnnxGraphError("Split without explicit sizes is not supported")


def _layer_norm(x, scale, bias=None, axis=-1, epsilon=1e-5, **_):
    axis = _axis(axis, x.dim())
    return F.layer_norm(x, tuple(x.shape[axis:]), scale, bias, epsilon)


def _clip(x, lo=None, hi=None):
    return torch.clamp(x, min=None if lo is None else float(lo), max=None if hi is None else float(hi))


OPS: Dict[str, Callable] = {
    "Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": _div, "Pow": torch.pow, "Sqrt": torch.sqrt,
    "Erf": torch.erf, "Exp": torch.exp, "Log": torch.log, "Neg": torch.neg, "Tanh": torch.tanh,
    "Sigmoid": torch.sigmoid, "Relu": F.relu, "Abs": torch.abs, "Reciprocal": torch.reciprocal,
    "MatMul": torch.matmul, "Gemm": _gemm, "Conv": _conv,
    "Identity": lambda x: x, "Dropout": lambda x, *_, **__: x,
    "Softmax": lambda x, axis=-1: torch.softmax(x, dim=axis),
    "LayerNormalization": _layer_norm,
    "Transpose": lambda x, perm=None: x.permute(perm if perm is not None else list(reversed(range(x.dim())))),
    "Reshape": _reshape, "Flatten": lambda x, axis=1: x.reshape(int(np.prod(x.shape[:axis])), -1),
    "Unsqueeze": lambda x, axes_in=None, axes=None: _unsqueeze(x, _ints(axes_in) if axes_in is not None else axes),
    "Squeeze": lambda x, axes_in=None, axes=None: _squeeze(x, _ints(axes_in) if axes_in is not None else axes),
    "Concat": lambda *xs, axis: torch.cat(xs, dim=axis),
    "Gather": _gather, "Slice": _slice, "Split": _split,
    "Shape": lambda x, start=0, end=None: torch.tensor(list(x.shape)[start:end], dtype=torch.int64),
    "Expand": lambda x, s: x.expand(torch.broadcast_shapes(tuple(x.shape), tuple(_ints(s)))),
    "Cast": lambda x, to: x.to(_DTYPES[to]),
    "Where": torch.where, "Equal": torch.eq, "Less": torch.lt, "Greater": torch.gt, "Not": torch.logical_not,
    "And": torch.logical_and,
    "Range": lambda a, b, d: torch.arange(a.item(), b.item(), d.item(), dtype=a.dtype),
    "ReduceMean": _reduce(torch.mean), "ReduceSum": _reduce(torch.sum),
    "Max": lambda *xs: xs[0] if len(xs) == 1 else torch.stack(torch.broadcast_tensors(*xs)).max(0).values,
    "Min": lambda *xs: xs[0] if len(xs) == 1 else torch.stack(torch.broadcast_tensors(*xs)).min(0).values,
    "Clip": _clip,
    "ConstantOfShape": lambda s, value=None: (torch.zeros(_ints(s)) if value is None else
                                              torch.from_numpy(np.array(value).reshape(-1)[:1]).expand(_ints(s)).clone()),
}
# Operators whose second/optional inputs are passed by position but read as keywords above.
_INPUT_AS_KW = {"Unsqueeze": ["axes_in"], "Squeeze": ["axes_in"], "ReduceSum": ["axes_in"]}


class OnnxModule(torch.nn.Module):
    """An ONNX graph as a torch module: forward(**inputs) -> dict of the requested outputs."""

    def __init__(self, path: Path, device=None):
        super().__init__()
        import onnx
        from onnx import helper, numpy_helper
        self.path = Path(path)
        try:
            model = onnx.load(str(path))
        except Exception as e:  # onnx raises DecodeError / OSError depending on version
            raise OnnxGraphError(f"{path}: not a readable ONNX model ({e})") from None
        g = model.graph
        self.input_names = [i.name for i in g.input if i.name not in {t.name for t in g.initializer}]
        self.output_names = [o.name for o in g.output]
        self.consts: Dict[str, torch.Tensor] = {}
        for t in g.initializer:
            self.consts[t.name] = torch.from_numpy(np.array(numpy_helper.to_array(t))).to(device or "cpu")
        self.nodes = []
        missing = sorted({n.op_type for n in g.node if n.op_type not in OPS and n.op_type != "Constant"})
        if missing:
            raise OnnxGraphError(f"{path}: operators not supported by the trainer's ONNX runner: {', '.join(missing)}. "
                                 f"Provide the model through Hugging Face transformers instead (see docs/training.md).")
        for n in g.node:
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            if n.op_type == "Constant":
                v = attrs.get("value")
                arr = numpy_helper.to_array(v) if v is not None else np.array(
                    attrs.get("value_float", attrs.get("value_int", attrs.get("value_ints", attrs.get("value_floats")))))
                self.consts[n.output[0]] = torch.from_numpy(np.array(arr)).to(device or "cpu")
                continue
            attrs = {k: (v.decode() if isinstance(v, bytes) else
                         numpy_helper.to_array(v) if isinstance(v, onnx.TensorProto) else v) for k, v in attrs.items()}
            self.nodes.append((n.op_type, list(n.input), list(n.output), attrs))

    def forward(self, **inputs: torch.Tensor) -> Dict[str, torch.Tensor]:
        env = self.run(inputs)
        return {o: env[o] for o in self.output_names}

    def final_matmul(self, output: str) -> Optional[Tuple[int, str, str]]:
        """(node index, input name, weight name) when `output` comes from a last MatMul of a tensor by a constant
        weight — an LLM's head. A caller that needs only some positions' logits applies the head to those rows
        itself (run(..., stop=index)): the head is the widest matrix of a small LM."""
        for k in range(len(self.nodes) - 1, -1, -1):
            op, ins, outs, _ = self.nodes[k]
            if output in outs:
                if op == "MatMul" and len(ins) == 2 and ins[1] in self.consts and ins[0] not in self.consts:
                    return k, ins[0], ins[1]
                return None
        return None

    def run(self, inputs: Dict[str, torch.Tensor], stop: Optional[int] = None) -> Dict[str, torch.Tensor]:
        """Every value of the graph (nodes before `stop` only, when given)."""
        unknown = set(inputs) - set(self.input_names)
        if unknown:
            raise OnnxGraphError(f"{self.path}: no inputs named {sorted(unknown)} (inputs: {self.input_names})")
        env: Dict[str, torch.Tensor] = dict(self.consts)
        env.update(inputs)
        for op, ins, outs, attrs in self.nodes[:stop]:
            args = [env[i] if i else None for i in ins]
            kw = dict(attrs)
            for j, name in enumerate(_INPUT_AS_KW.get(op, [])):
                if len(args) > j + 1:
                    kw[name] = args.pop(j + 1)
            while args and args[-1] is None:
                args.pop()
            try:
                res = OPS[op](*args, **kw)
            except OnnxGraphError:
                raise
            except Exception as e:
                raise OnnxGraphError(f"{self.path}: node {op}({', '.join(ins)}) failed: {e}") from None
            if isinstance(res, (list, tuple)):
                for o, r in zip(outs, res):
                    env[o] = r
            else:
                env[outs[0]] = res
        return env

    def to_device(self, device) -> "OnnxModule":
        self.consts = {k: v.to(device) for k, v in self.consts.items()}
        return self
