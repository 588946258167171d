"""The demo world (sealens.world) written as a training dataset: N scenes as PNG images, each with its caption
beside it (`NAME.txt`) and its per-patch truth (`NAME.truth.json`, so a run reports patch-word accuracy),
plus `llava.json`, the same images as a LLaVA-style list (`image` + `conversations`), to try either layout.

    python -m sealens.demo_dataset --n 64 --out DIR [--seed 0] [--split train]

Exit codes: 0 written, 2 bad arguments or a non-empty DIR, 3 disk full, 6 numpy/Pillow missing."""
from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path

SPLITS = ("train", "validation", "test")


def write(out: Path, n: int, seed: int = 0, split: str = "train") -> list:
    import numpy as np  # noqa: F401  (world needs it; imported here so a missing one is reported, not a traceback)
    from PIL import Image
    from . import world
    out.mkdir(parents=True, exist_ok=True)
    g, records = world.GRID, []
    for i in range(n):
        s = world.render_scene(seed, split, i)
        name = f"{split}{i:05d}"
        Image.fromarray(s.image).save(out / f"{name}.png")
        (out / f"{name}.txt").write_text(s.caption + "\n")
        truth = {"grid": {"rows": g, "cols": g}, "caption": s.caption,
                 "patches": [{"row": k // g, "col": k % g, "words": w} for k, w in enumerate(s.patch_words)]}
        (out / f"{name}.truth.json").write_text(json.dumps(truth))
        records.append({"id": name, "image": f"{name}.png", "conversations": [
            {"from": "human", "value": "<image>\nDescribe the image."}, {"from": "gpt", "value": s.caption}]})
    (out / "llava.json").write_text(json.dumps(records, indent=1) + "\n")
    return records


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sealens.demo_dataset")
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", default="train", choices=SPLITS)
    a = ap.parse_args(argv)
    if not 1 <= a.n <= 100_000:
        print(f"error: --n must be from 1 to 100000 (got {a.n})", file=sys.stderr)
        return 2
    out = Path(a.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"error: {out} exists and is not an empty folder; choose a new --out", file=sys.stderr)
        return 2
    try:
        write(out, a.n, a.seed, a.split)
    except ImportError as e:
        print(f"error: {sys.executable} lacks {e.name or e}: install numpy and Pillow "
              f"(`{sys.executable} -m pip install numpy pillow`; Debian: apt install python3-numpy python3-pil)",
              file=sys.stderr)
        return 6
    except OSError as e:
        print(f"error: {out}: {e.strerror or e}", file=sys.stderr)
        return 3 if e.errno == errno.ENOSPC else 1
    print(f"wrote {a.n} images with captions and truth to {out} (+ llava.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
