"""One run, start to finish: config -> sources (pack or Hugging Face) -> dataset -> cached features and
labels -> training loop (resumes from the last good checkpoint) -> export, overlay pack, evaluation."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .. import sea
from ..models import Adapter
from . import config as config_mod
from . import dataset as dataset_mod
from . import distributed, features, finish
from .checkpoint import write_json_atomic
from ..pack import PackError
from .config import ConfigError
from .loop import Trainer
from .token_lists import TokenLists
from .validation import images_through, validation_caption_loss, validation_split


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: \"cuda\" requested but torch.cuda.is_available() is False in this Python; "
                          "set \"device\": \"cpu\" or install a CUDA build of PyTorch")
    return torch.device(name)


def load_sources(cfg, device, cache_dir: Path):
    if cfg.llm or cfg.label_model:
        from .hf_sources import from_hf
        return from_hf(cfg, device, cache_dir)
    from .sources import from_pack
    return from_pack(cfg.resolve(cfg.pack), device)


def start_weights(cfg, src):
    """The start adapter's (w0, b0, w2, b2), checked before any slow work: it exists in the pack, its
    shapes fit the encoder and the LLM, its values are finite. None for a fresh adapter."""
    if not cfg.start_adapter:
        return None
    try:
        w = src.pack.adapter(cfg.start_adapter)
    except PackError as e:
        raise ConfigError(f"startAdapter: {e}") from None
    w0, _, w2, _ = w
    if w0.shape[1] != src.hidden_dim or w2.shape[0] != src.embed.shape[1]:
        raise ConfigError(f"startAdapter: {cfg.start_adapter!r} maps {w0.shape[1]}->{w2.shape[0]} but the "
                          f"encoder gives {src.hidden_dim} and the LLM embeddings are {src.embed.shape[1]} wide")
    for name, t in zip(("0.weight", "0.bias", "2.weight", "2.bias"), w):
        bad = np.flatnonzero(~np.isfinite(t))
        if bad.size:
            pos = np.unravel_index(bad[0], t.shape)
            raise ConfigError(f"startAdapter: {cfg.start_adapter!r} tensor {name} has {bad.size} non-finite values "
                              f"(first {t.flat[bad[0]]} at {list(map(int, pos))}); re-export the adapter")
    return w


def initial_adapter(cfg, src, weights=None) -> Adapter:
    torch.manual_seed(cfg.seed)
    ad = Adapter(src.hidden_dim, src.embed.shape[1])
    if weights is None:
        weights = start_weights(cfg, src)
    if weights is not None:
        w0, b0, w2, b2 = weights
        ad.net.load_state_dict({"0.weight": torch.from_numpy(w0), "0.bias": torch.from_numpy(b0),
                                "2.weight": torch.from_numpy(w2), "2.bias": torch.from_numpy(b2)})
    return ad


def execute(config_path: Path, run_dir: Path, out_dir: Path, emit, should_stop: Callable[[], bool],
            threads: int = 0) -> str:
    cfg = config_mod.load(config_path)
    if cfg.lambdas:   # one run trains one λ: a sweep config must not quietly train only `lambda`
        raise ConfigError(f"{config_path}: lambdas: this config describes a λ sweep ({cfg.lambdas}); run it with "
                          f"`sea-lens sweep --config {config_path}` (or SEA Lens: Sweep λ…), which trains one run "
                          f"per value, or remove lambdas to train λ = {cfg.lam} once", key="lambdas")
    summary_path = run_dir / "summary.json"
    if summary_path.is_file():
        try:
            s = json.loads(summary_path.read_text())
        except (OSError, ValueError):
            s = {}   # a damaged summary is not a finished run: train (or resume) again
        if isinstance(s, dict) and s.get("status") == "done":
            emit(event="done", summary=s, alreadyFinished=True)
            return "done"
    if threads:
        torch.set_num_threads(threads)
    device = resolve_device(cfg.device)
    world = distributed.init(device)
    if cfg.batch_size < world.size:
        raise ConfigError(f"batchSize: {cfg.batch_size} is smaller than the {world.size} processes; each needs an image")
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
    except TypeError:
        pass
    t_start = time.time()
    src = load_sources(cfg, device, run_dir / "cache")
    start = start_weights(cfg, src)
    items, bad = dataset_mod.scan(cfg.resolve(cfg.dataset), cfg.max_images,
                                  cfg.resolve(cfg.image_folder) if cfg.image_folder else None)
    ds = dataset_mod.Dataset(items, bad)   # images are read batch by batch while encoding, never all at once
    use_lg = src.lm is not None and ds.has_captions
    if not ds.has_captions:
        emit(event="warning", message="the dataset has no captions (NAME.txt or LLaVA conversations): "
                                      "training with L_a only, no caption loss L_g")
    elif src.lm is None:
        emit(event="warning", message="the pack has no LLM decoder (llm.decoder): training with L_a only")
    if src.word_embeds is None and cfg.lam > 0:
        emit(event="warning", message="the pack has no labeling section: no SEA labels, training with L_g only")
    if not use_lg and (cfg.lam == 0 or src.word_embeds is None):
        raise ConfigError("nothing to train: no caption loss (no captions or no decoder) and no SEA alignment "
                          "(λ = 0 or no labeling in the pack)")

    emit(event="phase", phase="features", message=f"encoding {len(ds.items)} images")
    store = None
    if world.main:
        store = features.cached(run_dir / "cache", src, ds, cfg.resolve(cfg.pack), device, src.identity,
                                progress=lambda k, total: emit(event="phase", phase="features",
                                                               message=f"encoded {k} of {total} images"),
                                should_stop=should_stop)
    if not distributed.broadcast_flag(world.main and store is None, world, device):
        distributed.barrier(world)
        if not world.main:
            store = features.cached(run_dir / "cache", src, ds, cfg.resolve(cfg.pack), device, src.identity)
    if store is None:   # stopped while encoding: what was encoded stays in the cache for the next attempt
        if world.main:
            emit(event="cancelled", step=0, totalSteps=0, checkpoint=str(run_dir / "cache" / "features"))
        distributed.finish(world)
        return "cancelled"
    ds.items = [items[i] for i in store.items.tolist()]
    ds.skipped = ds.skipped + store.skipped(100 - min(len(bad), 100))
    skipped_count = len(bad) + store.skipped_count
    for s in ds.skipped[:20]:   # each names its file and why (undecodable image, malformed record)
        emit(event="warning", message=f"skipped {s}")
    if len(ds.items) < 2:
        raise dataset_mod.DatasetError(f"{cfg.resolve(cfg.dataset)}: {len(ds.items)} usable image; training needs at least 2")
    F = store.array("features")
    label_idx, label_scores = store.array("label_idx"), store.array("label_scores")
    label_emb = sea.subtoken_mean(src.embed.cpu(), [src.tokenizer.word_pieces(w) for w in src.words]).to(device) \
        if src.words else None
    cap_ids = TokenLists(src.tokenizer.encode(it.caption) if it.caption else None for it in ds.items)

    n = len(ds.items)
    n_val = validation_split(n, cfg.validation_images)
    if n_val < cfg.validation_images:
        emit(event="warning", message=f"validationImages: {cfg.validation_images} asked, {n_val} used: at most half "
                                      f"of the {n} images validate, so the before/after numbers of a small "
                                      f"dataset are rough")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(cfg.seed))
    val_ids, train_ids = order[:n_val].sort().values, order[n_val:].sort().values
    adapter = initial_adapter(cfg, src, start).to(device)
    eval_ids = val_ids if n_val else train_ids

    def evaluate_now():
        with torch.no_grad():
            vis = torch.cat([adapter(F[eval_ids[s:s + 64]].to(device).float()).cpu() for s in range(0, len(eval_ids), 64)])
        ids = eval_ids.tolist()
        m = finish.metrics(vis, None if label_idx is None else label_idx[eval_ids],
                           None if label_scores is None else label_scores[eval_ids],
                           None if label_emb is None else label_emb.cpu(), [ds.items[i].truth for i in ids],
                           [cap_ids[i] for i in ids], src.embed.cpu(), src.tokenizer, src.words)
        # SEA's trade-off: the caption loss of the same images, before (start adapter) and after
        m.update(validation_caption_loss(src.lm if use_lg else None, vis, [cap_ids[i] for i in ids],
                                         src.bos, src.eos, src.pad, device) or {})
        return m

    before = evaluate_now() if world.main else None
    trainer = Trainer(cfg, adapter, F, label_idx, label_scores, label_emb, cap_ids, src.lm if use_lg else None,
                      (src.bos, src.eos, src.pad), train_ids, val_ids, device, world, emit, run_dir, should_stop)
    resumed = trainer.restore()
    emit(event="start", runDir=str(run_dir), totalSteps=trainer.total, stepsPerEpoch=trainer.per_epoch,
         epochs=cfg.epochs, images=n, trainImages=int(train_ids.numel()), validationImages=n_val,
         skippedImages=skipped_count, resumedFrom=resumed, device=str(device), worldSize=world.size,
         lossG=use_lg, lossA=trainer.use_la, lam=cfg.lam, batchSize=cfg.batch_size)
    status = trainer.run()
    if status != "done" or not world.main:
        distributed.finish(world)
        return status

    emit(event="phase", phase="export", message=f"writing {out_dir}")
    meta = {"adapter": cfg.output_name, "lambda": cfg.lam, "steps": trainer.total, "seed": cfg.seed}
    exported = finish.export_adapter(adapter, out_dir, F.shape[1], meta)
    after = evaluate_now()
    evaluation = {"before": before, "after": after, "evaluatedOn": "validation" if n_val else "training images",
                  "startAdapter": cfg.start_adapter or "fresh"}
    emit(event="evaluation", **evaluation)
    overlay = finish.write_overlay(cfg.resolve(cfg.pack), run_dir, cfg.output_name, exported,
                                   f"SEA fine-tuned from {cfg.start_adapter or 'a fresh adapter'} "
                                   f"(λ={cfg.lam}, {trainer.total} steps)", evaluation)
    images_trained = images_through(trainer.total, int(train_ids.numel()), cfg.batch_size, trainer.per_epoch)
    summary = {"status": "done", "steps": trainer.total, "images": n, "skippedImages": skipped_count,
               # the headline throughput: images through the adapter (+ LLM) per second of training steps;
               # pairs/s is capped by SEA's de-duplication whatever the batch
               "imagesTrained": images_trained, "imagesPerSecond": round(images_trained / max(trainer.elapsed, 1e-9), 2),
               "validationImages": n_val,
               "skipped": ds.skipped[:100], "pairsTotal": trainer.pairs_total,
               "pairsPerSecond": round(trainer.pairs_total / max(trainer.elapsed, 1e-9), 1),
               "trainSeconds": round(trainer.elapsed, 3), "wallSeconds": round(time.time() - t_start, 3),
               "logitScale": float(trainer.scale().detach()), "tau": 1 / float(trainer.scale().detach()), "lambda": cfg.lam,
               "exported": exported, "pack": str(overlay), "adapter": json.loads(
                   (overlay / "manifest.json").read_text())["defaultAdapter"],
               "baseAdapter": cfg.start_adapter, "evaluation": evaluation, "worldSize": world.size,
               # what the extension's Before/After view offers first ("Choose Image…")
               "evaluationImages": [str(ds.items[i].path.resolve()) for i in eval_ids.tolist()[:64]]}
    write_json_atomic(summary_path, summary)
    emit(event="done", summary=summary)
    distributed.finish(world)
    return "done"
