"""Multi-process training (torchrun): gloo on CPU, nccl on CUDA.

SEA's sampling and de-duplication are defined per GLOBAL batch: every rank draws the same global batch
and the same (window, label, de-dup) choices from a generator seeded by (seed, step), then keeps only the
pairs of its own images. Each rank's loss is its share of the global loss (caption tokens divided by the
global token count; L_a over all pairs, other ranks' visual tokens gathered and detached), and gradients
are summed across ranks — so N processes compute what one process computes for the same global batch.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List

import torch


@dataclass
class World:
    rank: int = 0
    size: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def init(device: torch.device) -> World:
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    import torch.distributed as dist
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return World(dist.get_rank(), dist.get_world_size())


def shard(global_idx: torch.Tensor, w: World) -> range:
    """Contiguous block of the global batch positions owned by rank w.rank."""
    n = global_idx.numel()
    per, rem = divmod(n, w.size)
    start = w.rank * per + min(w.rank, rem)
    return range(start, start + per + (1 if w.rank < rem else 0))


def gather_rows(local: torch.Tensor, counts: List[int], w: World) -> torch.Tensor:
    """Concatenate every rank's rows in rank order; only the local block keeps its autograd graph."""
    if w.size == 1:
        return local
    import torch.distributed as dist
    m = max(counts)
    pad = torch.zeros((m,) + tuple(local.shape[1:]), dtype=local.dtype, device=local.device)
    pad[:local.shape[0]] = local.detach()
    bufs = [torch.empty_like(pad) for _ in range(w.size)]
    dist.all_gather(bufs, pad)
    parts = [local if r == w.rank else bufs[r][:counts[r]] for r in range(w.size)]
    return torch.cat(parts)


def sum_grads(params: List[torch.nn.Parameter], w: World) -> None:
    if w.size == 1:
        return
    import torch.distributed as dist
    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)


def sum_scalars(values: List[float], w: World, device) -> List[float]:
    if w.size == 1:
        return values
    import torch.distributed as dist
    t = torch.tensor(values, dtype=torch.float64 if device.type == "cpu" else torch.float32, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return [float(v) for v in t.tolist()]


def barrier(w: World) -> None:
    if w.size > 1:
        import torch.distributed as dist
        dist.barrier()


def broadcast_flag(flag: bool, w: World, device) -> bool:
    """Cancellation seen by any rank stops all ranks at the same step."""
    if w.size == 1:
        return flag
    import torch.distributed as dist
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def finish(w: World) -> None:
    if w.size > 1:
        import torch.distributed as dist
        dist.destroy_process_group()
