"""`pack init` and explain on a random-weight model of LLaVA-1.5-7B geometry: CLIP ViT-L/14-336 tower,
projector 1024→4096→4096, a 32,000×4,096 embedding table in a shard of its own (the LLM itself cut to one
layer: pack init never reads it). Reports pack init time and peak memory, explain cold/warm and peak memory,
and PyTorch eager doing the same work (get_image_features + cosine top-5 over the table) in the same run.

Run with the project's environment: `.venv/bin/python bench/hf_pack_bench.py [--reps N]` (npm run bench:hf).
The checkpoint (≈1.5 GB fp16) is cached in .test-artifacts/bench/llava-1.5-7b-geometry.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".test-artifacts" / "bench"
CKPT = WORK / "llava-1.5-7b-geometry"
PACK = WORK / "llava-1.5-7b-geometry-pack"


def build_checkpoint() -> None:
    if (CKPT / "config.json").is_file():
        return
    import torch
    from transformers import CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration
    from transformers.modeling_utils import no_init_weights
    vision = CLIPVisionConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                              image_size=336, patch_size=14, projection_dim=768)
    text = LlamaConfig(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=1, num_attention_heads=32)
    cfg = LlavaConfig(vision_config=vision, text_config=text, vision_feature_layer=-2, vision_feature_select_strategy="default",
                      image_token_index=31999)
    with no_init_weights():
        model = LlavaForConditionalGeneration(cfg)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.02)
    model = model.half()
    tmp = CKPT.with_name(CKPT.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp), safe_serialization=True, max_shard_size="600MB")
    CLIPImageProcessor(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336},
                       image_mean=[0.48145466, 0.4578275, 0.40821073], image_std=[0.26862954, 0.26130258, 0.27577711]).save_pretrained(str(tmp))
    tok = ROOT / "node_modules" / "@lenml" / "tokenizer-llama2" / "models"
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(tok / f, tmp / f)
    tmp.rename(CKPT)


def torch_reference(image: Path, reps: int) -> dict:
    import numpy as np
    import torch
    from PIL import Image
    from transformers import CLIPImageProcessor, LlavaForConditionalGeneration
    torch.set_num_threads(os.cpu_count() or 1)
    model = LlavaForConditionalGeneration.from_pretrained(str(CKPT), torch_dtype=torch.float32).eval()
    proc = CLIPImageProcessor.from_pretrained(str(CKPT))
    table = torch.nn.functional.normalize(model.get_input_embeddings().weight.detach(), dim=-1)
    times = []
    for _ in range(reps + 1):
        t = time.perf_counter()
        with torch.no_grad():
            pv = proc(images=[Image.open(image).convert("RGB")], return_tensors="pt")["pixel_values"]
            f = model.get_image_features(pixel_values=pv)
            f = torch.cat(list(f)) if isinstance(f, (list, tuple)) else f.reshape(-1, f.shape[-1])
            torch.topk(torch.nn.functional.normalize(f, dim=-1) @ table.T, 5, dim=-1)
        times.append((time.perf_counter() - t) * 1000)
    return {"torchWarmMs": float(np.median(times[1:])), "torchFirstMs": times[0]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    build_checkpoint()
    print(f"checkpoint ready ({time.perf_counter() - t:.1f} s): {CKPT}", file=sys.stderr)
    shutil.rmtree(PACK, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "sealens.hfpack", "init", "--src", str(CKPT), "--out", str(PACK)],
                       capture_output=True, text=True, env=env)
    init_s = time.perf_counter() - t
    init_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if r.returncode:
        print(r.stdout[-2000:], r.stderr[-3000:], file=sys.stderr)
        return 1
    from PIL import Image
    import numpy as np
    img = WORK / "photo-640x480.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)).save(img)
    e = subprocess.run(["node", "--import", "tsx", str(ROOT / "bench" / "hfExplain.ts"), str(PACK), str(img), str(a.reps)],
                       capture_output=True, text=True, cwd=ROOT)
    if e.returncode:
        print(e.stderr[-3000:], file=sys.stderr)
        return 1
    ex = json.loads(e.stdout.strip().splitlines()[-1])
    ref = torch_reference(img, a.reps)
    tower_mb = sum(f.stat().st_size for f in PACK.iterdir()) / 2 ** 20
    out = {"packInitSeconds": round(init_s, 1), "packInitPeakRssMB": round(init_rss), "packFolderMB": round(tower_mb),
           **ex, **ref, "torchOverSeaLens": round(ref["torchWarmMs"] / ex["warmMs"], 2)}
    print(json.dumps(out, indent=1))
    print(f"\npack init {out['packInitSeconds']} s, peak {out['packInitPeakRssMB']} MB | explain ({ex['tokens']} tokens) "
          f"cold {ex['coldMs'] / 1000:.2f} s, warm {ex['warmMs'] / 1000:.2f} s, peak {ex['peakRssMB']:.0f} MB | "
          f"PyTorch eager warm {ref['torchWarmMs'] / 1000:.2f} s → PyTorch / SEA Lens {out['torchOverSeaLens']}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
