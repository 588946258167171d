"""Shared by the family tests: tiny checkpoints saved the way transformers saves real ones (sharded
safetensors, the processor's preprocessor_config.json, a real LLM tokenizer), `pack init` on them, the
engine's explain through the CLI, and the checks against the model's own code."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "bin" / "sea-lens.js"
LLAMA_TOKENIZER = ROOT / "node_modules" / "@lenml" / "tokenizer-llama2" / "models"


def save_checkpoint(model, processor, folder: Path, tokenizer_dir: Path = LLAMA_TOKENIZER, shard="2MB") -> Path:
    """save_pretrained with small shards, so the embedding table sits in a shard of its own as in real checkpoints."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder), safe_serialization=True, max_shard_size=shard)
    processor.save_pretrained(str(folder))
    for f in ("tokenizer.json", "tokenizer_config.json"):
        if (tokenizer_dir / f).is_file():
            shutil.copyfile(tokenizer_dir / f, folder / f)
    return folder


def pack_init(ckpt: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """The exporter itself (the Python half of `sea-lens pack init`), run as the CLI runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    return subprocess.run([sys.executable, "-m", "sealens.hfpack", "init", "--src", str(ckpt), "--out", str(out), *extra],
                          capture_output=True, text=True, env=env, timeout=900)


def events(r: subprocess.CompletedProcess) -> list[dict]:
    out = []
    for line in r.stdout.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def explain(image: Path, pack: Path, tokens_dir: Path, top_k=5) -> tuple[dict, dict]:
    """The engine's TokenMap and its saved tokens/pixels (`sea-lens explain --save-tokens`)."""
    if not (ROOT / "dist" / "cli.js").exists() and not any((ROOT / "dist").glob("*.js")):
        raise RuntimeError("the bundles are missing: run `node esbuild.mjs`")
    r = subprocess.run(["node", str(CLI), "explain", str(image), "--pack", str(pack), "--top-k", str(top_k), "--device", "cpu",
                        "--save-tokens", str(tokens_dir)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"explain failed ({r.returncode}): {r.stderr[-2000:]}"
    tm = json.loads(r.stdout)
    from safetensors.numpy import load_file
    saved = load_file(str(tokens_dir / (image.stem + ".tokens.safetensors")))
    return tm, saved


def brute_force_check(tm: dict, tokens: np.ndarray, table: np.ndarray, tokenizer_json: Path) -> int:
    """Every score the engine reports is the cosine of the token with that word's embedding row (brute force over
    get_input_embeddings()), and no word the engine offered anywhere in the map (each is a candidate) beats a
    token's top-1: the ranking is right whatever vocabulary filter is on. Returns the number of tokens checked."""
    vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    if isinstance(vocab, list):  # Unigram: [[piece, score], …]
        vocab = {p[0]: i for i, p in enumerate(vocab)}
    by_word: dict[str, list[int]] = {}
    for piece, i in vocab.items():
        if i >= table.shape[0]:
            continue
        w = re.sub(r"^[▁Ġ]", "", piece)
        if w != piece and w.isalpha():   # word-start pieces: the engine never offers mid-word ones
            by_word.setdefault(w, []).append(i)
    t = tokens / np.linalg.norm(tokens, axis=1, keepdims=True)
    e = table / np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)
    cos = t @ e.T
    offered = {w["word"].strip() for p in tm["patches"] for w in p["words"]}
    rows = [j for w in offered for j in by_word.get(w, [])]
    checked = 0
    for i, p in enumerate(tm["patches"]):
        for w in p["words"]:
            ids = by_word.get(w["word"].strip())
            assert ids, f"token {i}: {w['word']!r} is not a word-start alphabetic piece"
            assert min(abs(cos[i, j] - w["score"]) for j in ids) < 1e-4, f"token {i}: score of {w['word']!r} is not its cosine"
        best = max(cos[i, j] for j in rows)
        assert p["words"][0]["score"] >= best - 1e-4, f"token {i}: a word scores {best} > the engine's top-1 {p['words'][0]['score']}"
        checked += 1
    return checked


def boxes_tile(tm: dict, view: int) -> None:
    """The boxes of one view cover the area the view shows on the image, with no gap and no overlap."""
    v = tm["views"][view]
    r = v["rect"]
    boxes = [p["box"] for p in tm["patches"] if p["kind"] == "patch" and p["tile"] == view]
    area = sum(b["w"] * b["h"] for b in boxes)
    assert abs(area - r["w"] * r["h"]) < 1e-3 * r["w"] * r["h"], f"view {v['id']}: boxes cover {area}, the view {r['w'] * r['h']}"
    for i, a in enumerate(boxes):
        assert a["x"] >= r["x"] - 1e-6 and a["y"] >= r["y"] - 1e-6 and a["x"] + a["w"] <= r["x"] + r["w"] + 1e-6 and a["y"] + a["h"] <= r["y"] + r["h"] + 1e-6
        for b in boxes[i + 1:]:
            ow = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            oh = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            assert ow <= 1e-6 or oh <= 1e-6, f"view {v['id']}: boxes {a} and {b} overlap"


def save_png(arr: np.ndarray, path: Path) -> Path:
    from PIL import Image
    Image.fromarray(arr.astype(np.uint8)).save(str(path))
    return path


def as_tokens(features, width: int) -> np.ndarray:
    """A model's image features ([B, N, H], a list of [N, H] per image, or a tuple) as one [tokens, H] array."""
    import torch
    if isinstance(features, (list, tuple)):
        features = torch.cat([f.reshape(-1, width) for f in features])
    return features.reshape(-1, width).detach().float().numpy()
