"""Build the SEA Lens demo pack: world -> mini-CLIP -> mini-LM -> adapters (baseline, sea) -> evaluation
-> export (ONNX, safetensors, tokenizer.json) -> manifest. Atomic: everything is written into a temp
folder beside the target and renamed into place only when complete.

    PYTHONPATH=python /usr/bin/python3 -m sealens.build_pack --out media/demo-pack [--quick] [--seed 0]
        [--device auto|cpu|cuda] [--samples media/samples]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import List, Optional

import numpy as np
import torch

from . import evaluate, export, sea, world
from .models import Adapter, ClipConfig, LMConfig, MiniCLIP, MiniLM
from .tokenizers import BOS, EOS, PAD, BPETokenizer, WordTokenizer, WORD_RE
from .train import (AdapterTrainConfig, ClipTrainConfig, LMTrainConfig, to_pixels, train_adapter, train_clip,
                    train_lm)

DATA = Path(__file__).parent / "data"
STOP = {"a", "an", "the", "of", "on", "in", "and", "is", "there", "picture", "photo", "front", "against",
        "lying", "floating", ",", ".", "<pad>", "<unk>"}
KEEP_SPLIT = ["triangle", "hexagon", "purple", "brick"]   # multi-token in the LLM vocabulary (Eq. 10)
PROMPT = "a photo of {}."
LAMBDA = 1.0


@dataclass
class BuildConfig:
    seed: int = 0
    quick: bool = False
    device: str = "auto"
    n_train: int = 16000
    n_val: int = 256
    n_test: int = 512
    n_samples: int = 12
    clip: ClipTrainConfig = field(default_factory=ClipTrainConfig)
    lm: LMTrainConfig = field(default_factory=LMTrainConfig)
    adapter_steps: int = 500
    adapter_batch: int = 32
    lam: float = LAMBDA
    cache: Optional[str] = None   # folder for trained mini-CLIP / mini-LM weights (reused when the key matches)

    def cache_file(self, what: str) -> Optional[Path]:
        if not self.cache:
            return None
        import hashlib
        key = json.dumps([what, self.seed, self.quick, self.n_train, asdict(self.clip), asdict(self.lm)], sort_keys=True)
        return Path(self.cache) / f"{what}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"

    @classmethod
    def make(cls, quick: bool, seed: int, device: str) -> "BuildConfig":
        c = cls(seed=seed, quick=quick, device=device)
        c.clip.seed = c.lm.seed = seed
        if quick:
            c.n_train, c.n_val, c.n_test, c.n_samples = 384, 32, 48, 12
            c.clip.steps, c.clip.batch = 12, 32
            c.lm.steps, c.lm.batch = 30, 16
            c.lm.log_every = c.clip.log_every = 5
            c.adapter_steps, c.adapter_batch = 10, 8
        return c


def distractors() -> List[str]:
    ww = set(world.world_words())
    out = []
    for w in (DATA / "common_words.txt").read_text().split():
        if w.isalpha() and w not in ww and w not in out:
            out.append(w)
    return out


def lm_corpus(captions: List[str], extra: List[str], rng: random.Random, n_extra: int) -> List[str]:
    """Captions + generated text over the distractor words + 'keyword context then caption' sequences."""
    tmpl = ["the {} and the {}.", "i saw a {} near the {}.", "{} is not {}.", "we like the {} and {} {}.",
            "a {} {} in the {}.", "there is a {} on the {}.", "my {} has a {}."]
    seqs = list(captions)
    for _ in range(n_extra):
        t = rng.choice(tmpl)
        seqs.append(t.format(*[rng.choice(extra) for _ in range(t.count("{}"))]))
    for c in captions[: len(captions) // 2]:
        content = [w for w in WORD_RE.findall(c) if w not in STOP and w not in ("large", "small")]
        ctx = [rng.choice(content) for _ in range(rng.randint(8, 40))]
        seqs.append(" ".join(ctx) + " : " + c)
    return seqs


def _save_cache(path: Optional[Path], model) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp)
    os.replace(tmp, path)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda"):
        raise SystemExit(f"--device must be auto, cpu or cuda (got {name!r})")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda requested but torch.cuda.is_available() is False")
    return torch.device(name)


@torch.no_grad()
def encode_images(vision, imgs, device, bs=256):
    hs, pe = [], []
    for i in range(0, len(imgs), bs):
        h, _, p = vision(to_pixels(imgs[i:i + bs], device))
        hs.append(h[:, 1:].half().cpu())
        pe.append(p.float().cpu())
    return torch.cat(hs).numpy(), torch.cat(pe)


def build(out: Path, samples_dir: Optional[Path], cfg: BuildConfig, progress=None) -> dict:
    t_start = time.time()
    emit = progress or (lambda d: print(json.dumps(d), flush=True))
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.set_num_threads(min(2, os.cpu_count() or 1)) if cfg.device != "cuda" else None
    device = resolve_device(cfg.device)
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
    except TypeError:
        pass
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

    # ---------------------------------------------------------------- world
    emit({"phase": "world", "status": "rendering", "train": cfg.n_train, "val": cfg.n_val, "test": cfg.n_test})
    tr_img, tr_cap, _ = world.render_batch(cfg.seed, "train", 0, cfg.n_train)   # train truth never read
    va_img, va_cap, va_truth = world.render_batch(cfg.seed, "validation", 0, cfg.n_val)
    te_img, te_cap, te_truth = world.render_batch(cfg.seed, "test", 0, cfg.n_test)
    grid = world.GRID
    label_words = world.world_words()
    extra = distractors()

    # ---------------------------------------------------------------- tokenizers
    caption_words = {w for c in tr_cap for w in WORD_RE.findall(c)}
    wtok = WordTokenizer.build(caption_words | set(extra) | set(label_words) | set(WORD_RE.findall(PROMPT)))
    rng = random.Random(cfg.seed)
    lm_text = lm_corpus(tr_cap, extra, rng, n_extra=max(2000, cfg.n_train // 2))
    bpe_corpus = tr_cap[:4000] + extra * 3 + label_words * 50 + lm_text[len(tr_cap):len(tr_cap) + 2000]
    btok = BPETokenizer.train(bpe_corpus, keep_split=KEEP_SPLIT)
    emit({"phase": "tokenizers", "llm_vocab": len(btok), "text_vocab": len(wtok),
          "split_words": {w: len(btok.word_pieces(w)) for w in KEEP_SPLIT}})

    # ---------------------------------------------------------------- mini-CLIP
    ccfg = ClipConfig(text_vocab=len(wtok))
    cw = torch.tensor([0.0 if t in STOP else 1.0 for t, _ in sorted(wtok.vocab.items(), key=lambda kv: kv[1])])
    torch.manual_seed(cfg.seed)
    clip = MiniCLIP(ccfg, cw).to(device)
    ids, mask = wtok.batch(tr_cap, ccfg.max_text_len)
    cf = cfg.cache_file("clip")
    if cf is not None and cf.is_file():
        clip.load_state_dict(torch.load(cf, map_location=device))
        clip.eval()
        emit({"phase": "clip", "status": "loaded from cache", "file": str(cf)})
    else:
        train_clip(clip, tr_img, ids, mask, cfg.clip, device, emit)
        _save_cache(cf, clip)
    with torch.no_grad():
        pids, pmask = wtok.batch([PROMPT.format(w) for w in label_words], ccfg.max_text_len)
        pt = (torch.from_numpy(pids).to(device), torch.from_numpy(pmask).to(device))
        clip.text.center.copy_(clip.text(*pt)[0].mean(0))   # feature-surgery centre, baked into the export
        word_emb = clip.text(*pt)[0].float().cpu()

    # sign question: measured on validation images with known content
    _, va_pe = encode_images(clip.vision, va_img, device)
    sign_eval = {}
    for s in (1, -1):
        i, sc = sea.topn_labels(va_pe, word_emb, 10, 0.0, sign=s)
        sign_eval[str(s)] = evaluate.label_precision(i, sc, label_words, va_truth)
    sign = 1 if sign_eval["1"]["top1"] >= sign_eval["-1"]["top1"] else -1
    emit({"phase": "sign", "chosen": sign, "validation": sign_eval})

    # ---------------------------------------------------------------- mini-LM
    lcfg = LMConfig(vocab=len(btok))
    torch.manual_seed(cfg.seed)
    lm = MiniLM(lcfg).to(device)
    seqs = [[BOS] + btok.encode(t) + [EOS] for t in lm_text]
    lf = cfg.cache_file("lm")
    if lf is not None and lf.is_file():
        lm.load_state_dict(torch.load(lf, map_location=device))
        lm.eval()
        for p_ in lm.parameters():
            p_.requires_grad_(False)
        emit({"phase": "lm", "status": "loaded from cache", "file": str(lf)})
    else:
        train_lm(lm, seqs, cfg.lm, device, PAD, emit)
        _save_cache(lf, lm)
    embed = lm.embed_tokens.weight.detach()

    # ---------------------------------------------------------------- adapters
    tr_feat, tr_pe = encode_images(clip.vision, tr_img, device)
    lab_idx, lab_sc = sea.topn_labels(tr_pe, word_emb, 10, 0.0, sign=sign)     # from mini-CLIP, never from truth
    del tr_pe
    label_emb = sea.subtoken_mean(embed.cpu(), [btok.word_pieces(w) for w in label_words]).to(device)
    cap_ids = [btok.encode(c) for c in tr_cap]
    adapters, train_info = {}, {}
    for name, lam in (("baseline", 0.0), ("sea", cfg.lam)):
        torch.manual_seed(cfg.seed)
        ad = Adapter(ccfg.width, lcfg.width).to(device)
        acfg = AdapterTrainConfig(name=name, steps=cfg.adapter_steps, batch=cfg.adapter_batch, lam=lam, seed=cfg.seed)
        train_info[name] = train_adapter(ad, lm, tr_feat, cap_ids, lab_idx, lab_sc, label_emb, grid, acfg, device,
                                         BOS, EOS, PAD, emit)
        adapters[name] = ad
    del tr_feat

    # ---------------------------------------------------------------- evaluation (held-out test split)
    te_feat, te_pe = encode_images(clip.vision, te_img, device)
    t_idx, t_sc = sea.topn_labels(te_pe, word_emb, 10, 0.0, sign=sign)
    prec = evaluate.label_precision(t_idx, t_sc, label_words, te_truth)
    names, cand = evaluate.candidates(btok, embed.cpu(), label_words)
    te_cap_ids = [btok.encode(c) for c in te_cap]
    results = {}
    with torch.no_grad():
        for name, ad in adapters.items():
            vis = ad(torch.from_numpy(te_feat.astype(np.float32)).to(device)).float().cpu()
            m = evaluate.token_metrics(vis, names, cand, te_truth, te_cap_ids, embed.cpu())
            losses = []
            for i in range(0, len(te_cap_ids), 64):
                ids_b = evaluate_batch = None
                from .train import caption_batch, caption_loss
                ids_b = caption_batch(te_cap_ids[i:i + 64], EOS, PAD, device)
                l, valid = caption_loss(lm, vis[i:i + 64].to(device), ids_b, BOS, PAD, reduction="none")
                losses.append((float(l[valid].sum()), int(valid.sum())))
            m["caption_loss"] = sum(a for a, _ in losses) / sum(b for _, b in losses)
            m["example_decoded"] = evaluate.decode_examples(vis[:1], names, cand, 8)
            m["logit_scale_final"] = train_info[name]["logit_scale_final"] if name == "sea" else None
            results[name] = m
    evaluation = {
        "split": "test", "images": len(te_img), "patches": len(te_img) * grid * grid,
        "candidates": len(names), "labelPrecision": prec, "sign": {"chosen": sign, "validation": sign_eval},
        "lambda": cfg.lam, "adapters": results, "quick": cfg.quick, "seed": cfg.seed, "device": str(device),
        "buildSeconds": None,
    }
    emit({"phase": "evaluation", **{k: v for k, v in evaluation.items() if k != "adapters"}})
    for name, m in results.items():
        emit({"phase": "evaluation", "adapter": name, **m})

    # ---------------------------------------------------------------- export (atomic)
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        evaluation["buildSeconds"] = None
        export.write_pack(tmp, clip, wtok, ccfg, lm, btok, adapters, label_words, word_emb, PROMPT, sign,
                          evaluation, cfg)
        evaluation["buildSeconds"] = round(time.time() - t_start, 1)
        export.patch_manifest_eval(tmp, evaluation)
        if samples_dir is not None:
            export.write_samples(Path(samples_dir), cfg.seed, cfg.n_samples)
        export.atomic_replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    emit({"phase": "done", "out": str(out), "seconds": evaluation["buildSeconds"]})
    return evaluation


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m sealens.build_pack", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="pack folder to (re)create, e.g. media/demo-pack")
    ap.add_argument("--samples", default=None, help="samples folder (default: <out>/../samples; 'none' to skip)")
    ap.add_argument("--quick", action="store_true", help="tiny budget (< 2 min) for tests")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--cache", default=None, help="reuse/save trained mini-CLIP and mini-LM weights in this folder")
    a = ap.parse_args(argv)
    out = Path(a.out)
    samples = None if a.samples == "none" else Path(a.samples) if a.samples else out.resolve().parent / "samples"
    bc = BuildConfig.make(a.quick, a.seed, a.device)
    bc.cache = a.cache
    ev = build(out, samples, bc)
    print("\nadapter    acc    top5   capLoss  gap     TACS")
    for n, m in ev["adapters"].items():
        print(f"{n:9s} {m['patch_word_accuracy']:.3f}  {m['top5_accuracy']:.3f}  {m['caption_loss']:.3f}   "
              f"{m['modality_gap']:.3f}  {m['tacs']:.3f}")
    print(f"label precision (CLIP, sign {ev['sign']['chosen']}): {json.dumps(ev['labelPrecision'])}")


if __name__ == "__main__":
    main()
