import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
NODE_MODULES = ROOT / "node_modules"
# Every trainer these tests start checks each progress event against schemas/training-progress.schema.json
# (sealens.runner.__main__.Emitter): a field the writer changes without the schema fails the run.
os.environ["SEALENS_CHECK_PROGRESS"] = "1"

import torch  # noqa: E402

torch.set_num_threads(2)


def have_node_pkg(name: str) -> bool:
    import shutil
    return shutil.which("node") is not None and (NODE_MODULES / name).is_dir()


@pytest.fixture(scope="session")
def quick_pack(tmp_path_factory):
    """The whole pipeline on the --quick budget, into a temp dir (shared by several tests)."""
    from sealens.build_pack import BuildConfig, build
    d = tmp_path_factory.mktemp("quick")
    logs = []
    ev = build(d / "demo-pack", d / "samples", BuildConfig.make(True, 0, "cpu"), progress=logs.append)
    return d, ev, logs


def write_run_config(d: Path, tiny: Path, **fields) -> Path:
    """config.json of a training run over the tiny pack (sealens.runner.tinypack); `fields` override."""
    import json
    c = {"formatVersion": 1, "pack": str(tiny / "pack"), "dataset": str(tiny / "images"), "startAdapter": "base",
         "lambda": 1.0, "batchSize": 4, "validationImages": 2, "device": "cpu", **fields}
    d.mkdir(parents=True, exist_ok=True)
    (d / "config.json").write_text(json.dumps(c))
    return d / "config.json"
