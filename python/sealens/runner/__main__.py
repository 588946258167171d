"""Entry point of a fine-tuning run. Progress goes to stdout as JSON lines (one object per line, field
`event`) and to <run>/progress.jsonl; human-readable messages go to stderr.

The first progress line is `{"event": "environment", "python", "torch", "cuda", "onnx", "transformers"}`:
the trainer checks its own interpreter (the launcher's probe deliberately does not import torch).

Exit codes: 0 finished, 1 failed, 2 bad config or data (nothing trained), 3 disk full (the previous
checkpoint is intact), 4 cancelled (a checkpoint was written; run again to resume), 5 run folder busy,
6 unsupported interpreter (no/old PyTorch, no onnx: the message says what to install).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

# The documented codes are the enum TrainerExit of schemas/training-progress.schema.json; they are written
# here too because the exit path must not depend on reading a file (tests/test_progress_schema.py keeps
# them equal).
EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_DISK, EXIT_CANCELLED, EXIT_BUSY, EXIT_ENV = 0, 1, 2, 3, 4, 5, 6


class Emitter:
    """Writes each progress event (schemas/training-progress.schema.json) to stdout and progress.jsonl. With
    SEALENS_CHECK_PROGRESS=1 (the tests set it) every event is first checked against that schema, so a field
    the writer adds or renames without the schema fails the tests instead of being dropped by the reader."""

    def __init__(self, run_dir: Path, enabled: bool):
        self.enabled = enabled
        self.file = open(run_dir / "progress.jsonl", "a") if enabled else None
        self.check = None
        if enabled and os.environ.get("SEALENS_CHECK_PROGRESS") == "1":
            from .progress_schema import check_event
            self.check = check_event

    def __call__(self, **event):
        if not self.enabled:
            return
        from .checkpoint import finite_json
        event.setdefault("time", round(time.time(), 3))
        # NaN/Inf (a diverged loss, NaN weights) are written as null: JSON has no NaN and the reader
        # would drop the line.
        event = finite_json(event)
        if self.check:
            self.check(event)
        line = json.dumps(event, allow_nan=False, default=str)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        self.file.write(line + "\n")
        self.file.flush()

    def quietly(self, **event):
        """For the error path: a full disk must not turn the error report into a second error."""
        try:
            self(**event)
        except (OSError, ValueError):
            pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _lock_record() -> dict:
    import socket
    return {"pid": os.getpid(), "host": socket.gethostname(), "slurmJobId": os.environ.get("SLURM_JOB_ID") or None}


def _read_lock(lock: Path) -> dict:
    """The lock's holder; a bare pid (older trainers) is a lock of this host."""
    try:
        text = lock.read_text().strip()
    except OSError:
        return {}
    try:
        rec = json.loads(text) if text.startswith("{") else {"pid": int(text or "0")}
    except ValueError:
        return {}
    return rec if isinstance(rec, dict) else {}


def acquire_lock(run_dir: Path) -> Path:
    """O_EXCL lock file with our host, pid and Slurm job; a lock whose process is gone is stale and taken over.

    The run folder may be on a shared file system: a lock written on another host cannot be judged by a
    local pid check (that pid means another process here), so it is busy — unless it was written by an
    earlier start of this same Slurm job, which a requeue (preemption, time limit) has ended."""
    lock = run_dir / "run.lock"
    me = _lock_record()
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            os.write(fd, json.dumps(me).encode())
            os.close(fd)
            return lock
        except FileExistsError:
            held = _read_lock(lock)
            pid, host, job = held.get("pid") or 0, held.get("host"), held.get("slurmJobId")
            if host and host != me["host"]:
                if not (job and job == me["slurmJobId"]):
                    raise BusyError(f"{run_dir}: run.lock is held by pid {pid} on host {host}"
                                    f"{f' (Slurm job {job})' if job else ''}, which cannot be checked from "
                                    f"{me['host']}; if that run has ended, delete {lock} and start again") from None
            elif isinstance(pid, int) and pid > 0 and _pid_alive(pid):
                raise BusyError(f"{run_dir}: a training run (pid {pid}) is already using this run folder; "
                                f"cancel it first or start a new run") from None
            lock.unlink(missing_ok=True)
    raise BusyError(f"{lock}: could not take the run lock")


class BusyError(RuntimeError):
    pass


INPUT_ERRORS = {"ConfigError", "DatasetError", "SourceError", "OnnxGraphError", "PackError", "SafetensorsError"}


def classify(e: BaseException):
    """(exit code, error kind, one-line message) of a failure."""
    from .atomic import is_disk_full
    if is_disk_full(e):
        return EXIT_DISK, "diskFull", str(e) if str(e) else "disk full"
    # By name, so that classifying never imports torch (the failure may be that torch is missing).
    if any(c.__name__ in INPUT_ERRORS and c.__module__.startswith("sealens.") for c in type(e).__mro__):
        return EXIT_INPUT, "input", str(e)
    if type(e).__name__ == "EnvironmentError_":   # e.g. jsonschema missing when the config is read
        return EXIT_ENV, "environment", str(e)
    if isinstance(e, MemoryError):
        return EXIT_FAILED, "internal", "out of memory (MemoryError): lower batchSize or maxImages"
    if type(e).__name__ == "DivergedError":
        return EXIT_FAILED, "internal", str(e)
    first = (str(e).strip().splitlines() or [""])[0]
    return EXIT_FAILED, "internal", f"{type(e).__name__}: {first}" if first else type(e).__name__


def log_exception(run_dir: Path, e: BaseException):
    """The traceback goes to <run>/trainer.log, not to the user's terminal; returns the log's path."""
    log = run_dir / "trainer.log"
    try:
        with open(log, "a") as f:
            f.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()}\n")
            f.write("".join(traceback.format_exception(type(e), e, e.__traceback__)))
        return log
    except OSError:
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sealens.runner", description="SEA adapter fine-tuning run")
    ap.add_argument("--config", required=True, help="run config JSON (docs/training.md)")
    ap.add_argument("--run-dir", required=True, help="run folder: checkpoints, progress.jsonl, summary.json")
    ap.add_argument("--out", default=None, help="where adapter.safetensors + adapter.onnx go (default RUN/out)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    a = ap.parse_args(argv)
    run_dir = Path(a.run_dir).resolve()
    rank = int(os.environ.get("RANK", "0"))
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        emit = Emitter(run_dir, rank == 0)
    except OSError as e:
        from .atomic import is_disk_full
        print(f"error: {run_dir}: cannot create the run folder or its progress.jsonl ({e.strerror or e})",
              file=sys.stderr)
        return EXIT_DISK if is_disk_full(e) else EXIT_FAILED
    stop = {"flag": False}

    def on_signal(signum, _frame):
        stop["flag"] = True   # the loop checkpoints and exits at the next step boundary

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if hasattr(signal, "SIGUSR1"):   # Slurm's --signal before the time limit: checkpoint and stop (exit 4)
        signal.signal(signal.SIGUSR1, on_signal)
    cancel_file = run_dir / "cancel"
    lock = None
    try:
        if rank == 0:
            lock = acquire_lock(run_dir)
            cancel_file.unlink(missing_ok=True)
        from .environment import EnvironmentError_, check
        try:
            emit(event="environment", **check())
        except EnvironmentError_ as e:
            emit(event="error", kind="environment", message=str(e), exitCode=EXIT_ENV)
            print(f"error: {e}", file=sys.stderr)
            return EXIT_ENV
        from .run import execute
        status = execute(Path(a.config), run_dir, Path(a.out).resolve() if a.out else run_dir / "out", emit,
                         lambda: stop["flag"] or cancel_file.exists(), a.threads)
        return EXIT_OK if status == "done" else EXIT_CANCELLED
    except BusyError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BUSY
    except Exception as e:  # every failure becomes one clear event + exit code, never a traceback
        code, kind, message = classify(e)
        if kind == "internal":   # unexpected: the traceback is for the log, the user gets one line
            log = log_exception(run_dir, e)
            message = f"{message} (details in {log})" if log else message
        emit.quietly(event="error", kind=kind, message=message, exitCode=code)
        print(f"error: {message}", file=sys.stderr)
        return code
    finally:
        if lock is not None:
            lock.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
