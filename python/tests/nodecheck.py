"""Helpers that run Node scripts (onnxruntime-node, @huggingface/tokenizers) for cross-checks."""
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, have_node_pkg

HERE = Path(__file__).parent / "node"


def need(pkg: str):
    if not have_node_pkg(pkg):
        pytest.skip(f"SKIPPED: node or {ROOT / 'node_modules' / pkg} is missing — cannot cross-check with Node")


def run_onnx(model: Path, inputs: dict, work: Path) -> dict:
    need("onnxruntime-node")
    work.mkdir(parents=True, exist_ok=True)
    spec = {"model": str(model), "outDir": str(work), "inputs": {}}
    for name, a in inputs.items():
        f = work / f"in_{name}.bin"
        a = np.ascontiguousarray(a)
        f.write_bytes(a.tobytes())
        spec["inputs"][name] = {"type": "int64" if a.dtype == np.int64 else "float32", "dims": list(a.shape),
                                "file": str(f)}
    (work / "spec.json").write_text(json.dumps(spec))
    r = subprocess.run(["node", str(HERE / "run_onnx.mjs"), str(work / "spec.json")], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    meta = json.loads((work / "meta.json").read_text())
    return {k: np.fromfile(v["file"], np.float32).reshape(v["dims"]) for k, v in meta["outputs"].items()}


def hf_encode(tokenizer_json: Path, config_json: Path, texts, work: Path):
    need("@huggingface/tokenizers")
    work.mkdir(parents=True, exist_ok=True)
    (work / "texts.json").write_text(json.dumps(texts))
    r = subprocess.run(["node", str(HERE / "check_tokenizer.mjs"), str(tokenizer_json), str(config_json),
                        str(work / "texts.json"), str(work / "out.json")], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads((work / "out.json").read_text())
