"""Frozen-encoder features and SEA labels (method §3.1), computed once per run and kept on disk
(feature_store): images are decoded and preprocessed in worker processes, a batch at a time, encoded in this
one and appended to the store, so no more than a few batches of pixels are ever in memory whatever the
dataset size. Resumed runs and every DDP rank read the same rows; an interrupted encoding goes on where it
stopped."""
from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import torch

from .. import sea
from .dataset import Dataset, Item, decode_batch
from .feature_store import FeatureStore, StoreWriter, open_finished
from .sources import Sources

BATCH = 32            # images per decode task and per encoder call
PROGRESS_SECONDS = 5.0
# Below this many multiply–adds per image the encoder runs on one thread and the other cores decode: the
# demo pack's encoder (≈ 50 M) encoded 16k images at 224 images/s on one thread + one decode worker against
# 155 on two threads + the worker (2 cores), as the engine found for its sessions (devices.ts SINGLE_THREAD_MACS).
SINGLE_THREAD_MACS = 1e8


def fingerprint(ds: Dataset, pack_dir: Path, extra: str = "") -> str:
    h = hashlib.sha256()
    h.update((Path(pack_dir) / "manifest.json").read_bytes())
    h.update(extra.encode())   # the Hugging Face models in use, when any (hf_sources.model_identity)
    for it in ds.items:
        st = it.path.stat()
        h.update(f"{it.path}|{st.st_size}|{st.st_mtime_ns}|{it.member}|{it.caption}".encode())
    return h.hexdigest()


def default_workers() -> int:
    """Decode workers: one core stays with the encoder; none on a single core (decoding in-process)."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


@torch.no_grad()
def encode_batch(src: Sources, x: np.ndarray, device) -> Dict[str, np.ndarray]:
    """The adapter's input tokens (prefix tokens dropped) and, when the pack labels, SEA's top-n labels."""
    out = src.vision(**{src.vision_input: torch.from_numpy(x).to(device)})
    res = {"features": out[src.vision_output][:, src.prefix_tokens:].float().cpu().numpy()}
    if src.word_embeds is not None and src.patch_output:
        li, ls = sea.topn_labels(out[src.patch_output].float().cpu(), src.word_embeds, src.top_n,
                                 src.threshold, sign=src.sign)
        res["label_idx"], res["label_scores"] = li.numpy().astype(np.int64), ls.numpy().astype(np.float32)
    return res


class DecodeWorkerError(RuntimeError):
    """A decode worker died (the OS killed it, a decoder crashed natively); what was encoded is kept."""


def encoder_macs(src: Sources, tokens: int) -> float:
    """≈ multiply–adds per image: the encoder's weights × its tokens (ONNX initializers or module parameters)."""
    v = src.vision
    weights = sum(t.numel() for t in v.consts.values()) if hasattr(v, "consts") else sum(p.numel() for p in v.parameters())
    return float(weights) * tokens


def compute(src: Sources, ds: Dataset, device, batch: int = BATCH) -> Dict[str, np.ndarray]:
    """Features of a dataset already decoded in memory (dataset.load): small datasets and tests."""
    parts = [encode_batch(src, ds.pixels[i:i + batch], device) for i in range(0, len(ds.items), batch)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _decoded(items: List[Item], start: int, preprocessor: dict, workers: int):
    """(first index, decode_batch result) for each batch from `start`, in order; at most 2 batches per worker
    are decoded ahead, so memory stays bounded when the encoder is the slower side."""
    starts = range(start, len(items), BATCH)
    if workers <= 0:
        for s in starts:
            yield s, decode_batch(items[s:s + BATCH], preprocessor)
        return
    # spawn, not fork: the encoder's threads (torch, onnx) must not be copied into the workers mid-flight
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        pending, it = [], iter(starts)
        for s in it:
            pending.append((s, pool.submit(decode_batch, items[s:s + BATCH], preprocessor)))
            if len(pending) >= 2 * workers:
                break
        while pending:
            s, fut = pending.pop(0)
            nxt = next(it, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(decode_batch, items[nxt:nxt + BATCH], preprocessor)))
            yield s, fut.result()


def cached(cache_dir: Path, src: Sources, ds: Dataset, pack_dir: Path, device, extra: str = "",
           progress: Optional[Callable[[int, int], None]] = None, should_stop: Callable[[], bool] = lambda: False,
           workers: Optional[int] = None) -> Optional[FeatureStore]:
    """The run's store: reused when its fingerprint matches, else (re)encoded from where it stopped.
    None when `should_stop` asked to stop (what was encoded is kept for the next attempt)."""
    folder = Path(cache_dir) / "features"
    fp = fingerprint(ds, pack_dir, extra)
    store = open_finished(folder, fp)
    if store is not None:
        return store
    folder.parent.mkdir(parents=True, exist_ok=True)
    writer = StoreWriter(folder, fp, len(ds.items))
    shown = time.monotonic()
    threads = torch.get_num_threads()
    workers = default_workers() if workers is None else workers
    sized = False   # the thread choice is made once, on the first encoded batch (its token count)
    try:
        for s, (pix, kept, skipped) in _decoded(ds.items, writer.processed, src.preprocessor, workers):
            arrays = encode_batch(src, pix, device) if pix is not None else {}
            if arrays and not sized:
                sized = True
                if workers and threads > 1 and device.type == "cpu" and \
                        encoder_macs(src, arrays["features"].shape[1]) < SINGLE_THREAD_MACS:
                    torch.set_num_threads(1)   # a small encoder: the other cores decode (restored below)
            writer.append(arrays, [s + k for k in kept], min(s + BATCH, len(ds.items)), skipped)
            if progress and time.monotonic() - shown >= PROGRESS_SECONDS:
                progress(writer.processed, len(ds.items))
                shown = time.monotonic()
            if should_stop():
                writer.commit()
                return None
        return writer.finish()
    except BrokenProcessPool:
        writer.commit()
        raise DecodeWorkerError(f"a decode worker process stopped abruptly (killed for lack of memory?) after "
                                f"{writer.processed} of {len(ds.items)} images; start the run again: encoding goes on "
                                f"from there") from None
    finally:
        writer.close()
        torch.set_num_threads(threads)
