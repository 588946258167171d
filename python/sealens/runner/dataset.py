"""Training data: an image folder (captions in NAME.txt, or the `caption` of NAME.truth.json) or a
LLaVA-style JSON list of {"image": …, "conversations": […] | "caption": …}. Undecodable images are
skipped and counted; images are preprocessed the way the pack's preprocessor_config.json says."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import numpy as np

# The formats of src/shared/mediaLimits.ts (what the engine's sharp decodes; BMP is not one of them);
# test/unit/mediaLimits.test.ts checks that the two lists agree.
IMAGE_EXT = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".avif"}


class DatasetError(ValueError):
    pass


@dataclass
class Item:
    path: Path
    caption: Optional[str]
    truth: Optional[list] = None   # per patch: list of words (from NAME.truth.json), for evaluation only


@dataclass
class Dataset:
    items: List[Item]
    skipped: List[str] = field(default_factory=list)   # "path: reason"
    pixels: Optional[np.ndarray] = None                # [N, 3, S, S] float32 after preprocessing

    @property
    def has_captions(self) -> bool:
        return any(i.caption for i in self.items)


def _llava_caption(entry: dict) -> Optional[str]:
    if isinstance(entry.get("caption"), str):
        return entry["caption"]
    for turn in entry.get("conversations") or []:
        if isinstance(turn, dict) and turn.get("from") in ("gpt", "assistant") and isinstance(turn.get("value"), str):
            return turn["value"]
    return None


def _truth(img: Path):
    t = img.with_suffix("").with_name(img.stem + ".truth.json")
    if not t.is_file():
        return None, None
    try:
        d = json.loads(t.read_text())
        patches = sorted(d["patches"], key=lambda p: (p["row"], p["col"]))
        return [p["words"] for p in patches], d.get("caption")
    except (ValueError, KeyError, TypeError):
        return None, None


def list_items(source: Path, max_images: Optional[int] = None) -> List[Item]:
    if source.is_dir():
        items = []
        for img in sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_EXT and p.is_file()):
            truth, tcap = _truth(img)
            txt = img.with_suffix(".txt")
            cap = txt.read_text(errors="replace").strip() if txt.is_file() else tcap
            items.append(Item(img, cap or None, truth))
    elif source.is_file():
        try:
            data = json.loads(source.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise DatasetError(f"{source}: not valid JSON ({e})") from None
        if not isinstance(data, list):
            raise DatasetError(f"{source}: expected a JSON list of {{\"image\": …, \"conversations\"|\"caption\": …}}")
        items = []
        for i, e in enumerate(data):
            if not isinstance(e, dict) or not isinstance(e.get("image"), str):
                raise DatasetError(f"{source}: entry {i} has no \"image\" string")
            img = (source.parent / e["image"]).resolve()
            cap = _llava_caption(e)
            cap = re.sub(r"<image>\s*", "", cap).strip() if cap else None
            items.append(Item(img, cap or None, _truth(img)[0]))
    else:
        raise DatasetError(f"{source}: dataset not found (expected an image folder or a LLaVA-style JSON file)")
    if max_images:
        items = items[:max_images]
    if not items:
        raise DatasetError(f"{source}: the dataset is empty (no {', '.join(sorted(IMAGE_EXT))} images)")
    return items


def preprocess(img, cfg: dict) -> np.ndarray:
    """HF CLIPImageProcessor semantics: resize shortest edge, centre crop, rescale, normalise -> [3, H, W]."""
    from PIL import Image
    img = img.convert("RGB")
    if cfg.get("do_resize", True):
        size = cfg.get("size", {})
        if "shortest_edge" in size:
            s = size["shortest_edge"]
            w, h = img.size
            r = s / min(w, h)
            img = img.resize((max(s, round(w * r)), max(s, round(h * r))), resample=cfg.get("resample", 3))
        elif "height" in size:
            img = img.resize((size["width"], size["height"]), resample=cfg.get("resample", 3))
    if cfg.get("do_center_crop", True) and "crop_size" in cfg:
        ch, cw = cfg["crop_size"]["height"], cfg["crop_size"]["width"]
        w, h = img.size
        l, t = (w - cw) // 2, (h - ch) // 2
        img = img.crop((l, t, l + cw, t + ch))
    x = np.asarray(img, dtype=np.float32)
    if cfg.get("do_rescale", True):
        x = x * cfg.get("rescale_factor", 1 / 255)
    if cfg.get("do_normalize", True):
        x = (x - np.array(cfg["image_mean"], np.float32)) / np.array(cfg["image_std"], np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def load(source: Path, preprocessor: dict, max_images: Optional[int] = None) -> Dataset:
    from PIL import Image
    items = list_items(source, max_images)
    kept, skipped, pix = [], [], []
    for it in items:
        try:
            with Image.open(it.path) as im:
                im.load()
                im = im.convert("RGB")
        except Exception as e:  # noqa: BLE001 — any decoder failure (zlib, struct, bomb guard…) skips the image
            skipped.append(f"{it.path}: {type(e).__name__}: {e}")
            continue
        pix.append(preprocess(im, preprocessor))   # a bad preprocessor config is the pack's error, not the image's
        kept.append(it)
    if not kept:
        raise DatasetError(f"{source}: none of the {len(items)} images could be decoded "
                           f"(first: {skipped[0] if skipped else '?'})")
    return Dataset(kept, skipped, np.stack(pix))
