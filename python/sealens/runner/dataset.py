"""Training data: an image folder, sub-folders included (captions in NAME.txt, or the `caption` of
NAME.truth.json) or a LLaVA-style JSON list (or JSON Lines) of {"image": …, "conversations": […] | "caption": …}
with images relative to an image folder (LLaVA's --image-folder; default the JSON's folder). Undecodable
images and malformed records are skipped and counted, each named with its file and record; images are preprocessed the way the pack's preprocessor_config.json says."""
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
    """`caption`, else the gpt turns of `conversations` joined (LLaVA's answers describe the image)."""
    if isinstance(entry.get("caption"), str):
        return entry["caption"]
    turns = [t["value"] for t in entry.get("conversations") or []
             if isinstance(t, dict) and t.get("from") in ("gpt", "assistant") and isinstance(t.get("value"), str)]
    return " ".join(t.strip() for t in turns) if turns else None


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


def _folder_items(source: Path) -> List[Item]:
    """Every image below `source` (sub-folders too, in path order), caption from the `x.txt` beside `x.png`."""
    items = []
    for img in sorted((p for p in source.rglob("*") if p.suffix.lower() in IMAGE_EXT and p.is_file()),
                      key=lambda p: p.relative_to(source).as_posix()):
        truth, tcap = _truth(img)
        txt = img.with_suffix(".txt")
        cap = txt.read_text(errors="replace").strip() if txt.is_file() else tcap
        items.append(Item(img, cap or None, truth))
    return items


def _json_records(source: Path):
    """The records of a LLaVA JSON list (or JSON Lines: one record per line, errors name the line)."""
    text = source.read_text(errors="replace")
    if source.suffix.lower() == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    yield f"line {n}", json.loads(line)
                except json.JSONDecodeError as e:
                    yield f"line {n}", DatasetError(f"not valid JSON ({e.msg})")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DatasetError(f"{source}: not valid JSON at line {e.lineno}, column {e.colno} ({e.msg})") from None
    if not isinstance(data, list):
        raise DatasetError(f"{source}: expected a JSON list of {{\"image\": …, \"conversations\"|\"caption\": …}}")
    for i, rec in enumerate(data):
        yield f"record {i}", rec


def _json_items(source: Path, image_folder: Optional[Path], bad: List[str]) -> List[Item]:
    """LLaVA layout: `image` is relative to the image folder (LLaVA's --image-folder; default: the JSON's
    folder). A malformed record is skipped and reported as `FILE: record I: why`."""
    root = image_folder or source.parent
    items = []
    for where, rec in _json_records(source):
        why = None
        if isinstance(rec, DatasetError):
            why = str(rec)
        elif not isinstance(rec, dict):
            why = f"not an object (got {type(rec).__name__})"
        elif not isinstance(rec.get("image"), str) or not rec["image"].strip():
            why = "no \"image\" string" + (" (several images per record are not supported)" if isinstance(rec.get("image"), list) else "")
        elif "conversations" in rec and not isinstance(rec["conversations"], list):
            why = "\"conversations\" is not a list"
        if why is None:
            img = (root / rec["image"]).resolve()
            if not img.is_file():
                why = f"image {rec['image']} not found in {root}" + ("" if image_folder else " (set imageFolder to LLaVA's --image-folder)")
        if why is not None:
            bad.append(f"{source}: {where}: {why}")
            continue
        cap = _llava_caption(rec)
        cap = re.sub(r"<image>\s*", "", cap).strip() if cap else None
        items.append(Item(img, cap or None, _truth(img)[0]))
    return items


def scan(source: Path, max_images: Optional[int] = None, image_folder: Optional[Path] = None):
    """(items, bad records): bad records are skipped, each with its file and record index or line."""
    bad: List[str] = []
    if image_folder is not None and not image_folder.is_dir():
        raise DatasetError(f"{image_folder}: imageFolder is not a folder")
    if source.is_dir():
        items = _folder_items(source)
    elif source.is_file():
        items = _json_items(source, image_folder, bad)
    else:
        raise DatasetError(f"{source}: dataset not found (expected an image folder or a LLaVA-style JSON file)")
    if max_images:
        items = items[:max_images]
    if not items:
        first = f"; {len(bad)} bad record(s), first: {bad[0]}" if bad else ""
        raise DatasetError(f"{source}: the dataset is empty (no {', '.join(sorted(IMAGE_EXT))} images){first}")
    return items, bad


def list_items(source: Path, max_images: Optional[int] = None, image_folder: Optional[Path] = None) -> List[Item]:
    return scan(source, max_images, image_folder)[0]


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


def load(source: Path, preprocessor: dict, max_images: Optional[int] = None,
         image_folder: Optional[Path] = None) -> Dataset:
    from PIL import Image
    items, bad = scan(source, max_images, image_folder)
    kept, skipped, pix = [], list(bad), []
    for it in items:
        try:
            with Image.open(it.path) as im:
                im.load()
                im = im.convert("RGB")
        except Exception as e:  # noqa: BLE001 — any decoder failure (zlib, struct, bomb guard…) skips the image
            skipped.append(f"{it.path}: undecodable image ({type(e).__name__}: {e})")
            continue
        pix.append(preprocess(im, preprocessor))   # a bad preprocessor config is the pack's error, not the image's
        kept.append(it)
    if not kept:
        raise DatasetError(f"{source}: none of the {len(items)} images could be decoded "
                           f"(first: {skipped[0] if skipped else '?'})")
    return Dataset(kept, skipped, np.stack(pix))
