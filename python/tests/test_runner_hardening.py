"""Bad input to the trainer ends in one clear line and a documented exit code (docs/training.md), never a
traceback: unknown or non-finite start adapter, a seed JSON cannot carry, a manifest without prefixTokens,
bf16 adapters, NaN in progress values, a full disk, undecodable images, unexpected exceptions."""
import errno
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import ROOT, write_run_config
from sealens.runner import atomic, config, dataset, loop
from sealens.runner import __main__ as entry
from sealens.runner.tinypack import build
from sealens.safetensors_io import load_file, save_file

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build(tmp_path_factory.mktemp("tiny"), n_images=6)


def cfg_for(d: Path, tiny: Path, **over) -> Path:
    return write_run_config(d, tiny, **{"outputName": "ft", "epochs": 1, **over})


def run(cfg: Path, run_dir: Path):
    return subprocess.run([sys.executable, "-m", "sealens.runner", "--config", str(cfg), "--run-dir", str(run_dir),
                           "--threads", "1"], env=ENV, capture_output=True, text=True, timeout=120)


def test_unknown_start_adapter_is_bad_input_without_traceback(tiny, tmp_path):
    r = run(cfg_for(tmp_path, tiny, startAdapter="no-such-adapter", epochs=1), tmp_path / "run")
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "no adapter named 'no-such-adapter'" in r.stderr
    assert not (tmp_path / "run/cache").exists()   # refused before any image was encoded


def test_non_finite_start_adapter_is_refused_with_tensor_and_position(tiny, tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    for f in (tiny / "pack").rglob("*"):
        if f.is_file():
            (pack / f.relative_to(tiny / "pack")).parent.mkdir(parents=True, exist_ok=True)
            (pack / f.relative_to(tiny / "pack")).write_bytes(f.read_bytes())
    sd = load_file(str(pack / "adapters/base.safetensors"))
    key = sorted(k for k in sd if k.endswith("2.weight") or k.endswith("linear_2.weight"))[0]
    sd[key] = sd[key].copy()
    sd[key][1, 3] = np.nan
    save_file(sd, str(pack / "adapters/base.safetensors"))
    r = run(cfg_for(tmp_path, tiny, pack=str(pack), epochs=1), tmp_path / "run")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "tensor 2.weight has 1 non-finite values" in r.stderr and "[1, 3]" in r.stderr


def test_seed_beyond_2_53_is_refused_and_the_largest_seed_trains(tmp_path):
    base = {"formatVersion": 1, "pack": "p", "dataset": "d", "outputName": "o"}
    with pytest.raises(config.ConfigError, match=r"seed: must be an integer from 0 to 2\^53"):
        config.parse({**base, "seed": 2 ** 53}, "c.json", ".")
    c = config.parse({**base, "seed": 2 ** 53 - 1}, "c.json", ".")
    # the mixed generator seeds stay within torch's 64 bits
    assert loop.step_generator(c.seed, 10 ** 6).initial_seed() >= 0
    assert loop.epoch_order(c.seed, 3, 5).sort().values.tolist() == [0, 1, 2, 3, 4]
    assert loop.step_generator(7, 2).initial_seed() == 7 * 1_000_003 + 7_919 * 2 + 1   # small seeds unchanged


def test_manifest_without_prefix_tokens_means_one_like_the_engine(tiny, tmp_path):
    from sealens.runner.sources import from_pack
    pack = tmp_path / "pack"
    (pack).mkdir()
    for f in (tiny / "pack").rglob("*"):
        if f.is_file():
            (pack / f.relative_to(tiny / "pack")).parent.mkdir(parents=True, exist_ok=True)
            (pack / f.relative_to(tiny / "pack")).write_bytes(f.read_bytes())
    m = json.loads((pack / "manifest.json").read_text())
    del m["imageEncoder"]["prefixTokens"]
    (pack / "manifest.json").write_text(json.dumps(m))
    assert from_pack(pack, torch.device("cpu")).prefix_tokens == 1


def test_bf16_tensors_load_as_the_float32_values_they_hold(tmp_path):
    x = np.array([[1.0, -2.5], [3.140625, 1e-3]], np.float32)
    bf = (x.view(np.uint32) >> 16).astype("<u2")    # truncation: exact for the first three values
    header = json.dumps({"w": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    (tmp_path / "a.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bf.tobytes())
    w = load_file(str(tmp_path / "a.safetensors"))["w"]
    assert w.dtype == np.float32
    assert w.ravel()[:3].tolist() == [1.0, -2.5, 3.140625] and abs(w[1, 1] - 1e-3) < 1e-5


def test_progress_writer_writes_null_for_nan_and_inf(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SEALENS_CHECK_PROGRESS")   # a made-up event: only the NaN handling is under test
    em = entry.Emitter(tmp_path, True)
    em(event="step", loss=float("nan"), lossA=float("inf"), nested={"x": [1.5, float("-inf")]})
    line = json.loads((tmp_path / "progress.jsonl").read_text().splitlines()[-1])
    assert line["loss"] is None and line["lossA"] is None and line["nested"] == {"x": [1.5, None]}
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["loss"] is None


def test_atomic_replace_on_a_full_disk_leaves_no_temp_file_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("old")

    def full(tmp: Path):
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(atomic.DiskFullError, match="disk full while writing .*summary.json"):
        atomic.replace_atomically(target, full)
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_disk_full_exits_3_and_an_unexpected_error_goes_to_the_log(tmp_path, monkeypatch, capsys):
    import sealens.runner.run as run_mod
    cfg = tmp_path / "c.json"
    cfg.write_text("{}")
    monkeypatch.setattr("sealens.runner.environment.check", lambda: {"python": "x", "executable": "x", "torch": torch.__version__,
                                                                      "cuda": False, "onnx": None, "transformers": None})

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(run_mod, "execute", full)
    assert entry.main(["--config", str(cfg), "--run-dir", str(tmp_path / "r1")]) == entry.EXIT_DISK
    assert not (tmp_path / "r1/run.lock").exists()

    def boom(*_a, **_k):
        raise KeyError("imageEncoder")
    monkeypatch.setattr(run_mod, "execute", boom)
    capsys.readouterr()
    assert entry.main(["--config", str(cfg), "--run-dir", str(tmp_path / "r2")]) == entry.EXIT_FAILED
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: KeyError: 'imageEncoder' (details in ") and "Traceback" not in err[0]
    log = (tmp_path / "r2/trainer.log").read_text()
    assert "Traceback" in log and "KeyError: 'imageEncoder'" in log
    last = json.loads((tmp_path / "r2/progress.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "error" and last["kind"] == "internal"


def test_undecodable_images_of_every_kind_are_skipped_and_counted(tiny, tmp_path):
    d = tmp_path / "imgs"
    d.mkdir()
    for f in sorted((tiny / "images").glob("img0[0-1].png")):
        (d / f.name).write_bytes(f.read_bytes())
    good = (tiny / "images/img02.png").read_bytes()
    (d / "truncated.png").write_bytes(good[: len(good) // 2])
    (d / "garbage.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(64))
    (d / "empty.webp").write_bytes(b"")
    pre = json.loads((tiny / "pack/encoder/preprocessor_config.json").read_text())
    ds = dataset.load(d, pre)
    assert len(ds.items) == 2 and len(ds.skipped) == 3
    assert {Path(s.split(":")[0]).name for s in ds.skipped} == {"truncated.png", "garbage.jpg", "empty.webp"}


def test_a_config_that_is_a_fifo_or_folder_is_refused_without_reading(tmp_path):
    os.mkfifo(tmp_path / "fifo.json")
    with pytest.raises(config.ConfigError, match="fifo.json: not a regular file"):
        config.load(tmp_path / "fifo.json")
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(config.ConfigError, match="dir.json: not a regular file"):
        config.load(tmp_path / "dir.json")
