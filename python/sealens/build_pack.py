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

from . import demo_metrics, evaluate, export, safetensors_io, sea, world
from .runner.atomic import replace_folder_atomically
from .models import Adapter, ClipConfig, LMConfig, MiniCLIP, MiniLM
from .tokenizers import BOS, EOS, PAD, BPETokenizer, WordTokenizer, WORD_RE
from .train import (AdapterTrainConfig, ClipTrainConfig, LMTrainConfig, caption_tags, to_pixels, train_adapter,
                    train_clip, train_lm)

DATA = Path(__file__).parent / "data"
STOP = {"a", "an", "the", "of", "on", "in", "and", "is", "there", "picture", "photo", "front", "against",
        "lying", "floating", ",", ".", "<pad>", "<unk>"}
KEEP_SPLIT = ["triangle", "hexagon", "purple", "brick"]   # multi-token in the LLM vocabulary (Eq. 10)
PROMPT = "a photo of {}."
LAMBDA = 1.0
ADAPTER_STEPS = 2000   # adapters see 8 epochs of the 16,000 training scenes (batch 64)
ADAPTER_BATCH = 64
CLOSEUP_FRACTION = 0.5   # close-up pairs added to the mini-CLIP data, relative to the number of scenes
# mini-CLIP loss mixes (weights of train.ClipTrainConfig); `--clip-loss` picks one, `--probe` compares them
CLIP_LOSSES = {
    # CLIP on the pooled embedding + FILIP + patch-level MIL-NCE (the first two builds)
    "milnce": dict(global_weight=1.0, filip_weight=1.0, milnce_weight=1.0, tag_weight=0.0),
    # the same + patch-level word tags from the captions (train.dense_tag_loss)
    "tags": dict(global_weight=1.0, filip_weight=1.0, milnce_weight=1.0, tag_weight=1.0),
    # word tags carry the patch level; the pooled CLIP loss, which rewards copying an object's words into every
    # patch (a small object barely moves a mean), is down-weighted and MIL-NCE dropped
    "tags-local": dict(global_weight=0.25, filip_weight=1.0, milnce_weight=0.0, tag_weight=1.0),
    "tags-heavy": dict(global_weight=0.25, filip_weight=1.0, milnce_weight=0.0, tag_weight=3.0),
    "tags-max": dict(global_weight=0.1, filip_weight=1.0, milnce_weight=0.0, tag_weight=5.0),
    # tags-max with a second positive term that holds the 3 best patches of a present word above 0 (keeps small
    # objects labelled; see docs/demo-pack.md "Object patches")
    "tags-max-top3": dict(global_weight=0.1, filip_weight=1.0, milnce_weight=0.0, tag_weight=5.0, tag_pool="lme+top3"),
    "tags-only": dict(global_weight=0.1, filip_weight=0.0, milnce_weight=0.0, tag_weight=1.0),
}
CLIP_LOSS = "tags-max"


@dataclass
class BuildConfig:
    seed: int = 0
    quick: bool = False
    device: str = "auto"
    n_train: int = 16000
    n_val: int = 256
    n_test: int = 512
    n_samples: int = 12
    n_eval: int = 512             # per-kind evaluation scenes (seed + EVAL_SEED_OFFSET), per renderer
    clip: ClipTrainConfig = field(default_factory=ClipTrainConfig)
    lm: LMTrainConfig = field(default_factory=LMTrainConfig)
    adapter_steps: int = ADAPTER_STEPS
    adapter_batch: int = ADAPTER_BATCH
    lam: float = LAMBDA
    # λ values tried for the sea adapter; the one with the best VALIDATION patch-word accuracy whose validation
    # caption loss stays within 5 % of the baseline's is shipped (test split untouched by the choice)
    lams: tuple = (LAMBDA,)
    oracle: bool = False          # diagnostic only: also train the sea adapter on ground-truth labels (not shipped)
    workers: int = 1              # processes for rendering the world (output identical for any value)
    cache: Optional[str] = None   # folder for trained mini-CLIP / mini-LM weights (reused when the key matches)
    clip_loss: str = CLIP_LOSS    # key of CLIP_LOSSES (its weights are in cfg.clip, hence in the cache key)
    probe: bool = False           # stop after the mini-CLIP: validation label precision only (no pack written)
    stem: str = "patch"           # vision stem of the mini-CLIP (models.ClipConfig.stem: patch | conv)
    world: str = "v1"             # world variant (world.WORLDS); v1 is the shipped pack's
    labels: str = "world"         # labelling list: "world" (the 22 evaluated words, as the shipped pack) or
                                  # "captions" (the captions' content words + the frequency list, as the method)
    select: str = "balanced"      # λ selection on validation: "balanced" (rank-R balanced score) or "accuracy"

    def cache_file(self, what: str) -> Optional[Path]:
        if not self.cache:
            return None
        import hashlib
        key = json.dumps([what, self.seed, self.quick, self.n_train, asdict(self.clip), asdict(self.lm)]
                         + ([self.stem] if self.stem != "patch" else []) + ([self.world] if self.world != "v1" else [])
                         + ([self.labels] if self.labels != "world" else []), sort_keys=True)
        return Path(self.cache) / f"{what}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.safetensors"

    @classmethod
    def make(cls, quick: bool, seed: int, device: str, clip_loss: str = CLIP_LOSS) -> "BuildConfig":
        if clip_loss not in CLIP_LOSSES:
            raise SystemExit(f"--clip-loss must be one of {', '.join(CLIP_LOSSES)} (got {clip_loss!r})")
        c = cls(seed=seed, quick=quick, device=device, clip_loss=clip_loss)
        for k, v in CLIP_LOSSES[clip_loss].items():
            setattr(c.clip, k, v)
        c.clip.seed = c.lm.seed = seed
        c.clip.closeups = int(c.n_train * CLOSEUP_FRACTION)
        if quick:
            c.n_train, c.n_val, c.n_test, c.n_samples, c.n_eval = 384, 32, 48, 12, 32
            c.clip.steps, c.clip.batch = 12, 32
            c.lm.steps, c.lm.batch = 30, 16
            c.lm.log_every = c.clip.log_every = 5
            c.adapter_steps, c.adapter_batch = 10, 8
            c.clip.closeups = int(c.n_train * CLOSEUP_FRACTION)
        return c


def distractors() -> List[str]:
    ww = set(world.world_words())
    out = []
    for w in (DATA / "common_words.txt").read_text().split():
        if w.isalpha() and w not in ww and w not in out:
            out.append(w)
    return out


def label_frequency_words() -> List[str]:
    """More common English words for the labelling list only (the LM's vocabulary and corpus keep
    common_words.txt alone, so the shipped pack's LLM is unchanged); world words are left out."""
    ww = set(world.world_words())
    return [w for w in (DATA / "label_frequency_words.txt").read_text().split() if w.isalpha() and w not in ww]


def labeling_words(captions: List[str], extra: List[str]) -> List[str]:
    """The labelling vocabulary as in the method (§3.1 step 1): the content words of the training captions, most
    frequent first, then the frequency list's words (distractors no caption contains). The world's truth words
    are among the caption words; nothing here reads the truth."""
    from collections import Counter
    c = Counter(w for cap in captions for w in WORD_RE.findall(cap) if w.isalpha() and w not in STOP)
    out = [w for w, _ in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))]
    hide = STOP | evaluate.view_stopwords()      # function words label nothing
    words = [w for w in out if w not in hide] + [w for w in extra if w not in c and w not in hide]
    return list(dict.fromkeys(words))   # once each, first place kept


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
    # safetensors, never pickle: a cache folder is a file a user may be handed, and loading a pickle runs code.
    safetensors_io.save_file({k: v.detach().cpu().contiguous().numpy() for k, v in model.state_dict().items()}, str(tmp))
    os.replace(tmp, path)


def _load_cache(path: Path, model, device) -> None:
    state = {k: torch.from_numpy(v.copy()).to(device) for k, v in safetensors_io.load_file(str(path)).items()}
    model.load_state_dict(state)


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


def oracle_labels(truth, words, n: int):
    """Ground-truth labels in the shape of sea.topn_labels (true words score 1, the rest 0) — for the
    diagnostic run only."""
    pos = {w: i for i, w in enumerate(words)}
    N, P = len(truth), len(truth[0])
    idx = torch.zeros(N, P, n, dtype=torch.long)
    sc = torch.zeros(N, P, n)
    pool = list(range(min(len(words), 2 * n + 2)))   # fillers (score 0, never sampled) from a short pool: fast
    for b in range(N):
        for p in range(P):
            true = [pos[w] for w in truth[b][p][:n]]
            row = true + [i for i in pool if i not in true][:n - len(true)]
            idx[b, p] = torch.tensor(row)
            sc[b, p, :len(true)] = 1.0
    return idx, sc


@torch.no_grad()
def adapter_tokens(ad, feat: np.ndarray, device) -> torch.Tensor:
    """The adapter's visual tokens [N, P, H] (fp32, on the CPU) for encoder features [N, P, D], 256 images at a time."""
    return torch.cat([ad(torch.from_numpy(feat[i:i + 256].astype(np.float32)).to(device)).float().cpu()
                      for i in range(0, len(feat), 256)])


@torch.no_grad()
def ranked_words(vis: torch.Tensor, names, cand: torch.Tensor, k: int = 2):
    """[N, P, H] visual tokens -> per patch the k nearest candidate words (cosine), best first."""
    N, P, H = vis.shape
    cn = torch.nn.functional.normalize(cand.float(), dim=-1)
    out = []
    for b in range(N):
        top = (torch.nn.functional.normalize(vis[b].float(), dim=-1) @ cn.t()).topk(k, dim=-1).indices
        out.append([[names[int(i)] for i in row] for row in top])
    return out


@torch.no_grad()
def _metrics(ad, lm, feat, cap_ids, truth, names, cand, embed, device) -> dict:
    from .train import caption_batch, caption_loss
    vis = adapter_tokens(ad, feat, device)
    m = evaluate.token_metrics(vis, names, cand, truth, cap_ids, embed.cpu())
    losses = []
    for i in range(0, len(cap_ids), 64):
        ids_b = caption_batch(cap_ids[i:i + 64], EOS, PAD, device)
        l, valid = caption_loss(lm, vis[i:i + 64].to(device), ids_b, BOS, PAD, reduction="none")
        losses.append((float(l[valid].sum()), int(valid.sum())))
    m["caption_loss"] = sum(a for a, _ in losses) / sum(b for _, b in losses)
    m["perKind"] = demo_metrics.kind_rates(ranked_words(vis, names, cand), truth)
    m["example_decoded"] = evaluate.decode_examples(vis[:1], names, cand, 8)
    return m


@torch.no_grad()
def presence_auc(va_pe, word_emb, label_words, va_truth) -> dict:
    """Image level (diagnostic): does the best patch's score for a shape / colour word tell whether the image
    shows it? ROC AUC over (image, word) pairs of that kind; 0.5 = chance. Separates "the encoder does not
    know shapes at all" from "it knows them but not on the object's patches"."""
    pe = torch.nn.functional.normalize(va_pe.float(), dim=-1)
    we = torch.nn.functional.normalize(word_emb.float(), dim=-1)
    best = (pe @ we.t()).max(1).values   # [N, W]: the best patch's cosine per word
    out = {}
    for kind, words in (("shape", world.SHAPES), ("colour", list(world.COLOURS)), ("material", world.MATERIALS)):
        pos, neg = [], []
        for n, t in enumerate(va_truth):
            present = {w for patch in t for w in patch}
            for w in words:
                if w in label_words:
                    (pos if w in present else neg).append(float(best[n, label_words.index(w)]))
        if pos and neg:
            p_, n_ = torch.tensor(pos), torch.tensor(neg)
            out[kind] = float((p_[:, None] > n_[None]).float().mean() + 0.5 * (p_[:, None] == n_[None]).float().mean())
    return out


@torch.no_grad()
def probe_centring(clip, va_pe, word_emb, label_words, va_truth, sign) -> dict:
    """Validation label precision with and without the two feature-surgery centres (diagnostic)."""
    pc, tc = clip.vision.patch_center.float().cpu(), clip.text.center.float().cpu()
    out = {}
    for name, p_add, t_add in (("none", pc, tc), ("text", pc, 0), ("text+patch", 0, 0)):
        i, sc = sea.topn_labels(va_pe + p_add, word_emb + t_add, 10, 0.0, sign=sign)
        out[name] = evaluate.label_precision(i, sc, label_words, va_truth)
    return out


EVAL_SEED_OFFSET = 1000   # the per-kind evaluation draws from seed + 1000: a generator seed the build never used


@torch.no_grad()
def evaluate_per_kind(cfg: BuildConfig, clip, adapters: dict, names, cand, tr_img, tr_truth, device, emit) -> dict:
    """Per kind of word (docs: sealens.demo_metrics), on fresh scenes from an unused seed, drawn by the main
    renderer and by the second one (never trained on); the trivial predictors on the same patches."""
    out = {"seed": cfg.seed + EVAL_SEED_OFFSET, "images": cfg.n_eval, "candidates": len(names),
           "stopWords": "hidden, as in the default view", "renderers": {}}
    for renderer in world.RENDERERS:
        imgs, _, truth = world.render_batch(cfg.seed + EVAL_SEED_OFFSET, "test", 0, cfg.n_eval,
                                            workers=cfg.workers, renderer=renderer, variant=cfg.world)
        feat, _ = encode_images(clip.vision, imgs, device)
        r = {}
        for name, ad in adapters.items():
            vis = adapter_tokens(ad, feat, device)
            r[name] = demo_metrics.kind_rates(ranked_words(vis, names, cand), truth)
        r["trivial"] = demo_metrics.trivial_predictors(truth, imgs, tr_img[:2000], tr_truth[:2000],
                                                       world.MATERIALS, world.PATCH_SIZE)
        out["renderers"][renderer] = r
        emit({"phase": "evaluation", "perKind": renderer, **{k: v for k, v in r.items() if k != "trivial"}})
    return out


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
    W = cfg.workers
    # train truth is read only by the oracle diagnostic (never by anything shipped)
    tr_img, tr_cap, tr_truth = world.render_batch(cfg.seed, "train", 0, cfg.n_train, workers=W, variant=cfg.world)
    cu_img, cu_cap, _ = world.render_batch(cfg.seed, "train", 0, cfg.clip.closeups, closeups=True, workers=W,
                                           variant=cfg.world)
    va_img, va_cap, va_truth = world.render_batch(cfg.seed, "validation", 0, cfg.n_val, workers=W, variant=cfg.world)
    te_img, te_cap, te_truth = world.render_batch(cfg.seed, "test", 0, cfg.n_test, workers=W, variant=cfg.world)
    grid = world.GRID
    extra = distractors()
    label_words = labeling_words(tr_cap + cu_cap, extra + label_frequency_words()) if cfg.labels == "captions" \
        else world.world_words()
    hide = evaluate.view_stopwords()

    # ---------------------------------------------------------------- tokenizers
    caption_words = {w for c in tr_cap + cu_cap for w in WORD_RE.findall(c)}
    wtok = WordTokenizer.build(caption_words | set(extra) | set(label_words) | set(WORD_RE.findall(PROMPT)))
    rng = random.Random(cfg.seed)
    lm_text = lm_corpus(tr_cap, extra, rng, n_extra=max(2000, cfg.n_train // 2))
    bpe_corpus = tr_cap[:4000] + extra * 3 + world.world_words() * 50 + lm_text[len(tr_cap):len(tr_cap) + 2000]
    btok = BPETokenizer.train(bpe_corpus, keep_split=KEEP_SPLIT)
    emit({"phase": "tokenizers", "llm_vocab": len(btok), "text_vocab": len(wtok), "label_words": len(label_words),
          "split_words": {w: len(btok.word_pieces(w)) for w in KEEP_SPLIT}})

    # ---------------------------------------------------------------- mini-CLIP
    ccfg = ClipConfig(text_vocab=len(wtok), stem=cfg.stem)
    cw = torch.tensor([0.0 if t in STOP else 1.0 for t, _ in sorted(wtok.vocab.items(), key=lambda kv: kv[1])])
    torch.manual_seed(cfg.seed)
    clip = MiniCLIP(ccfg, cw).to(device)
    clip_img = np.concatenate([tr_img, cu_img]) if len(cu_img) else tr_img
    ids, mask = wtok.batch(tr_cap + cu_cap, ccfg.max_text_len)
    pids, pmask = wtok.batch([PROMPT.format(w) for w in label_words], ccfg.max_text_len)
    pt = (torch.from_numpy(pids).to(device), torch.from_numpy(pmask).to(device))
    tags = caption_tags(tr_cap + cu_cap, label_words)   # from the captions only
    cf = cfg.cache_file("clip")
    if cf is not None and cf.is_file():
        _load_cache(cf, clip, device)
        clip.eval()
        emit({"phase": "clip", "status": "loaded from cache", "file": str(cf)})
    else:
        train_clip(clip, clip_img, ids, mask, cfg.clip, device, emit, tags=tags, word_prompts=pt)
        _save_cache(cf, clip)
    del clip_img, cu_img
    with torch.no_grad():
        # image-side feature surgery: centre patch_embeds on the mean patch token of unlabelled training scenes
        clip.vision.patch_center.zero_()
        _, pe0 = encode_images(clip.vision, tr_img[:4000], device)
        clip.vision.patch_center.copy_(pe0.reshape(-1, pe0.shape[-1]).mean(0).to(device))
        del pe0
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
    # feature-surgery centring, measured like the sign: keep the centres whose labels are most precise on validation
    centring_eval = probe_centring(clip, va_pe, word_emb, label_words, va_truth, sign)
    centring = max(centring_eval, key=lambda k: centring_eval[k]["expected"])
    with torch.no_grad():
        if centring != "text+patch":
            clip.vision.patch_center.zero_()
        if centring == "none":
            clip.text.center.zero_()
        word_emb = clip.text(*pt)[0].float().cpu()
    emit({"phase": "centring", "chosen": centring, "validation": centring_eval})
    if cfg.probe:
        report = {"clipLoss": cfg.clip_loss, "weights": CLIP_LOSSES[cfg.clip_loss], "sign": sign,
                  "presenceAuc": presence_auc(va_pe, word_emb, label_words, va_truth),
                  "centring": centring, "validation": centring_eval, "seconds": round(time.time() - t_start, 1)}
        emit({"phase": "probe", **report})
        return report

    # ---------------------------------------------------------------- mini-LM
    lcfg = LMConfig(vocab=len(btok))
    torch.manual_seed(cfg.seed)
    lm = MiniLM(lcfg).to(device)
    seqs = [[BOS] + btok.encode(t) + [EOS] for t in lm_text]
    lf = cfg.cache_file("lm")
    if lf is not None and lf.is_file():
        _load_cache(lf, lm, device)
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
    names, cand = evaluate.candidates(btok, embed.cpu(), label_words, hide)
    va_feat, _ = encode_images(clip.vision, va_img, device)
    va_cap_ids = [btok.encode(c) for c in va_cap]

    def fit(name, lam, li, ls):
        torch.manual_seed(cfg.seed)
        ad = Adapter(ccfg.width, lcfg.width).to(device)
        acfg = AdapterTrainConfig(name=name, steps=cfg.adapter_steps, batch=cfg.adapter_batch, lam=lam, seed=cfg.seed)
        info = train_adapter(ad, lm, tr_feat, cap_ids, li, ls, label_emb, grid, acfg, device, BOS, EOS, PAD, emit,
                             truth=tr_truth, words=label_words)
        m = _metrics(ad, lm, va_feat, va_cap_ids, va_truth, names, cand, embed, device)
        val = {"patch_word_accuracy": m["patch_word_accuracy"], "caption_loss": m["caption_loss"],
               "patch_word_accuracy_object": m["patch_word_accuracy_object"], "perKind": m["perKind"],
               "pairsByEpoch": info["pairsByEpoch"],
               "logit_scale_final": info["logit_scale_final"], "lambda": lam}
        emit({"phase": "validation", "adapter": name, **val})
        return ad, info, val

    adapters, train_info, val_table = {}, {}, {}
    adapters["baseline"], train_info["baseline"], val_table["baseline"] = fit("baseline", 0.0, None, None)
    lams = list(cfg.lams) if cfg.lams else [cfg.lam]
    tried = {}
    for lam in lams:
        tag = "sea" if len(lams) == 1 else f"sea(λ={lam:g})"
        tried[lam] = fit(tag, lam, lab_idx, lab_sc)
        val_table[tag] = tried[lam][2]
    # selection on the validation split only: the best class-balanced score (at rank R, so colour and shape both
    # count) among the λ whose caption loss is within 5 % of the baseline's
    ok = [l for l in lams if tried[l][2]["caption_loss"] <= 1.05 * val_table["baseline"]["caption_loss"]]
    score = (lambda l: tried[l][2]["perKind"]["balancedR"]) if cfg.select == "balanced" else \
        (lambda l: tried[l][2]["patch_word_accuracy"])
    chosen = max(ok, key=score) if ok else \
        min(lams, key=lambda l: tried[l][2]["caption_loss"])
    adapters["sea"], train_info["sea"] = tried[chosen][0], tried[chosen][1]
    cfg.lam = chosen
    diagnostics = {"validation": val_table, "lambdaChosen": chosen}
    if cfg.oracle:
        # DIAGNOSTIC (not shipped): the same SEA stage fed ground-truth labels, to separate label noise from
        # what the adapter stage itself can reach
        o_idx, o_sc = oracle_labels(tr_truth, label_words, lab_idx.shape[-1])
        _, _, oval = fit(f"sea-oracle(λ={chosen:g})", chosen, o_idx, o_sc)
        diagnostics["oracleLabels"] = {**oval, "note": "ground-truth labels; diagnostic only, not in the pack"}
    del tr_feat

    # ---------------------------------------------------------------- evaluation (held-out test split)
    te_feat, te_pe = encode_images(clip.vision, te_img, device)
    t_idx, t_sc = sea.topn_labels(te_pe, word_emb, 10, 0.0, sign=sign)
    prec = evaluate.label_precision(t_idx, t_sc, label_words, te_truth)
    te_cap_ids = [btok.encode(c) for c in te_cap]
    results = {}
    for name, ad in adapters.items():
        m = _metrics(ad, lm, te_feat, te_cap_ids, te_truth, names, cand, embed, device)
        m["logit_scale_final"] = train_info[name]["logit_scale_final"] if name == "sea" else None
        results[name] = m
    per_kind = evaluate_per_kind(cfg, clip, adapters, names, cand, tr_img, tr_truth, device, emit)
    evaluation = {
        "perKind": per_kind,
        "split": "test", "images": len(te_img), "patches": len(te_img) * grid * grid,
        "candidates": len(names), "labelPrecision": prec, "sign": {"chosen": sign, "validation": sign_eval},
        "centring": {"chosen": centring, "validation": centring_eval}, "clipLoss": cfg.clip_loss,
        "lambda": cfg.lam, "adapters": results, "diagnostics": diagnostics,
        "world": cfg.world, "labels": {"list": cfg.labels, "words": len(label_words)}, "stem": cfg.stem,
        "lambdaSelection": cfg.select,
        "adapterSchedule": {"steps": cfg.adapter_steps, "batchImages": cfg.adapter_batch, "lr": 1e-3},
        "clipCloseups": cfg.clip.closeups, "quick": cfg.quick, "seed": cfg.seed, "device": str(device),
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
            export.write_samples(Path(samples_dir), cfg.seed, cfg.n_samples, cfg.world)
        replace_folder_atomically(tmp, out)
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
    ap.add_argument("--lambdas", default=None,
                    help="comma-separated λ values to try for the sea adapter (chosen on validation), e.g. 1,2,4")
    ap.add_argument("--oracle-diagnostic", action="store_true",
                    help="also train the sea stage on ground-truth labels (validation numbers only; not shipped)")
    ap.add_argument("--clip-loss", default=CLIP_LOSS, choices=list(CLIP_LOSSES),
                    help="mini-CLIP loss mix (see CLIP_LOSSES)")
    ap.add_argument("--probe", action="store_true",
                    help="train (or load) the mini-CLIP only and print its validation label precision; writes no pack")
    ap.add_argument("--world", default="v1", choices=list(world.WORLDS), help="world variant (world.WORLDS)")
    ap.add_argument("--labels", default="world", choices=["world", "captions"],
                    help="labelling list: the 22 evaluated words, or the captions' words + the frequency list")
    ap.add_argument("--select", default="balanced", choices=["balanced", "accuracy"],
                    help="λ selection on validation: rank-R balanced score, or patch-word accuracy")
    ap.add_argument("--stem", default="patch", choices=["patch", "conv"],
                    help="mini-CLIP vision stem: one linear patch embedding, or early convolutions (models.ClipConfig)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for rendering the world")
    # sizes and steps, so that every reported number is reproducible from the command line
    for flag, hlp in (("--train-images", "training scenes (default 16000; close-ups are half as many)"),
                      ("--val-images", "validation scenes (default 256)"), ("--test-images", "test scenes (default 512)"),
                      ("--eval-images", "per-kind evaluation scenes per renderer, unused seed (default 512)"),
                      ("--clip-steps", "mini-CLIP steps (default 500)"), ("--clip-batch", "mini-CLIP batch (default 128)"),
                      ("--lm-steps", "mini-LM steps (default 800)"),
                      ("--adapter-steps", f"adapter steps (default {ADAPTER_STEPS})"),
                      ("--adapter-batch", f"adapter batch in images (default {ADAPTER_BATCH})")):
        ap.add_argument(flag, type=int, default=None, help=hlp)
    a = ap.parse_args(argv)
    out = Path(a.out)
    samples = None if a.samples == "none" else Path(a.samples) if a.samples else out.resolve().parent / "samples"
    bc = BuildConfig.make(a.quick, a.seed, a.device, a.clip_loss)
    bc.cache, bc.probe, bc.stem = a.cache, a.probe, a.stem
    bc.world, bc.labels, bc.select = a.world, a.labels, a.select
    bc.oracle, bc.workers = a.oracle_diagnostic, max(1, a.workers)
    for flag, setter in ((a.train_images, lambda v: (setattr(bc, "n_train", v),
                                                    setattr(bc.clip, "closeups", int(v * CLOSEUP_FRACTION)))),
                         (a.val_images, lambda v: setattr(bc, "n_val", v)),
                         (a.test_images, lambda v: setattr(bc, "n_test", v)),
                         (a.eval_images, lambda v: setattr(bc, "n_eval", v)),
                         (a.clip_steps, lambda v: setattr(bc.clip, "steps", v)),
                         (a.clip_batch, lambda v: setattr(bc.clip, "batch", v)),
                         (a.lm_steps, lambda v: setattr(bc.lm, "steps", v)),
                         (a.adapter_steps, lambda v: setattr(bc, "adapter_steps", v)),
                         (a.adapter_batch, lambda v: setattr(bc, "adapter_batch", v))):
        if flag is not None:
            if flag < 1:
                raise SystemExit(f"sizes and steps must be positive integers (got {flag})")
            setter(flag)
    if a.lambdas:
        try:
            bc.lams = tuple(float(x) for x in a.lambdas.split(","))
        except ValueError:
            raise SystemExit(f"--lambdas must be comma-separated numbers, e.g. 1,2,4 (got {a.lambdas!r})")
    ev = build(out, samples, bc)
    if bc.probe:
        return
    print("\nadapter    acc    (bg    obj)   top5   capLoss  gap     TACS")
    for n, m in ev["adapters"].items():
        print(f"{n:9s} {m['patch_word_accuracy']:.3f}  ({m['patch_word_accuracy_background']:.3f} "
              f"{m['patch_word_accuracy_object']:.3f})  {m['top5_accuracy']:.3f}  {m['caption_loss']:.3f}   "
              f"{m['modality_gap']:.3f}  {m['tacs']:.3f}")
    print(f"label precision (CLIP, sign {ev['sign']['chosen']}): {json.dumps(ev['labelPrecision'])}")
    print(f"\nper kind, top-1 (rank R in brackets), {ev['perKind']['images']} scenes of seed {ev['perKind']['seed']}:")
    print(demo_metrics.per_kind_table(ev["perKind"]["renderers"]))


if __name__ == "__main__":
    main()
