#!/usr/bin/env python3
"""Builds the benchmark packs with random weights, in the real formats, from test/fixtures/make_packs.py:
  realsize  ViT-B/16 at 224 px, adapter 768→896→896, Qwen-sized vocabulary 151,936×896 fp16 (as npm run bench)
  llava     LLaVA-1.5 geometry: ViT-L/14 at 336 px (24 layers, width 1024), projector 1024→4096→4096,
            Llama-2 vocabulary 32,000×4,096 fp16
Usage: make_bench_packs.py OUT_DIR --llama-tokenizer DIR --qwen-tokenizer DIR [--only realsize|llava]
Works with torch 1.13 (Debian) and torch 2.x: torch ≥ 2.9 exports with the dynamo exporter by default, which
needs onnxscript; the packs only need the TorchScript exporter, so it is asked for where the option exists."""
import argparse
import inspect
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "fixtures"))
import make_packs  # noqa: E402

_export = torch.onnx.export
if "dynamo" in inspect.signature(_export).parameters:
    def _torchscript_export(*args, **kwargs):
        kwargs.setdefault("dynamo", False)
        return _export(*args, **kwargs)
    torch.onnx.export = _torchscript_export

GEOMETRIES = {
    "realsize": dict(kind="clip", tok="qwen", vocab=151936, img=224, patch=16, dim=768, layers=12, heads=12, hidden=896),
    "llava": dict(kind="clip", tok="llama", vocab=32000, img=336, patch=14, dim=1024, layers=24, heads=16, hidden=4096),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--llama-tokenizer", required=True)
    ap.add_argument("--qwen-tokenizer", required=True)
    ap.add_argument("--only", choices=sorted(GEOMETRIES))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))
    for name, g in GEOMETRIES.items():
        if a.only and a.only != name:
            continue
        stamp = os.path.join(a.out, f"READY-{name}")
        if os.path.exists(stamp):
            print(f"{name}: already built", file=sys.stderr)
            continue
        tok = a.qwen_tokenizer if g["tok"] == "qwen" else a.llama_tokenizer
        make_packs.build_pack(a.out, name, kind=g["kind"], tok_dir=tok, vocab=g["vocab"], img=g["img"], patch=g["patch"],
                              dim=g["dim"], layers=g["layers"], heads=g["heads"], prefix=1, hidden=g["hidden"],
                              outputs="none", hidden_index=None, emb_dtype="F16", layouts=(("sea", "llava", "F32"),),
                              adapter_onnx=False, labeling=False)
        with open(stamp, "w") as f:
            f.write(make_packs.VERSION)
        print(f"{name}: built in {os.path.join(a.out, name)}", file=sys.stderr)


if __name__ == "__main__":
    main()
