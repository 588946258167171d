#!/usr/bin/python3
"""Training at scale on the demo world: peak memory against dataset size, and the reproduction of the demo
pack's `sea` adapter from `baseline` with the training wizard's defaults.

    python3 bench/train_scale.py --data DIR [--sizes 10000,100000] [--memory-steps 100] [--reproduce 16000]
                                 [--reproduce-config '{"batchSize": 32}'] [--json FILE]

DIR holds the demo world written as a dataset (`sea-lens dataset demo --n 100000 --out DIR`; the smaller
sizes are taken as the first N images, linked into folders of their own) and, for --reproduce, DIR-test:
held-out scenes (`--split test`, 1,000 are plenty). Each run is the real trainer (`python -m sealens.runner`)
with a fresh run folder (cold: features encoded, no cache), sampled every 0.2 s: the resident memory of the
trainer and its decode workers together (peak), its own VmHWM, wall time and images/s. Memory runs encode every
image, then stop after --memory-steps training steps (batch 32): from there on memory no longer depends on the
dataset.
--reproduce trains from `baseline` with the wizard's defaults for a real dataset (1 epoch, batch 32, λ 1,
lr 1e-3, 256 validation images, a checkpoint every 10 steps) and then scores `baseline`, the shipped `sea` and the trained adapter on the held-out
scenes with the trainer's own metrics (patch-word accuracy overall, class-balanced and per kind: background
patches, object patches)."""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))   # the held-out scoring runs in this process
PACK = ROOT / "media" / "demo-pack"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
# What the training wizard proposes for a dataset of ≥ 1,000 images (src/training/wizardDefaults.ts, RUN_CONFIG_DEFAULTS)
WIZARD = {"startAdapter": "baseline", "lambda": 1.0, "epochs": 1, "learningRate": 1e-3, "batchSize": 32,
          "validationImages": 256, "checkpointEvery": 10, "device": "cpu", "seed": 0}


def subset(data: Path, n: int, work: Path) -> Path:
    """The first n images of DIR (with their .txt and .truth.json), hard-linked into a folder of their own."""
    names = sorted(p.name for p in data.glob("*.png"))
    if len(names) < n:
        sys.exit(f"{data} has {len(names)} images; --sizes asks for {n}: write more with sea-lens dataset demo")
    out = work / f"d{n}"
    out.mkdir()
    for name in names[:n]:
        stem = name[:-4]
        for f in (name, stem + ".txt", stem + ".truth.json"):
            if (data / f).exists():
                os.link(data / f, out / f)
    return out


def tree_rss_kb(pid: int) -> int:
    """Resident memory of pid and all its descendants (decode workers), from /proc."""
    kids: dict = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += kids.get(p, [])
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total


def hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return 0


def last_events(run: Path) -> dict:
    """The last event of each kind in the run's progress file."""
    out: dict = {}
    f = run / "progress.jsonl"
    if f.is_file():
        for line in f.read_text().splitlines():
            try:
                e = json.loads(line)
                out[e["event"]] = e
            except (ValueError, KeyError):
                pass   # the line being written
    return out


def train(dataset: Path, work: Path, name: str, threads: int, stop_after: int = 0, **over) -> dict:
    """One cold run; with stop_after, SIGTERM once that many steps are done (the trainer checkpoints and exits 4):
    memory no longer depends on the dataset once batches flow, so the rest of the epoch adds nothing to the peak."""
    run = work / f"run-{name}"
    run.mkdir()
    cfg = {"formatVersion": 1, "pack": str(PACK), "dataset": str(dataset), "outputName": name, **WIZARD, **over}
    (run / "config.json").write_text(json.dumps(cfg))
    t0 = time.time()
    p = subprocess.Popen([sys.executable, "-m", "sealens.runner", "--config", str(run / "config.json"), "--run-dir",
                          str(run), "--threads", str(threads)], env=ENV, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    peak_tree = peak_main = 0
    stopped = False
    while p.poll() is None:
        peak_tree = max(peak_tree, tree_rss_kb(p.pid))
        peak_main = max(peak_main, hwm_kb(p.pid))
        if stop_after and not stopped and last_events(run).get("step", {}).get("step", 0) >= stop_after:
            p.send_signal(signal.SIGTERM)
            stopped = True
        time.sleep(0.2)
    err = p.stderr.read()
    if p.returncode != (4 if stopped else 0):
        sys.exit(f"trainer exited {p.returncode} on {dataset}:\n{err[-2000:]}")
    ev = last_events(run)
    step, start = ev["step"], ev["start"]
    row = {"dataset": str(dataset), "images": start["images"], "steps": step["step"], "totalSteps": step["totalSteps"],
           "wallSeconds": round(time.time() - t0, 1), "secondsUntilTraining": round(start["time"] - t0, 1),
           "trainSeconds": step["elapsedSeconds"], "imagesPerSecond": step["imagesPerSecond"],
           "peakRssTreeMB": round(peak_tree / 1024), "peakRssTrainerMB": round(peak_main / 1024), "stoppedEarly": stopped,
           "runDir": str(run), "adapter": str(run / "out" / "adapter.safetensors")}
    if not stopped:
        s = json.loads((run / "summary.json").read_text())
        row.update(trainSeconds=s["trainSeconds"], imagesPerSecond=s["imagesPerSecond"], evaluation=s["evaluation"])
    return row


def row_read_ms(run_dir: Path, batch: int = 32, reps: int = 200) -> dict:
    """What streaming adds to a training step: reading one random batch's rows (features + labels) from the
    run's store, median over `reps` batches, against the step time the run itself measured."""
    import numpy as np
    import torch
    from sealens.runner.feature_store import open_finished, _read_meta
    folder = run_dir / "cache" / "features"
    store = open_finished(folder, _read_meta(folder)["fingerprint"])
    g = torch.Generator().manual_seed(0)
    times = []
    for _ in range(reps):
        idx = torch.randint(0, store.rows, (batch,), generator=g)
        t0 = time.perf_counter()
        for name in ("features", "label_idx", "label_scores"):
            if store.array(name) is not None:
                store.array(name)[idx]
        times.append((time.perf_counter() - t0) * 1000)
    return {"rows": store.rows, "batch": batch, "medianMs": round(float(np.median(times)), 3),
            "p95Ms": round(float(np.percentile(times, 95)), 3)}


def held_out_scores(test_dir: Path, trained: Path) -> dict:
    """baseline, sea and the trained adapter on the held-out scenes, with the trainer's own metrics."""
    import torch
    from sealens.runner import dataset, features, finish
    from sealens.runner.sources import from_pack
    from sealens.safetensors_io import load_file
    from sealens.models import Adapter
    cpu = torch.device("cpu")
    src = from_pack(PACK, cpu)
    ds = dataset.load(test_dir, src.preprocessor)
    F = torch.from_numpy(features.compute(src, ds, cpu)["features"])
    truth = [it.truth for it in ds.items]
    caps = [src.tokenizer.encode(it.caption) if it.caption else None for it in ds.items]

    def score(weights) -> dict:
        ad = Adapter(F.shape[-1], src.embed.shape[1])
        ad.net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
        with torch.no_grad():
            vis = torch.cat([ad(F[i:i + 64]) for i in range(0, len(F), 64)])
        m = finish.metrics(vis, None, None, None, truth, caps, src.embed, src.tokenizer, src.words)
        return {k: m[k] for k in ("images", "patchWordAccuracy", "classBalancedAccuracy", "perKind")}

    def pack_adapter(name):
        w0, b0, w2, b2 = src.pack.adapter(name)
        return {"0.weight": w0, "0.bias": b0, "2.weight": w2, "2.bias": b2}

    sd = load_file(str(trained))
    mine = {k.replace("model.mm_projector.", ""): v for k, v in sd.items() if k.startswith("model.mm_projector.")}
    return {"baseline": score(pack_adapter("baseline")), "sea": score(pack_adapter("sea")), "trained": score(mine)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--reproduce", type=int, default=0, help="images for the sea reproduction (0: skip)")
    ap.add_argument("--reproduce-config", default="{}", help="JSON: run-config keys over the wizard's defaults")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-steps", type=int, default=100, help="training steps of each memory run (0: the whole epoch)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    rows = {"memory": [], "reproduce": None}
    with tempfile.TemporaryDirectory(prefix="sealens-train-scale-") as tmp:
        work = Path(tmp)
        for n in [int(x) for x in a.sizes.split(",") if x]:
            # what is measured is memory against dataset size: encoding all, then --memory-steps training steps
            r = train(subset(a.data, n, work), work, f"mem{n}", a.threads, stop_after=a.memory_steps, epochs=1,
                      batchSize=32, checkpointEvery=50)
            r["rowRead"] = row_read_ms(Path(r["runDir"]))
            r["stepMs"] = round(r["trainSeconds"] / max(1, r["steps"]) * 1000, 1)
            rows["memory"].append(r)
            print(json.dumps(r), flush=True)
        if a.reproduce:
            r = train(subset(a.data, a.reproduce, work), work, "repro", a.threads, **json.loads(a.reproduce_config))
            print(json.dumps({k: v for k, v in r.items() if k != "evaluation"}), flush=True)
            r["heldOut"] = held_out_scores(Path(str(a.data) + "-test"), Path(r["adapter"]))
            rows["reproduce"] = r
            print(json.dumps(r), flush=True)
    if len(rows["memory"]) >= 2:
        lo, hi = rows["memory"][0], rows["memory"][-1]
        print(f"peak RSS (trainer + workers) {lo['images']} → {hi['images']} images: {lo['peakRssTreeMB']} → "
              f"{hi['peakRssTreeMB']} MB ({(hi['peakRssTreeMB'] / lo['peakRssTreeMB'] - 1) * 100:+.1f} %); training "
              f"{lo['imagesPerSecond']} → {hi['imagesPerSecond']} images/s; a batch's rows read in "
              f"{lo['rowRead']['medianMs']} → {hi['rowRead']['medianMs']} ms of a {lo['stepMs']} → {hi['stepMs']} ms step")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
