"""A tiny model pack with random weights and a handful of images, in the real formats (ONNX,
safetensors, tokenizer.json), built in seconds: for the runner's tests and smoke runs where the demo
pack has not been built. Nothing here is trained, so only mechanics (not quality) can be checked.

    python -m sealens.runner.tinypack OUT_DIR
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from .onnx_export import export_onnx as _onnx
from ..models import Adapter, ClipConfig, LMConfig, MiniLM, VisionEncoder
from ..safetensors_io import save_file
from ..tokenizers import BPETokenizer, dumps

WORDS = ["red", "green", "blue", "circle", "square", "star", "sky", "grass", "water", "triangle"]
COLOURS = {"red": (220, 40, 40), "green": (40, 200, 60), "blue": (40, 60, 220)}


def build(out: Path, n_images: int = 12, seed: int = 0) -> Path:
    from PIL import Image, ImageDraw
    out = Path(out)
    pack, imgs = out / "pack", out / "images"
    for d in ("encoder", "labels", "adapters", "llm"):
        (pack / d).mkdir(parents=True, exist_ok=True)
    imgs.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    c = ClipConfig(image_size=32, patch_size=8, width=32, layers=1, heads=2, embed_dim=16)
    vision = VisionEncoder(c).eval()
    _onnx(vision, (torch.zeros(1, 3, 32, 32),), pack / "encoder/vision_model.onnx", ["pixel_values"],
          ["last_hidden_state", "image_embeds", "patch_embeds"],
          {k: {0: "batch"} for k in ("pixel_values", "last_hidden_state", "image_embeds", "patch_embeds")})
    (pack / "encoder/preprocessor_config.json").write_text(json.dumps({
        "do_resize": True, "size": {"shortest_edge": 32}, "resample": 3, "do_center_crop": True,
        "crop_size": {"height": 32, "width": 32}, "do_rescale": True, "rescale_factor": 1 / 255,
        "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25]}))
    corpus = [f"a {a} {b} on the {d}" for a in COLOURS for b in ("circle", "square", "star") for d in ("sky", "grass", "water")]
    tok = BPETokenizer.train(corpus * 3 + WORDS * 5, keep_split=["triangle"])
    lm = MiniLM(LMConfig(vocab=len(tok), width=24, layers=1, heads=2, max_len=64)).eval()
    _onnx(lm, (torch.zeros(1, 8, 24),), pack / "llm/decoder.onnx", ["inputs_embeds"], ["logits"],
          {"inputs_embeds": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}})
    save_file({"model.embed_tokens.weight": lm.embed_tokens.weight.detach().numpy()}, str(pack / "llm/embed_tokens.safetensors"))
    (pack / "llm/tokenizer.json").write_text(dumps(tok.to_json()))
    (pack / "labels/words.txt").write_text("\n".join(WORDS) + "\n")
    save_file({"text_embeds": torch.randn(len(WORDS), 16).numpy()}, str(pack / "labels/word_embeds.safetensors"))
    ad = Adapter(32, 24)
    save_file(ad.llava_state(), str(pack / "adapters/base.safetensors"))
    manifest = {
        "formatVersion": 1, "name": "tiny-test-pack",
        "imageEncoder": {"onnx": "encoder/vision_model.onnx", "input": "pixel_values", "output": "last_hidden_state",
                         "prefixTokens": 1, "patchSize": 8, "preprocessor": "encoder/preprocessor_config.json",
                         "pooledOutput": "image_embeds", "patchEmbedsOutput": "patch_embeds"},
        "labeling": {"wordList": "labels/words.txt",
                     "wordEmbeddings": {"file": "labels/word_embeds.safetensors", "tensor": "text_embeds"},
                     "promptTemplate": "a photo of {}.", "sign": 1, "topN": 5, "threshold": 0},
        "adapters": [{"name": "base", "safetensors": "adapters/base.safetensors"}],
        "llm": {"embeddings": {"file": "llm/embed_tokens.safetensors", "tensor": "model.embed_tokens.weight"},
                "tokenizer": "llm/tokenizer.json",
                "decoder": {"onnx": "llm/decoder.onnx", "inputsEmbeds": "inputs_embeds", "output": "logits"}},
    }
    (pack / "manifest.json").write_text(json.dumps(manifest, indent=1))
    rng = np.random.default_rng(seed)
    names = list(COLOURS)
    for i in range(n_images):
        col = names[i % 3]
        im = Image.new("RGB", (40, 40), tuple(int(v) for v in rng.integers(0, 255, 3)))
        ImageDraw.Draw(im).ellipse((8, 8, 30, 30), fill=COLOURS[col])
        im.save(imgs / f"img{i:02d}.png")
        (imgs / f"img{i:02d}.txt").write_text(f"a {col} circle on the sky")
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
