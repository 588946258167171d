"""Single-node multi-process launch: N copies of the runner with the environment torchrun's static
rendezvous sets (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT).

Why not torchrun itself: torch 1.13's `torch.distributed.run` fails on Python 3.11 before starting any
worker (its redirect settings parse to None: `AttributeError: 'NoneType' object has no attribute 'get'`).
Multi-node runs (the exported Slurm script) still use torchrun from the cluster's PyTorch.

    python -m sealens.runner.launch --nproc-per-node 2 -- --config C --run-dir R

The exported Slurm script (src/training/slurmScript.ts) uses the other modes: `--check` (the interpreter and
its PyTorch range, exit 6 with the fix), `--free-port` (a port free on this host for the rendezvous) and
`--slurm -- ARGS` (one srun task = one rank: Slurm's task ids become torch's environment, then the trainer
replaces this process, so Slurm's signals reach it directly).
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# torch versions the multi-process path is tested with (1.13 = Debian 12's python3-torch, 2.x from pip).
SUPPORTED_TORCH = ((1, 13), (3, 0))   # [min, max)


def check() -> int:
    """The Slurm script's pre-flight: one clear line and exit 6 instead of a failure on every node."""
    from .environment import EnvironmentError_, check as env_check, version_tuple
    try:
        env = env_check()
    except EnvironmentError_ as e:
        print(f"sealens: {e}", file=sys.stderr)
        return 6
    lo, hi = SUPPORTED_TORCH
    if not lo <= version_tuple(env["torch"]) < hi:
        print(f"sealens: {sys.executable} has PyTorch {env['torch']}; multi-process training supports "
              f">= {lo[0]}.{lo[1]} and < {hi[0]}.{hi[1]}. Install a supported one: "
              f"`{sys.executable} -m pip install \"torch>={lo[0]}.{lo[1]},<{hi[0]}.{hi[1]}\"`", file=sys.stderr)
        return 6
    print(f"sealens: Python {env['python']}, PyTorch {env['torch']}{' (CUDA available)' if env['cuda'] else ''}",
          file=sys.stderr)
    return 0


def slurm_env(environ) -> dict:
    """torch's env:// variables for this srun task (MASTER_ADDR/PORT come from the batch script)."""
    missing = [k for k in ("SLURM_PROCID", "SLURM_LOCALID", "SLURM_NTASKS", "MASTER_ADDR", "MASTER_PORT")
               if not environ.get(k)]
    if missing:
        raise ValueError(f"--slurm runs inside an srun task of the SEA Lens sbatch script; {', '.join(missing)} "
                         f"{'is' if len(missing) == 1 else 'are'} not set")
    nnodes = int(environ.get("SLURM_JOB_NUM_NODES") or environ.get("SLURM_NNODES") or "1")
    ntasks = int(environ["SLURM_NTASKS"])
    return {"RANK": environ["SLURM_PROCID"], "LOCAL_RANK": environ["SLURM_LOCALID"], "WORLD_SIZE": str(ntasks),
            "LOCAL_WORLD_SIZE": str(max(1, ntasks // max(1, nnodes)))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sealens.runner.launch")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--nproc-per-node", type=int)
    mode.add_argument("--slurm", action="store_true", help="run as one rank of an srun step")
    mode.add_argument("--check", action="store_true", help="check the interpreter and its PyTorch version")
    mode.add_argument("--free-port", action="store_true", help="print a TCP port free on this host")
    ap.add_argument("runner_args", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    if a.check:
        return check()
    if a.free_port:
        print(free_port(""))
        return 0
    if a.slurm:
        try:
            env = slurm_env(os.environ)
        except ValueError as e:
            print(f"sealens: {e}", file=sys.stderr)
            return 2
        os.environ.update(env)
        args = [x for x in a.runner_args if x != "--"]
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, "-m", "sealens.runner", *args])
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
    if hasattr(signal, "SIGUSR1"):   # checkpoint-and-stop (Slurm's pre-time-limit signal); not on Windows
        signal.signal(signal.SIGUSR1, forward)
    codes = [p.wait() for p in procs]
    bad = [c for c in codes if c != 0]
    return bad[0] if bad else 0


if __name__ == "__main__":
    sys.exit(main())
