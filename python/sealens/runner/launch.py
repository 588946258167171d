"""Single-node multi-process launch: N copies of the runner with the environment torchrun's static
rendezvous sets (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT).

Why not torchrun itself: torch 1.13's `torch.distributed.run` fails on Python 3.11 before starting any
worker (its redirect settings parse to None: `AttributeError: 'NoneType' object has no attribute 'get'`).
Multi-node runs (the exported Slurm script) still use torchrun from the cluster's PyTorch.

    python -m sealens.runner.launch --nproc-per-node 2 -- --config C --run-dir R
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sealens.runner.launch")
    ap.add_argument("--nproc-per-node", type=int, required=True)
    ap.add_argument("runner_args", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    if a.nproc_per_node < 1:
        print("--nproc-per-node must be ≥ 1", file=sys.stderr)
        return 2
    args = [x for x in a.runner_args if x != "--"]
    port = str(free_port())
    procs = []
    for r in range(a.nproc_per_node):
        env = {**os.environ, "RANK": str(r), "LOCAL_RANK": str(r), "WORLD_SIZE": str(a.nproc_per_node),
               "LOCAL_WORLD_SIZE": str(a.nproc_per_node), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port}
        procs.append(subprocess.Popen([sys.executable, "-m", "sealens.runner", *args], env=env))

    def forward(signum, _frame):   # cancellation reaches every rank; they stop at the same step
        for p in procs:
            if p.poll() is None:
                p.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = [p.wait() for p in procs]
    bad = [c for c in codes if c != 0]
    return bad[0] if bad else 0


if __name__ == "__main__":
    sys.exit(main())
