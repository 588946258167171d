"""The fine-tuning run (sealens.runner): config and dataset errors, the ONNX-in-torch runner against
onnxruntime-node, checkpoint atomicity under random SIGKILL with resume equality, SIGTERM cancellation,
disk full, the run-folder lock, and the exported adapter / overlay pack."""
import errno
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import ROOT, write_run_config
from sealens.runner import checkpoint, config, dataset
from sealens.runner.tinypack import build
from sealens.safetensors_io import load_file

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build(tmp_path_factory.mktemp("tiny"))


def write_config(d: Path, tiny: Path, **over) -> Path:
    return write_run_config(d, tiny, **{"outputName": "ft", "epochs": 4, "checkpointEvery": 1, **over})


def run(cfg: Path, run_dir: Path, *extra, timeout=120):
    return subprocess.run([sys.executable, "-m", "sealens.runner", "--config", str(cfg), "--run-dir", str(run_dir),
                           "--threads", "1", *extra], env=ENV, capture_output=True, text=True, timeout=timeout)


def events(run_dir: Path):
    return [json.loads(l) for l in (run_dir / "progress.jsonl").read_text().splitlines() if l.strip()]


def curve(run_dir: Path):
    """Last recorded loss of every step (a resumed run repeats the steps after its checkpoint)."""
    return {e["step"]: (e["loss"], e["lossG"], e["lossA"]) for e in events(run_dir) if e["event"] == "step"}


# ------------------------------------------------------------------------------ config / dataset
@pytest.mark.parametrize("obj,msg", [
    ([], "top level must be a JSON object"),
    ({"formatVersion": 2}, "formatVersion: must be 1 (got 2)"),
    ({"formatVersion": 1, "pack": "p", "dataset": "d"}, "outputName: required"),
    ({"formatVersion": 1, "pack": "p", "dataset": "d", "outputName": "x", "lambda": -1}, "lambda: must be a number ≥ 0 (got -1)"),
    ({"formatVersion": 1, "pack": "p", "dataset": "d", "outputName": "x", "batchSize": 1}, "batchSize: must be an integer ≥ 2"),
    ({"formatVersion": 1, "pack": "p", "dataset": "d", "outputName": "x", "epochs": True}, "epochs: must be an integer"),
    ({"formatVersion": 1, "pack": "p", "dataset": "d", "outputName": "../x"}, "outputName: must be a name"),
    ({"formatVersion": 1, "pack": "p", "dataset": "d", "outputName": "x", "devise": "cpu"}, "devise: unknown key"),
    ({"formatVersion": 1, "pack": "p", "dataset": "d", "outputName": "x", "allowDownload": 1}, "allowDownload: must be true or false (got 1)"),
])
def test_config_rejects_bad_input_with_path_and_key(obj, msg):
    with pytest.raises(config.ConfigError) as e:
        config.parse(obj, "run/config.json", ".")
    assert str(e.value).startswith("run/config.json: ") and msg in str(e.value)


def test_config_file_errors(tmp_path):
    with pytest.raises(config.ConfigError, match="config file not found"):
        config.load(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(config.ConfigError, match="bad.json: not valid JSON"):
        config.load(tmp_path / "bad.json")


def test_dataset_skips_undecodable_counts_them_and_reads_llava_json(tiny, tmp_path):
    d = tmp_path / "imgs"
    d.mkdir()
    for f in sorted((tiny / "images").glob("img0[0-2].*")):
        (d / f.name).write_bytes(f.read_bytes())
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    pre = json.loads((tiny / "pack/encoder/preprocessor_config.json").read_text())
    ds = dataset.load(d, pre)
    assert len(ds.items) == 3 and len(ds.skipped) == 1 and "broken.png" in ds.skipped[0]
    assert ds.pixels.shape == (3, 3, 32, 32) and ds.has_captions
    (tmp_path / "list.json").write_text(json.dumps([
        {"image": "imgs/img00.png", "conversations": [{"from": "human", "value": "<image>\nDescribe."},
                                                       {"from": "gpt", "value": "a red circle"}]},
        {"image": "imgs/img01.png", "caption": "a green circle"}]))
    items = dataset.list_items(tmp_path / "list.json")
    assert [i.caption for i in items] == ["a red circle", "a green circle"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(dataset.DatasetError, match="empty.*the dataset is empty"):
        dataset.list_items(tmp_path / "empty")
    (tmp_path / "obj.json").write_text("{}")
    with pytest.raises(dataset.DatasetError, match="obj.json: expected a JSON list"):
        dataset.list_items(tmp_path / "obj.json")


# ------------------------------------------------------------------------------ ONNX runner
def test_onnx_torch_matches_onnxruntime_node(tiny, tmp_path):
    from nodecheck import run_onnx
    from sealens.runner.onnx_torch import OnnxModule
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    ref = run_onnx(tiny / "pack/encoder/vision_model.onnx", {"pixel_values": x}, tmp_path / "v")
    got = OnnxModule(tiny / "pack/encoder/vision_model.onnx")(pixel_values=torch.from_numpy(x))
    for k in ref:
        np.testing.assert_allclose(got[k].numpy(), ref[k], atol=2e-4, rtol=1e-4)
    e = np.random.default_rng(1).standard_normal((2, 11, 24)).astype(np.float32)
    ref = run_onnx(tiny / "pack/llm/decoder.onnx", {"inputs_embeds": e}, tmp_path / "d")
    got = OnnxModule(tiny / "pack/llm/decoder.onnx")(inputs_embeds=torch.from_numpy(e))
    np.testing.assert_allclose(got["logits"].numpy(), ref["logits"], atol=2e-4, rtol=1e-4)


def test_decoder_head_on_caption_rows_equals_the_whole_graph(tiny):
    """DecoderLM applies the LM head to the positions after `first` only; logits and the gradient that reaches
    the visual tokens equal slicing the whole graph's logits."""
    from sealens.runner.onnx_torch import OnnxModule
    from sealens.runner.sources import DecoderLM
    dec = OnnxModule(tiny / "pack/llm/decoder.onnx")
    embed = torch.randn(381, 24)
    lm = DecoderLM(dec, embed, "inputs_embeds", "logits")
    assert lm.head is not None, "the tiny decoder ends in MatMul(hidden, head weight)"
    x = torch.randn(2, 11, 24, generator=torch.Generator().manual_seed(3), requires_grad=True)
    part = lm(x, first=7)
    (part ** 2).sum().backward()
    g_part, x.grad = x.grad.clone(), None
    whole = dec(inputs_embeds=x)["logits"][:, 7:]
    (whole ** 2).sum().backward()
    torch.testing.assert_close(part, whole, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(g_part, x.grad, rtol=1e-4, atol=1e-5)


def test_onnx_torch_names_unsupported_operators(tmp_path):
    import onnx
    from onnx import helper, TensorProto
    from sealens.runner.onnx_torch import OnnxGraphError, OnnxModule
    g = helper.make_graph([helper.make_node("Hardmax", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])])
    onnx.save(helper.make_model(g), str(tmp_path / "m.onnx"))
    with pytest.raises(OnnxGraphError, match="m.onnx: operators not supported.*Hardmax"):
        OnnxModule(tmp_path / "m.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"junk")
    with pytest.raises(OnnxGraphError, match="junk.onnx: not a readable ONNX model"):
        OnnxModule(tmp_path / "junk.onnx")


# ------------------------------------------------------------------------------ full run
def test_run_exports_llava_adapter_and_overlay_pack(tiny, tmp_path):
    cfg = write_config(tmp_path, tiny, epochs=2)
    r = run(cfg, tmp_path / "run")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "run/out"
    sd = load_file(str(out / "adapter.safetensors"))
    assert sorted(sd) == ["model.mm_projector.0.bias", "model.mm_projector.0.weight",
                          "model.mm_projector.2.bias", "model.mm_projector.2.weight"]
    assert (out / "adapter.onnx").stat().st_size > 0
    m = json.loads((tmp_path / "run/pack/manifest.json").read_text())
    assert [a["name"] for a in m["adapters"]] == ["ft", "base"] and m["defaultAdapter"] == "ft"
    from sealens.pack import load_pack
    overlay = load_pack(tmp_path / "run/pack")
    np.testing.assert_allclose(overlay.adapter("ft")[0], sd["model.mm_projector.0.weight"])
    base_manifest = json.loads((tiny / "pack/manifest.json").read_text())
    assert [a["name"] for a in base_manifest["adapters"]] == ["base"], "the base pack must never change"
    s = json.loads((tmp_path / "run/summary.json").read_text())
    assert s["status"] == "done" and s["pairsPerSecond"] > 0 and set(s["evaluation"]) >= {"before", "after"}
    # the images the before/after metrics were measured on, for the extension's Before/After image picker
    assert len(s["evaluationImages"]) == s["evaluation"]["after"]["images"] > 0
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in s["evaluationImages"])
    again = run(cfg, tmp_path / "run")
    assert again.returncode == 0 and '"alreadyFinished": true' in again.stdout


def test_no_captions_trains_la_only_with_warning(tiny, tmp_path):
    d = tmp_path / "nocap"
    d.mkdir()
    for f in (tiny / "images").glob("*.png"):
        (d / f.name).write_bytes(f.read_bytes())
    r = run(write_config(tmp_path, tiny, dataset=str(d), epochs=1), tmp_path / "run")
    assert r.returncode == 0, r.stderr
    ev = events(tmp_path / "run")
    assert any(e["event"] == "warning" and "L_a only" in e["message"] for e in ev)
    assert all(e["lossG"] == 0 for e in ev if e["event"] == "step")


def test_empty_dataset_fails_before_training(tiny, tmp_path):
    (tmp_path / "empty").mkdir()
    r = run(write_config(tmp_path, tiny, dataset=str(tmp_path / "empty")), tmp_path / "run")
    assert r.returncode == 2 and "the dataset is empty" in r.stderr
    assert not (tmp_path / "run/checkpoints").exists()


def test_second_launch_into_a_busy_run_folder_is_refused(tiny, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run/run.lock").write_text(str(os.getpid()))   # this test process is alive
    r = run(write_config(tmp_path, tiny), tmp_path / "run")
    assert r.returncode == 5 and "already using this run folder" in r.stderr
    (tmp_path / "run/run.lock").write_text("999999999")       # stale: that process does not exist
    assert run(write_config(tmp_path, tiny, epochs=1), tmp_path / "run").returncode == 0


def test_disk_full_keeps_previous_checkpoint(tmp_path, monkeypatch):
    p = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.AdamW([p])
    p.grad = torch.ones(3)
    opt.step()
    first = checkpoint.save(tmp_path, 1, {"w": np.ones(3, np.float32)}, opt, {})
    import sealens.runner.checkpoint as ck

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(ck, "save_file", full)
    with pytest.raises(ck.DiskFullError, match="disk full.*step-000001 intact"):
        ck.save(tmp_path, 2, {"w": np.zeros(3, np.float32)}, opt, {})
    found = ck.latest(tmp_path)
    assert found[0] == first and found[1]["step"] == 1
    assert not [q for q in tmp_path.iterdir() if q.name.startswith(".tmp-")]


def test_corrupt_newest_checkpoint_falls_back_to_previous(tmp_path):
    p = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.AdamW([p])
    checkpoint.save(tmp_path, 1, {"w": np.ones(3, np.float32)}, opt, {})
    second = checkpoint.save(tmp_path, 2, {"w": np.ones(3, np.float32)}, opt, {})
    (second / "tensors.safetensors").write_bytes(b"truncated")
    assert checkpoint.latest(tmp_path)[1]["step"] == 1


def test_random_sigkill_then_resume_equals_uninterrupted_run(tiny, tmp_path):
    over = dict(epochs=12, checkpointEvery=1)
    ref_dir = tmp_path / "ref"
    assert run(write_config(tmp_path / "a", tiny, **over), ref_dir).returncode == 0
    cfg = write_config(tmp_path / "b", tiny, **over)
    run_dir = tmp_path / "killed"
    rng = random.Random(1234)
    kills = 0
    for attempt in range(12):
        p = subprocess.Popen([sys.executable, "-m", "sealens.runner", "--config", str(cfg), "--run-dir", str(run_dir),
                              "--threads", "1"], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        target = rng.randint(1, 12)
        seen = 0
        for line in p.stdout:
            if '"event": "step"' in line or '"event": "checkpoint"' in line:
                seen += 1
            if seen >= target and kills < 4:
                p.send_signal(signal.SIGKILL)
                kills += 1
                break
        p.wait(timeout=60)
        p.stdout.close()
        if p.returncode == 0:
            break
        assert p.returncode == -signal.SIGKILL
    assert kills == 4 and p.returncode == 0
    resumed = [e["resumedFrom"] for e in events(run_dir) if e["event"] == "start"]
    assert resumed[0] is None and any(r for r in resumed[1:]), resumed
    ref, got = curve(ref_dir), curve(run_dir)
    assert sorted(ref) == sorted(got)
    for s in ref:
        np.testing.assert_allclose(got[s], ref[s], rtol=1e-5, atol=1e-6, err_msg=f"step {s}")
    a, b = load_file(str(ref_dir / "out/adapter.safetensors")), load_file(str(run_dir / "out/adapter.safetensors"))
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-5, atol=1e-6)


def test_sigterm_cancels_with_checkpoint_and_resume_finishes(tiny, tmp_path):
    cfg = write_config(tmp_path, tiny, epochs=30, checkpointEvery=50)
    p = subprocess.Popen([sys.executable, "-m", "sealens.runner", "--config", str(cfg), "--run-dir",
                          str(tmp_path / "run"), "--threads", "1"], env=ENV, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if '"step": 3,' in line:
            p.send_signal(signal.SIGTERM)
            break
    p.stdout.read()
    assert p.wait(timeout=60) == 4
    ev = events(tmp_path / "run")
    cancelled = [e for e in ev if e["event"] == "cancelled"]
    assert cancelled and Path(cancelled[0]["checkpoint"]).is_dir()
    r = run(cfg, tmp_path / "run")
    assert r.returncode == 0
    starts = [e for e in events(tmp_path / "run") if e["event"] == "start"]
    assert starts[-1]["resumedFrom"] == cancelled[0]["step"]


def test_two_gloo_processes_equal_one_process_with_the_same_global_batch(tiny, tmp_path):
    over = dict(epochs=3, batchSize=6, checkpointEvery=100)
    assert run(write_config(tmp_path / "one", tiny, **over), tmp_path / "one/run").returncode == 0
    cfg = write_config(tmp_path / "two", tiny, **over)
    r = subprocess.run([sys.executable, "-m", "sealens.runner.launch", "--nproc-per-node", "2", "--", "--config",
                        str(cfg), "--run-dir", str(tmp_path / "two/run"), "--threads", "1"],
                       env=ENV, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert [e["worldSize"] for e in events(tmp_path / "two/run") if e["event"] == "start"] == [2]
    one, two = curve(tmp_path / "one/run"), curve(tmp_path / "two/run")
    assert sorted(one) == sorted(two)
    for s in one:
        np.testing.assert_allclose(two[s], one[s], rtol=1e-4, atol=1e-5, err_msg=f"step {s}")
    a, b = load_file(str(tmp_path / "one/run/out/adapter.safetensors")), load_file(str(tmp_path / "two/run/out/adapter.safetensors"))
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------ interpreter check
def test_trainer_reports_its_environment_first_and_refuses_an_old_torch(tiny, tmp_path):
    from sealens.runner.environment import version_tuple
    assert version_tuple("1.13.0a0+gitunknown") == (1, 13) and version_tuple("2.3.1+cu121") == (2, 3)
    cfg = write_config(tmp_path / "c", tiny, epochs=1)
    r = run(cfg, tmp_path / "ok", "--help")   # argparse only: nothing imported, nothing trained
    assert r.returncode == 0
    old = tmp_path / "old-torch"
    (old / "torch").mkdir(parents=True)
    (old / "torch" / "__init__.py").write_text('__version__ = "1.12.1"\n')
    env = {**ENV, "PYTHONPATH": f"{old}{os.pathsep}{ENV['PYTHONPATH']}"}
    r = subprocess.run([sys.executable, "-m", "sealens.runner", "--config", str(cfg), "--run-dir", str(tmp_path / "r")],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 6, r.stderr
    ev = json.loads(r.stdout.splitlines()[0])
    assert ev["event"] == "error" and ev["kind"] == "environment"
    assert "has PyTorch 1.12.1; the trainer needs 1.13 or newer" in ev["message"] and "pip install -U" in ev["message"]
    assert not (tmp_path / "r" / "run.lock").exists(), "the lock is released on the way out"


def test_a_sweep_config_is_not_trained_as_one_run(tiny, tmp_path):
    cfg = write_config(tmp_path / "run", tiny, lambdas=[0, 1, 8])
    r = run(cfg, tmp_path / "run")
    assert r.returncode == 2, r.stderr
    assert "lambdas: this config describes a λ sweep ([0, 1, 8]); run it with `sea-lens sweep --config" in r.stderr
    assert not (tmp_path / "run" / "cache").exists(), "refused before any work"
