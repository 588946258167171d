"""The run's before/after evaluation: validation caption loss, accuracy per true word (demo-world truth
sidecars), the validation split, and images/s as the throughput; on the shipped demo pack trained from
its `baseline` adapter over a generated demo-world dataset."""
import json
import subprocess
import sys

import pytest
import torch

from conftest import ROOT
from sealens import demo_dataset, evaluate
from sealens.runner.loop import batch_for, plan
from sealens.runner.validation import images_through, per_class_accuracy, validation_caption_loss, validation_split
from sealens.train import caption_loss

DEMO_PACK = ROOT / "media" / "demo-pack"
# every event the trainer writes is checked against schemas/training-progress.schema.json (conftest)
ENV = {"PYTHONPATH": str(ROOT / "python"), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "SEALENS_CHECK_PROGRESS": "1"}


def test_validation_split_defaults_to_many_images_but_keeps_half_for_training():
    assert validation_split(16000, 256) == 256
    assert validation_split(12, 256) == 6          # the 12 samples: half validate, half train
    assert validation_split(12, 4) == 4            # an explicit small value is kept
    assert validation_split(3, 256) == 1
    assert validation_split(2, 256) == 0
    assert validation_split(100, 0) == 0


@pytest.mark.parametrize("n_train,batch,epochs", [(10, 4, 3), (8, 4, 2), (1, 8, 1), (13, 5, 2)])
def test_images_through_counts_the_real_batches_including_short_last_ones(n_train, batch, epochs):
    per_epoch, total = plan(n_train, batch, epochs)
    ids = torch.arange(n_train)
    seen = 0
    for step in range(total):
        seen += batch_for(step, ids, batch, per_epoch, seed=3).idx.numel()
        assert images_through(step + 1, n_train, batch, per_epoch) == seen
    assert seen == n_train * epochs


def test_per_class_accuracy_on_known_answers_and_against_the_evaluator():
    torch.manual_seed(0)
    names = ["sky", "grass", "red", "circle", "blue"]
    cand = torch.randn(5, 16)
    # image 0: 3 sky patches (2 right), 1 red-circle object patch (right); image 1: 4 grass patches (1 right)
    pick = [[0, 0, 1, 3], [1, 4, 4, 4]]
    truth = [[["sky"], ["sky"], ["sky"], ["red", "circle"]], [["grass"], ["grass"], ["grass"], ["grass"]]]
    vis = torch.stack([cand[torch.tensor(p)] * 2.0 for p in pick])    # scaled: cosine ignores length
    m = per_class_accuracy(vis, names, cand, truth)
    assert m["perClass"] == {"grass": {"patches": 4, "accuracy": 0.25}, "sky": {"patches": 3, "accuracy": 2 / 3},
                             "circle": {"patches": 1, "accuracy": 1.0}, "red": {"patches": 1, "accuracy": 1.0}}
    assert m["perKind"] == {"background": {"patches": 7, "accuracy": 3 / 7}, "object": {"patches": 1, "accuracy": 1.0}}
    assert m["classBalancedAccuracy"] == pytest.approx((0.25 + 2 / 3 + 1 + 1) / 4)
    # the independent evaluator (sealens.evaluate) gives the same overall and per-kind accuracies
    caps = [[0], [1]]
    ref = evaluate.token_metrics(vis, names, cand, truth, caps, torch.randn(3, 16))
    n_bg, n_obj = 7, 1
    overall = (m["perKind"]["background"]["accuracy"] * n_bg + m["perKind"]["object"]["accuracy"] * n_obj) / 8
    assert overall == pytest.approx(ref["patch_word_accuracy"])
    assert m["perKind"]["background"]["accuracy"] == pytest.approx(ref["patch_word_accuracy_background"])


class _ToyLM(torch.nn.Module):
    """A causal LM with the decoder interface the trainer uses (embed_tokens, forward(x, first=P))."""

    def __init__(self, vocab=11, h=8):
        super().__init__()
        torch.manual_seed(1)
        self.embed_tokens = torch.nn.Embedding(vocab, h)
        self.mix = torch.nn.Linear(h, h)
        self.head = torch.nn.Linear(h, vocab)

    def forward(self, x, first=0):
        causal = torch.cumsum(x, dim=1) / torch.arange(1, x.shape[1] + 1)[None, :, None]
        return self.head(torch.tanh(self.mix(causal)))[:, first:]   # logits from position `first` on, as MiniLM


def test_validation_caption_loss_is_the_token_weighted_mean_of_single_image_losses():
    lm = _ToyLM()
    vis = torch.randn(5, 4, 8)
    caps = [[1, 2, 3], None, [4, 5], [6, 7, 8, 9, 2], [3]]        # ragged: padding must not count
    bos, eos, pad = 0, 10, 0
    got = validation_caption_loss(lm, vis, caps, bos, eos, pad, "cpu", batch=2)
    total = tokens = 0
    for i, c in enumerate(caps):
        if c:
            ids = torch.tensor([c + [eos]])
            total += float(caption_loss(lm, vis[i:i + 1], ids, bos, pad)) * (len(c) + 1)
            tokens += len(c) + 1
    assert got["imagesWithCaption"] == 4
    assert got["captionLoss"] == pytest.approx(total / tokens, rel=1e-5)
    assert validation_caption_loss(None, vis, caps, bos, eos, pad, "cpu") is None
    assert validation_caption_loss(lm, vis, [None] * 5, bos, eos, pad, "cpu") is None


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo pack trained from `baseline` (SEA, λ = 1) on 48 demo-world images, 16 of them validating."""
    if not (DEMO_PACK / "manifest.json").is_file():
        pytest.skip(f"{DEMO_PACK} is missing (it ships with the repository)")
    d = tmp_path_factory.mktemp("demo-metrics")
    assert demo_dataset.main(["--n", "48", "--out", str(d / "data")]) == 0
    cfg = d / "config.json"
    cfg.write_text(json.dumps({"formatVersion": 1, "pack": str(DEMO_PACK), "dataset": str(d / "data"), "outputName": "ft",
                               "startAdapter": "baseline", "lambda": 1.0, "epochs": 2, "batchSize": 8,
                               "learningRate": 0.003, "validationImages": 16, "checkpointEvery": 100, "device": "cpu"}))
    r = subprocess.run([sys.executable, "-m", "sealens.runner", "--config", str(cfg), "--run-dir", str(d / "run"),
                        "--threads", "1"], env=ENV, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads((d / "run" / "summary.json").read_text()), [json.loads(x) for x in r.stdout.splitlines()]


def test_before_after_report_caption_loss_and_per_class_accuracy(demo_run):
    summary, events = demo_run
    ev = summary["evaluation"]
    assert ev["evaluatedOn"] == "validation" and summary["validationImages"] == 16
    for side in ("before", "after"):
        m = ev[side]
        assert m["images"] == 16 and m["imagesWithTruth"] == 16 and m["imagesWithCaption"] == 16
        assert 0 < m["captionLoss"] < 20
        kinds = m["perKind"]
        assert kinds["background"]["patches"] + kinds["object"]["patches"] == 16 * 64
        overall = sum(k["accuracy"] * k["patches"] for k in kinds.values()) / (16 * 64)
        assert overall == pytest.approx(m["patchWordAccuracy"], abs=1e-9)
        assert len(m["perClass"]) >= 5 and all(0 <= c["accuracy"] <= 1 for c in m["perClass"].values())
    # the start adapter is `baseline` (7.6 % on held-out images); SEA moves background patches to their words
    assert ev["after"]["patchWordAccuracy"] > ev["before"]["patchWordAccuracy"] + 0.05, ev
    assert ev["after"]["captionLoss"] != ev["before"]["captionLoss"]
    assert next(e for e in events if e["event"] == "evaluation")["before"]["captionLoss"] == ev["before"]["captionLoss"]


def test_images_per_second_is_the_headline_throughput(demo_run):
    summary, events = demo_run
    assert summary["imagesTrained"] == 2 * 32
    assert summary["imagesPerSecond"] == pytest.approx(summary["imagesTrained"] / summary["trainSeconds"], rel=0.01)
    last = [e for e in events if e["event"] == "step"][-1]
    assert last["imagesPerSecond"] == pytest.approx(summary["imagesPerSecond"], rel=0.01)
