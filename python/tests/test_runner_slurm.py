"""The trainer's side of the Slurm script (src/training/slurmScript.ts): `launch --slurm` maps Slurm's task ids
to torch's environment, `launch --check` states the supported PyTorch range, the run lock is host-aware
(a lock of another host is never judged by a local pid check, except one of an earlier start of the same
Slurm job), and USR1 makes the trainer checkpoint and stop like a cancel (exit 4)."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, write_run_config
from sealens.runner import __main__ as entry
from sealens.runner import launch
from sealens.runner.tinypack import build

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "OMP_NUM_THREADS": "1"}


def test_slurm_env_maps_task_ids_to_torch_ranks():
    env = launch.slurm_env({"SLURM_PROCID": "5", "SLURM_LOCALID": "1", "SLURM_NTASKS": "8", "SLURM_JOB_NUM_NODES": "2",
                            "MASTER_ADDR": "node-07", "MASTER_PORT": "41234"})
    assert env == {"RANK": "5", "LOCAL_RANK": "1", "WORLD_SIZE": "8", "LOCAL_WORLD_SIZE": "4"}


def test_slurm_mode_outside_srun_names_what_is_missing():
    r = subprocess.run([sys.executable, "-m", "sealens.runner.launch", "--slurm", "--", "--config", "c"],
                       env={k: v for k, v in ENV.items() if not k.startswith(("SLURM_", "MASTER_"))},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "SLURM_PROCID, SLURM_LOCALID, SLURM_NTASKS, MASTER_ADDR, MASTER_PORT are not set" in r.stderr
    assert "Traceback" not in r.stderr


def test_check_states_the_interpreter_and_the_supported_torch_range(monkeypatch, capsys):
    assert launch.check() == 0
    assert "PyTorch" in capsys.readouterr().err
    monkeypatch.setattr(launch, "SUPPORTED_TORCH", ((1, 13), (1, 13)))   # an empty range: this torch is outside it
    assert launch.check() == 6
    err = capsys.readouterr().err
    assert "multi-process training supports >= 1.13 and < 1.13" in err and "pip install" in err


def test_free_port_is_bindable():
    p = launch.free_port("")
    with socket.socket() as s:
        s.bind(("", p))


def _lock(d: Path, **rec):
    (d / "run.lock").write_text(json.dumps(rec))


def test_lock_of_another_host_is_busy_even_with_a_dead_local_pid(tmp_path, monkeypatch):
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    _lock(tmp_path, pid=999999999, host="gpu-node-07", slurmJobId="17")
    with pytest.raises(entry.BusyError, match=r"held by pid 999999999 on host gpu-node-07 \(Slurm job 17\).*delete"):
        entry.acquire_lock(tmp_path)


def test_lock_of_an_earlier_start_of_the_same_slurm_job_is_taken_over(tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "17")
    _lock(tmp_path, pid=123, host="gpu-node-07", slurmJobId="17")
    lock = entry.acquire_lock(tmp_path)
    rec = json.loads(lock.read_text())
    assert rec == {"pid": os.getpid(), "host": socket.gethostname(), "slurmJobId": "17"}


def test_local_locks_live_dead_and_old_format(tmp_path, monkeypatch):
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    _lock(tmp_path, pid=os.getppid(), host=socket.gethostname())
    with pytest.raises(entry.BusyError, match=r"pid \d+\) is already using"):
        entry.acquire_lock(tmp_path)
    (tmp_path / "run.lock").write_text(str(os.getppid()))   # older trainers wrote a bare pid
    with pytest.raises(entry.BusyError):
        entry.acquire_lock(tmp_path)
    (tmp_path / "run.lock").write_text("999999999")
    assert entry.acquire_lock(tmp_path).exists()


def test_usr1_checkpoints_and_stops_like_a_cancel(tmp_path):
    tiny = build(tmp_path / "tiny", n_images=6)
    cfg = write_run_config(tmp_path, tiny, outputName="ft", epochs=2000, batchSize=2, validationImages=2,
                           checkpointEvery=5, device="cpu")
    run_dir = tmp_path / "run"
    p = subprocess.Popen([sys.executable, "-m", "sealens.runner", "--config", str(cfg), "--run-dir", str(run_dir),
                          "--threads", "1"], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    for line in p.stdout:
        if '"event": "step"' in line:
            break
        assert time.time() - t0 < 90, "no step within 90 s"
    p.send_signal(signal.SIGUSR1)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 4, err
    events = [json.loads(x) for x in (run_dir / "progress.jsonl").read_text().splitlines()]
    cancelled = [e for e in events if e["event"] == "cancelled"]
    assert len(cancelled) == 1 and Path(cancelled[0]["checkpoint"]).is_dir()
    assert not (run_dir / "run.lock").exists()
