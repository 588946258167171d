"""Per-kind evaluation of a BUILT demo pack through the shipped engine (development only, not in the .vsix).

Renders fresh scenes from a generator seed the build never used, with the main renderer and the second one
(world.texture_flat), writes them with their truth, explains them with `sea-lens explain` (the engine, the
default view's candidates: what a user sees), and scores per kind of word (demo_metrics.kind_rates) beside the
trivial predictors on the same patches. No retraining.

    PYTHONPATH=python /usr/bin/python3 -m sealens.demo_eval --pack media/demo-pack --images 320 --seed 1000 \\
        [--work DIR] [--write-manifest]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from . import demo_metrics, world
from .runner.atomic import write_text_atomic

ROOT = Path(__file__).resolve().parents[2]


def write_scenes(folder: Path, seed: int, n: int, renderer: str, variant: str):
    from PIL import Image
    folder.mkdir(parents=True, exist_ok=True)
    imgs, caps, truth = world.render_batch(seed, "test", 0, n, renderer=renderer, variant=variant)
    for i in range(n):
        stem = folder / f"e{i:04d}"
        Image.fromarray(imgs[i]).save(f"{stem}.png")
        patches = [{"row": p // world.GRID, "col": p % world.GRID, "words": w} for p, w in enumerate(truth[i])]
        Path(f"{stem}.truth.json").write_text(json.dumps(
            {"grid": {"rows": world.GRID, "cols": world.GRID}, "caption": caps[i], "patches": patches}))
    return imgs, truth


def explain(folder: Path, pack: Path, adapter: str, out: Path, n: int):
    """Ranked words per patch (best first) for e0000 … e{n-1}, from the engine's TokenMaps."""
    cmd = ["node", str(ROOT / "bin" / "sea-lens.js"), "explain", str(folder), "--pack", str(pack), "--adapter", adapter,
           "--top-k", "2", "--format", "json", "--out", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"sea-lens explain failed ({r.returncode}): {r.stderr.strip().splitlines()[-1:]}")
    ranked = []
    for i in range(n):
        tm = json.loads((out / f"e{i:04d}.tokenmap.json").read_text())
        rows = {(p["row"], p["col"]): [w["word"].strip() for w in p["words"]] for p in tm["patches"] if "row" in p}
        ranked.append([rows[(p // world.GRID, p % world.GRID)] for p in range(world.GRID * world.GRID)])
    return ranked


def evaluate_pack(pack: Path, seed: int, n: int, work: Path, variant: str) -> dict:
    manifest = json.loads((pack / "manifest.json").read_text())
    adapters = [a["name"] for a in manifest["adapters"]]
    tr_img, _, tr_truth = world.render_batch(0, "train", 0, 2000, variant=variant)   # the colour classifier's fit
    out = {"seed": seed, "images": n, "engine": "sea-lens explain, default view (stop words hidden)",
           "world": variant, "renderers": {}}
    for renderer in world.RENDERERS:
        imgs, truth = write_scenes(work / renderer, seed, n, renderer, variant)
        r = {a: demo_metrics.kind_rates(explain(work / renderer, pack, a, work / "out" / renderer / a, n), truth)
             for a in adapters}
        r["trivial"] = demo_metrics.trivial_predictors(truth, imgs, tr_img, tr_truth, world.MATERIALS, world.PATCH_SIZE)
        out["renderers"][renderer] = r
        print(json.dumps({"renderer": renderer, **{a: r[a] for a in adapters}}), flush=True)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m sealens.demo_eval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--pack", default=str(ROOT / "media" / "demo-pack"))
    ap.add_argument("--images", type=int, default=320, help="scenes per renderer (default 320)")
    ap.add_argument("--seed", type=int, default=1000, help="generator seed; the shipped pack was built on seed 0")
    ap.add_argument("--work", default=None, help="folder for the rendered scenes and TokenMaps (default: a temp dir)")
    ap.add_argument("--write-manifest", action="store_true", help="store the result in manifest.json → evaluation.perKind")
    a = ap.parse_args(argv)
    pack = Path(a.pack).resolve()
    if not (pack / "manifest.json").is_file():
        raise SystemExit(f"{pack}: no manifest.json (pass --pack DIR)")
    manifest = json.loads((pack / "manifest.json").read_text())
    build_seed = manifest.get("evaluation", {}).get("seed", 0)
    if a.seed == build_seed:
        raise SystemExit(f"--seed {a.seed} is the seed the pack was built on; pick another (e.g. {build_seed + 1000})")
    variant = manifest.get("evaluation", {}).get("world", "v1")
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="sealens-demo-eval-"))
    ev = evaluate_pack(pack, a.seed, a.images, work, variant)
    print(demo_metrics.per_kind_table(ev["renderers"]))
    if a.write_manifest:
        manifest.setdefault("evaluation", {})["perKind"] = ev
        write_text_atomic(pack / "manifest.json", json.dumps(manifest, indent=2) + "\n")
        print(f"written to {pack / 'manifest.json'} → evaluation.perKind", file=sys.stderr)


if __name__ == "__main__":
    main()
