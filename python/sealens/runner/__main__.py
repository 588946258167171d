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

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_DISK, EXIT_CANCELLED, EXIT_BUSY, EXIT_ENV = 0, 1, 2, 3, 4, 5, 6


class Emitter:
    def __init__(self, run_dir: Path, enabled: bool):
        self.enabled = enabled
        self.file = open(run_dir / "progress.jsonl", "a") if enabled else None

    def __call__(self, **event):
        if not self.enabled:
            return
        event.setdefault("time", round(time.time(), 3))
        line = json.dumps(event, allow_nan=False, default=str)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        self.file.write(line + "\n")
        self.file.flush()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def acquire_lock(run_dir: Path) -> Path:
    """O_EXCL lock file with our pid; a lock whose process is gone is stale and taken over."""
    lock = run_dir / "run.lock"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            return lock
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or "0")
            except (OSError, ValueError):
                pid = 0
            if pid and _pid_alive(pid):
                raise BusyError(f"{run_dir}: a training run (pid {pid}) is already using this run folder; "
                                f"cancel it first or start a new run") from None
            lock.unlink(missing_ok=True)
    raise BusyError(f"{lock}: could not take the run lock")


class BusyError(RuntimeError):
    pass


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sealens.runner", description="SEA adapter fine-tuning run")
    ap.add_argument("--config", required=True, help="run config JSON (docs/training.md)")
    ap.add_argument("--run-dir", required=True, help="run folder: checkpoints, progress.jsonl, summary.json")
    ap.add_argument("--out", default=None, help="where adapter.safetensors + adapter.onnx go (default RUN/out)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    a = ap.parse_args(argv)
    run_dir = Path(a.run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    rank = int(os.environ.get("RANK", "0"))
    emit = Emitter(run_dir, rank == 0)
    stop = {"flag": False}

    def on_signal(signum, _frame):
        stop["flag"] = True   # the loop checkpoints and exits at the next step boundary

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
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
            emit(event="error", kind="environment", message=str(e))
            print(f"error: {e}", file=sys.stderr)
            return EXIT_ENV
        from .run import execute
        status = execute(Path(a.config), run_dir, Path(a.out).resolve() if a.out else run_dir / "out", emit,
                         lambda: stop["flag"] or cancel_file.exists(), a.threads)
        return EXIT_OK if status == "done" else EXIT_CANCELLED
    except BusyError as e:
        print(str(e), file=sys.stderr)
        return EXIT_BUSY
    except Exception as e:  # every failure becomes one clear event + exit code
        from .checkpoint import DiskFullError
        from .config import ConfigError
        from .dataset import DatasetError
        from .sources import SourceError
        from .onnx_torch import OnnxGraphError
        if isinstance(e, DiskFullError):
            code, kind = EXIT_DISK, "diskFull"
        elif isinstance(e, (ConfigError, DatasetError, SourceError, OnnxGraphError)):
            code, kind = EXIT_INPUT, "input"
        else:
            code, kind = EXIT_FAILED, "internal"
            traceback.print_exc(file=sys.stderr)
        emit(event="error", kind=kind, message=str(e))
        print(f"error: {e}", file=sys.stderr)
        return code
    finally:
        if lock is not None:
            lock.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
