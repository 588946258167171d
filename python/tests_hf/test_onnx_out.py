"""hfpack.onnx_out.export: a module over the size limit is written as its graph plus `<file>.data` (weights streamed
from the module, never held in a protobuf), and runs under onnxruntime exactly as the self-contained export does;
a failed export leaves nothing behind."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from sealens.hfpack.errors import PackInitError
from sealens.hfpack.onnx_out import export

ROOT = Path(__file__).resolve().parents[2]
RUN_ONNX = ROOT / "python" / "tests" / "node" / "run_onnx.mjs"
AXES = {"x": {0: "views"}, "y": {0: "views"}}


class Small(torch.nn.Module):
    """What a tower holds: linear layers on [B, N, D] (exported as MatMul with a transposed weight, which
    constant folding would precompute), a LayerNorm, exact GELU, a weight used twice, a persistent int64 buffer
    (an embedding lookup) and a non-persistent one (traced as a constant)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc1, self.fc2 = torch.nn.Linear(16, 16384), torch.nn.Linear(16384, 16)   # 1 MiB each: aligned in .data
        self.norm = torch.nn.LayerNorm(16)
        self.pos = torch.nn.Embedding(5, 16)
        self.register_buffer("ids", torch.arange(5))
        self.register_buffer("scale", torch.full((16,), 0.5), persistent=False)

    def forward(self, x):
        h = self.norm(x + self.pos(self.ids))
        h = self.fc2(torch.nn.functional.gelu(self.fc1(h)))
        return self.fc2(torch.nn.functional.gelu(self.fc1(h * self.scale)))


def run_onnx(model: Path, x: np.ndarray, work: Path) -> np.ndarray:
    if shutil.which("node") is None or not (ROOT / "node_modules" / "onnxruntime-node").is_dir():
        pytest.skip(f"SKIPPED: node or {ROOT / 'node_modules' / 'onnxruntime-node'} is missing — cannot run the graph")
    work.mkdir(parents=True)
    (work / "x.bin").write_bytes(np.ascontiguousarray(x, np.float32).tobytes())
    spec = {"model": str(model), "outDir": str(work), "inputs": {"x": {"type": "float32", "dims": list(x.shape), "file": str(work / "x.bin")}}}
    (work / "spec.json").write_text(json.dumps(spec))
    r = subprocess.run(["node", str(RUN_ONNX), str(work / "spec.json")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    meta = json.loads((work / "meta.json").read_text())
    assert meta["inputNames"] == ["x"], "the weights must be initializers, not inputs a caller could override"
    return np.fromfile(meta["outputs"]["y"]["file"], np.float32).reshape(meta["outputs"]["y"]["dims"])


def test_large_path_writes_external_data_and_matches_the_inline_export(tmp_path):
    m = Small().eval()
    inline, external = tmp_path / "inline", tmp_path / "external"
    inline.mkdir(), external.mkdir()
    example = (torch.zeros(1, 5, 16),)
    export(m, example, inline / "m.onnx", ["x"], ["y"], AXES)
    export(m, example, external / "m.onnx", ["x"], ["y"], AXES, large=0)

    assert sorted(p.name for p in inline.iterdir()) == ["m.onnx"]
    assert sorted(p.name for p in external.iterdir()) == ["m.onnx", "m.onnx.data"]   # no .export folder left
    g = onnx.load_model(str(external / "m.onnx"), load_external_data=False).graph
    assert [i.name for i in g.input] == ["x"]
    assert len(g.initializer) >= 7 and all(t.data_location == onnx.TensorProto.EXTERNAL for t in g.initializer)
    where = [{e.key: e.value for e in t.external_data} for t in g.initializer]
    assert {w["location"] for w in where} == {"m.onnx.data"}
    assert sum(int(w["length"]) for w in where) <= (external / "m.onnx.data").stat().st_size
    assert (external / "m.onnx").stat().st_size < 64 * 1024          # the graph alone
    fc1 = next(t for t in g.initializer if t.name == "fc1.weight")
    assert int({e.key: e.value for e in fc1.external_data}["offset"]) % 65536 == 0
    onnx.checker.check_model(str(external / "m.onnx"))

    x = np.random.default_rng(1).standard_normal((3, 5, 16)).astype(np.float32)   # batch 3: the dynamic axis
    a = run_onnx(inline / "m.onnx", x, tmp_path / "run-inline")
    b = run_onnx(external / "m.onnx", x, tmp_path / "run-external")
    with torch.no_grad():
        want = m(torch.from_numpy(x)).numpy()
    assert np.abs(b - a).max() < 1e-6
    assert np.abs(b - want).max() < 1e-5


class Broken(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(x)   # x has 16 features: the trace fails


@pytest.mark.parametrize("large", [0, 2 ** 40], ids=["external", "inline"])
def test_failed_export_names_the_file_and_leaves_the_earlier_one(tmp_path, large):
    (tmp_path / "m.onnx").write_bytes(b"earlier")
    with pytest.raises(PackInitError, match=r"m\.onnx: exporting Broken to ONNX failed: .*mat1 and mat2 shapes"):
        export(Broken(), (torch.zeros(1, 5, 16),), tmp_path / "m.onnx", ["x"], ["y"], AXES, large=large)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]
    assert (tmp_path / "m.onnx").read_bytes() == b"earlier"


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(PackInitError, match=r"nope: the folder to write m\.onnx into does not exist"):
        export(Small(), (torch.zeros(1, 5, 16),), tmp_path / "nope" / "m.onnx", ["x"], ["y"], AXES, large=0)
