"""The resumable training loop: L = L_g + λ·L_a (Eq. 12) with only the adapter (and the logit scale of
Eq. 11) trainable, AdamW with cosine schedule and warm-up (LLaVA-1.5 recipe), checkpoints every
`checkpoint_every` steps and on cancellation.

Determinism for resume: the data order of an epoch comes from a generator seeded by (seed, epoch), SEA's
per-step sampling from one seeded by (seed, step); model, optimizer, RNG state and step are restored
from the checkpoint, so a resumed run reproduces the uninterrupted loss curve.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional

import numpy as np
import torch

from .. import sea
from ..models import Adapter
from ..train import caption_batch, caption_loss, cosine_lr
from . import checkpoint, distributed
from .distributed import World
from .validation import images_through

Emit = Callable[..., None]


# torch seeds are 64-bit: a large config seed (up to 2^53) times 1_000_003 would overflow, so the mixed
# value is reduced modulo 2^63 (unchanged for every seed below ~9.2e12).
_SEED_MOD = 1 << 63


def step_generator(seed: int, step: int) -> torch.Generator:
    return torch.Generator().manual_seed((seed * 1_000_003 + 7_919 * step + 1) % _SEED_MOD)


def epoch_order(seed: int, epoch: int, n: int) -> torch.Tensor:
    return torch.randperm(n, generator=torch.Generator().manual_seed((seed * 1_000_003 + 104_729 * epoch + 2) % _SEED_MOD))


class DivergedError(ArithmeticError):
    """The loss became NaN/Inf: every later step would only spread it into the weights."""


@dataclass
class Batch:
    step: int
    epoch: int
    idx: torch.Tensor          # global batch: dataset indices


def plan(n_train: int, batch: int, epochs: int):
    per_epoch = max(1, math.ceil(n_train / batch))
    return per_epoch, per_epoch * epochs


def batch_for(step: int, train_ids: torch.Tensor, batch: int, per_epoch: int, seed: int) -> Batch:
    epoch, k = divmod(step, per_epoch)
    order = epoch_order(seed, epoch, train_ids.numel())
    return Batch(step, epoch, train_ids[order[k * batch:(k + 1) * batch]])


class Trainer:
    def __init__(self, cfg, adapter: Adapter, feats: torch.Tensor, label_idx, label_scores, label_emb,
                 cap_ids: List[Optional[List[int]]], lm, tok_ids, train_ids: torch.Tensor, val_ids: torch.Tensor,
                 device, world: World, emit: Emit, run_dir: Path, should_stop: Callable[[], bool]):
        self.cfg, self.adapter, self.feats, self.device, self.world, self.emit = cfg, adapter, feats, device, world, emit
        self.label_idx, self.label_scores, self.label_emb = label_idx, label_scores, label_emb
        self.cap_ids, self.lm, self.train_ids, self.val_ids = cap_ids, lm, train_ids, val_ids
        self.bos, self.eos, self.pad = tok_ids
        self.run_dir, self.should_stop = run_dir, should_stop
        self.scale = sea.LogitScale().to(device)
        self.use_la = cfg.lam > 0 and label_idx is not None
        self.use_lg = lm is not None and any(c for c in cap_ids)
        self.params = list(adapter.parameters()) + (list(self.scale.parameters()) if self.use_la else [])
        self.opt = torch.optim.AdamW(self.params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
        P = feats.shape[1]
        self.rows = self.cols = int(round(math.sqrt(P)))
        if self.rows * self.cols != P:
            from .config import ConfigError
            raise ConfigError(f"{P} patch tokens do not form a square grid; set imageEncoder.prefixTokens in the "
                              f"pack manifest (the number of CLS/register tokens before the patches)")
        self.per_epoch, self.total = plan(train_ids.numel(), cfg.batch_size, cfg.epochs)
        self.step, self.pairs_total, self.elapsed = 0, 0, 0.0

    # ------------------------------------------------------------------ state
    def model_tensors(self):
        t = {f"adapter.{k}": v.detach().cpu().numpy() for k, v in self.adapter.net.state_dict().items()}
        t["logit_scale"] = self.scale.log_scale.detach().cpu().numpy().reshape(1)
        return t

    def save(self) -> Path:
        return checkpoint.save(self.run_dir / "checkpoints", self.step, self.model_tensors(), self.opt,
                               {"pairs_total": self.pairs_total, "elapsed_s": self.elapsed, "total_steps": self.total})

    def restore(self) -> Optional[int]:
        found = checkpoint.latest(self.run_dir / "checkpoints")
        if not found:
            return None
        folder, st = found
        if st.get("total_steps") != self.total:
            from .config import ConfigError
            raise ConfigError(f"{folder}: checkpoint was made for {st.get('total_steps')} steps but the config now "
                             f"gives {self.total}; start a new run (SEA Lens: Rerun Training…) instead of resuming")
        t = checkpoint.load_tensors(folder)
        self.adapter.net.load_state_dict({k[len("model.adapter."):]: torch.from_numpy(v.copy())
                                          for k, v in t.items() if k.startswith("model.adapter.")})
        with torch.no_grad():
            self.scale.log_scale.copy_(torch.from_numpy(t["model.logit_scale"].copy()).reshape(()))
        checkpoint.load_optimizer(self.opt, t, st["optimizer"])
        checkpoint.set_rng_state(st["rng"])
        self.step, self.pairs_total, self.elapsed = st["step"], st["pairs_total"], st["elapsed_s"]
        return self.step

    # ------------------------------------------------------------------ one step
    def losses(self, b: Batch):
        w, dev = self.world, self.device
        own = distributed.shard(b.idx, w)
        local = b.idx[own.start:own.stop]
        vis = self.adapter(self.feats[local].to(dev).float())
        lg = torch.zeros((), device=dev)
        if self.use_lg:
            has = [self.cap_ids[int(i)] is not None for i in b.idx]
            n_tok = sum(len(self.cap_ids[int(i)]) + 1 for i, h in zip(b.idx, has) if h)
            caps = [self.cap_ids[int(i)] or [] for i in local]
            ids = caption_batch(caps, self.eos, self.pad, dev)
            l, valid = caption_loss(self.lm, vis, ids, self.bos, self.pad, reduction="none")
            valid = valid & torch.tensor(has[own.start:own.stop], device=dev)[:, None]
            lg = (l * valid).sum() / max(1, n_tok)           # this rank's share of the global mean
        la = torch.zeros((), device=dev)
        n_pairs = 0
        if self.use_la:
            gen = step_generator(self.cfg.seed, b.step)
            bi, pi, wi = sea.sea_pairs(self.label_idx[b.idx], self.label_scores[b.idx], self.rows, self.cols, gen,
                                       self.cfg.window)
            n_pairs = int(bi.numel())
            if n_pairs >= 2:
                counts = []
                for r in range(w.size):
                    sh = distributed.shard(b.idx, World(r, w.size))
                    counts.append(int(((bi >= sh.start) & (bi < sh.stop)).sum()))
                mine = (bi >= own.start) & (bi < own.stop)
                x_local = vis[(bi[mine] - own.start).to(dev), pi[mine].to(dev)]
                x = distributed.gather_rows(x_local, counts, w)
                la = sea.symmetric_infonce(x, self.label_emb[wi.to(dev)], self.scale())
        return lg, la, n_pairs

    def train_step(self, b: Batch) -> dict:
        lr = cosine_lr(b.step, self.total, self.cfg.learning_rate, self.cfg.warmup_fraction)
        for pg in self.opt.param_groups:
            pg["lr"] = lr
        lg, la, n_pairs = self.losses(b)
        loss = lg + self.cfg.lam * la
        self.opt.zero_grad(set_to_none=True)
        if loss.requires_grad:
            loss.backward()
        distributed.sum_grads(self.params, self.world)
        if self.use_la and self.world.size > 1 and self.scale.log_scale.grad is not None:
            self.scale.log_scale.grad /= self.world.size   # every rank computed the whole L_a for τ
        self.opt.step()
        lg_g = distributed.sum_scalars([float(lg.detach())], self.world, self.device)[0]
        return {"lossG": lg_g, "lossA": float(la.detach()), "loss": lg_g + self.cfg.lam * float(la.detach()), "lr": lr, "pairs": n_pairs}

    @torch.no_grad()
    def agreement(self) -> Optional[float]:
        """Share of validation patches whose nearest label word (cosine to the words' LLM embeddings,
        Eq. 10) equals their top CLIP label — the token-level target of SEA."""
        if self.label_idx is None or self.val_ids.numel() == 0:
            return None
        v = torch.nn.functional.normalize(self.adapter(self.feats[self.val_ids].to(self.device).float()), dim=-1)
        near = (v @ torch.nn.functional.normalize(self.label_emb, dim=-1).t()).argmax(-1).cpu()
        top = self.label_idx[self.val_ids][..., 0]
        ok = self.label_scores[self.val_ids][..., 0] > 0
        return float(((near == top) & ok).sum()) / max(1, int(ok.sum()))

    # ------------------------------------------------------------------ loop
    def run(self) -> str:
        """Returns 'done' or 'cancelled'."""
        self.adapter.train()
        cfg, main = self.cfg, self.world.main
        if main and self.step == 0:
            self.emit(event="validation", step=0, agreement=self.agreement())
        while self.step < self.total:
            if distributed.broadcast_flag(self.should_stop(), self.world, self.device):
                if main:
                    path = self.save()
                    self.emit(event="cancelled", step=self.step, totalSteps=self.total, checkpoint=str(path))
                return "cancelled"
            t0 = time.perf_counter()
            b = batch_for(self.step, self.train_ids, cfg.batch_size, self.per_epoch, cfg.seed)
            r = self.train_step(b)
            if not math.isfinite(r["loss"]):
                raise DivergedError(f"training diverged: the loss is {r['loss']} at step {self.step + 1} "
                                    f"(L_g {r['lossG']}, L_a {r['lossA']}); lower learningRate or check the "
                                    f"start adapter and the dataset for NaN values")
            self.step += 1
            self.elapsed += time.perf_counter() - t0
            self.pairs_total += r["pairs"]
            if main:
                s = float(self.scale().detach())
                self.emit(event="step", step=self.step, totalSteps=self.total, epoch=b.epoch + 1,
                          loss=round(r["loss"], 6), lossG=round(r["lossG"], 6), lossA=round(r["lossA"], 6),
                          tau=round(1 / s, 6), logitScale=round(s, 4), lr=r["lr"], pairs=r["pairs"],
                          pairsPerSecond=round(self.pairs_total / max(self.elapsed, 1e-9), 1),
                          imagesPerSecond=round(images_through(self.step, self.train_ids.numel(), cfg.batch_size,
                                                               self.per_epoch) / max(self.elapsed, 1e-9), 2),
                          elapsedSeconds=round(self.elapsed, 3))
            last = self.step == self.total
            if main and (self.step % cfg.checkpoint_every == 0 or last):
                self.emit(event="validation", step=self.step, agreement=self.agreement())
                self.emit(event="checkpoint", step=self.step, path=str(self.save()))
        self.adapter.eval()
        return "done"
