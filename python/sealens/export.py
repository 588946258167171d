"""Export to real formats: ONNX (opset 17, single file, no external data), safetensors, HF tokenizer.json,
HF CLIPImageProcessor config, manifest.json (docs/model-pack.md, formatVersion 1)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from . import world
from .safetensors_io import save_file
from .runner.atomic import replace_folder_atomically
from .runner.onnx_export import export_onnx as _onnx
from .tokenizers import dumps
from .train import MEAN, STD



class _Vision(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.v = v

    def forward(self, pixel_values):
        return self.v(pixel_values)


class _Text(nn.Module):
    def __init__(self, t):
        super().__init__()
        self.t = t

    def forward(self, input_ids, attention_mask):
        return self.t(input_ids, attention_mask)[0]


def write_pack(d: Path, clip, wtok, ccfg, lm, btok, adapters, label_words, word_emb, prompt, sign, evaluation, cfg):
    for sub in ("encoder", "labels", "adapters", "llm"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    dev = next(clip.parameters()).device
    clip.cpu()
    lm.cpu()
    S = ccfg.image_size
    _onnx(_Vision(clip.vision), (torch.zeros(1, 3, S, S),), d / "encoder/vision_model.onnx", ["pixel_values"],
          ["last_hidden_state", "image_embeds", "patch_embeds"],
          {"pixel_values": {0: "batch"}, "last_hidden_state": {0: "batch"}, "image_embeds": {0: "batch"},
           "patch_embeds": {0: "batch"}})
    L = ccfg.max_text_len
    _onnx(_Text(clip.text), (torch.ones(2, L, dtype=torch.long), torch.ones(2, L, dtype=torch.long)),
          d / "encoder/text_model.onnx", ["input_ids", "attention_mask"], ["text_embeds"],
          {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
           "text_embeds": {0: "batch"}})
    (d / "encoder/tokenizer.json").write_text(dumps(wtok.to_json()))
    (d / "encoder/preprocessor_config.json").write_text(dumps({
        "image_processor_type": "CLIPImageProcessor", "do_resize": True, "size": {"shortest_edge": S},
        "resample": 3, "do_center_crop": True, "crop_size": {"height": S, "width": S}, "do_rescale": True,
        "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": MEAN.tolist(), "image_std": STD.tolist(),
        "do_convert_rgb": True}))
    (d / "labels/words.txt").write_text("\n".join(label_words) + "\n")
    save_file({"text_embeds": word_emb.float().numpy()}, str(d / "labels/word_embeds.safetensors"),
              {"prompt_template": prompt})
    P = (S // ccfg.patch_size) ** 2
    for name, ad in adapters.items():
        ad.cpu()
        save_file(ad.llava_state(), str(d / f"adapters/{name}.safetensors"), {"format": "pt", "adapter": name})
        _onnx(ad.net, (torch.zeros(1, P, ccfg.width),), d / f"adapters/{name}.onnx", ["image_features"],
              ["visual_tokens"], {"image_features": {0: "batch", 1: "patches"}, "visual_tokens": {0: "batch", 1: "patches"}})
        ad.to(dev)
    save_file({"model.embed_tokens.weight": lm.embed_tokens.weight.detach().float().numpy()},
              str(d / "llm/embed_tokens.safetensors"), {"format": "pt"})
    (d / "llm/tokenizer.json").write_text(dumps(btok.to_json()))
    (d / "llm/tokenizer_config.json").write_text(dumps(btok.config_json()))
    _onnx(lm, (torch.zeros(1, 8, lm.c.width),), d / "llm/decoder.onnx", ["inputs_embeds"], ["logits"],
          {"inputs_embeds": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}})
    clip.to(dev)
    lm.to(dev)
    manifest = {
        "formatVersion": 1,
        "name": "sea-lens-demo",
        "description": ("Demo MLLM trained from scratch on a procedural world of shapes on textured backgrounds: "
                        "mini-CLIP ViT encoder, mini causal LM, LLaVA mlp2x_gelu adapters trained without (baseline) "
                        "and with SEA token-level alignment (sea). See docs/demo-pack.md."),
        "imageEncoder": {"onnx": "encoder/vision_model.onnx", "input": "pixel_values", "output": "last_hidden_state",
                         "prefixTokens": 1, "patchSize": ccfg.patch_size,
                         "preprocessor": "encoder/preprocessor_config.json", "pooledOutput": "image_embeds",
                         "patchEmbedsOutput": "patch_embeds"},
        "textEncoder": {"onnx": "encoder/text_model.onnx", "inputIds": "input_ids", "attentionMask": "attention_mask",
                        "output": "text_embeds", "tokenizer": "encoder/tokenizer.json", "maxLength": L},
        "labeling": {"wordList": "labels/words.txt",
                     "wordEmbeddings": {"file": "labels/word_embeds.safetensors", "tensor": "text_embeds"},
                     "promptTemplate": prompt, "sign": sign, "topN": 10, "threshold": 0},
        "adapters": [
            {"name": "sea", "description": f"SEA: L_g + {evaluation['lambda']}·L_a (labels from the mini-CLIP)",
             "safetensors": "adapters/sea.safetensors", "onnx": "adapters/sea.onnx"},
            {"name": "baseline", "description": "LLaVA-style pretraining: caption loss L_g only",
             "safetensors": "adapters/baseline.safetensors", "onnx": "adapters/baseline.onnx"},
        ],
        "defaultAdapter": "sea",
        "llm": {"embeddings": {"file": "llm/embed_tokens.safetensors", "tensor": "model.embed_tokens.weight"},
                "tokenizer": "llm/tokenizer.json", "tokenizerConfig": "llm/tokenizer_config.json",
                "decoder": {"onnx": "llm/decoder.onnx", "inputsEmbeds": "inputs_embeds", "output": "logits"}},
        "evaluation": evaluation,
    }
    (d / "manifest.json").write_text(json.dumps(manifest, indent=2))


def patch_manifest_eval(d: Path, evaluation):
    m = json.loads((d / "manifest.json").read_text())
    m["evaluation"] = evaluation
    (d / "manifest.json").write_text(json.dumps(m, indent=2))


def write_samples(d: Path, seed: int, n: int, variant: str = "v1"):
    from PIL import Image
    d = Path(d).resolve()
    d.parent.mkdir(parents=True, exist_ok=True)
    import tempfile
    tmp = Path(tempfile.mkdtemp(prefix=f".{d.name}.tmp-", dir=d.parent))
    try:
        # test-split scenes, chosen so every material appears
        picked, seen, i = [], {}, 0
        while len(picked) < n:
            s = world.render_scene(seed, "test", i, variant=variant)
            if seen.get(s.material, 0) < (n + len(world.MATERIALS) - 1) // len(world.MATERIALS):
                seen[s.material] = seen.get(s.material, 0) + 1
                picked.append((i, s))
            i += 1
        for i, s in picked:
            objs = "-".join(f"{o.colour}-{o.shape}" for o in s.objects[:2])
            name = f"test{i:04d}-{objs}-{s.material}"
            Image.fromarray(s.image).save(tmp / f"{name}.png")
            g = world.GRID
            truth = {"grid": {"rows": g, "cols": g}, "caption": s.caption,
                     "patches": [{"row": k // g, "col": k % g, "words": w} for k, w in enumerate(s.patch_words)]}
            (tmp / f"{name}.truth.json").write_text(json.dumps(truth))
        replace_folder_atomically(tmp, d)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
