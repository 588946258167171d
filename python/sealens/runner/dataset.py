"""Training data: an image folder, sub-folders included (captions in NAME.txt, or the `caption` of
NAME.truth.json) or a LLaVA-style JSON list (or JSON Lines) of {"image": …, "conversations": […] | "caption": …}
with images relative to an image folder (LLaVA's --image-folder; default the JSON's folder); webdataset tar
shards (a .tar, a folder of them, or a brace pattern such as shards-{0000..0009}.tar); a local Hugging Face
`datasets` folder (save_to_disk's arrow files, or parquet files; needs pyarrow). Undecodable images and
malformed records are skipped and counted, each named with its file and record (or tar member, or row);
images are preprocessed the way the pack's preprocessor_config.json says."""
from __future__ import annotations

import io
import json
import os
import re
import tarfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

# The formats of src/shared/mediaLimits.ts (what the engine's sharp decodes; BMP is not one of them);
# test/unit/mediaLimits.test.ts checks that the two lists agree.
IMAGE_EXT = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".avif"}
# LIMITS of src/shared/mediaLimits.ts: files above maxImageBytes are refused unread, and decoded images above
# maxPixels are refused (decompression bombs). Caption members of a tar are text: 1 MiB is already absurd.
MAX_IMAGE_BYTES = 512 * 1024 * 1024
MAX_PIXELS = 100_000_000
MAX_TEXT_BYTES = 1024 * 1024
MAX_SHARDS = 100_000   # a brace pattern that expands further is a typo, not a dataset


class DatasetError(ValueError):
    pass


class Item:
    """One image of the dataset, as little as it takes to find it again: a run keeps every Item in memory
    (100k+ of them) while the images themselves are read only when their batch is decoded (streaming), so
    the fields are slots and the path a string."""
    __slots__ = ("file", "caption", "has_truth", "member", "offset", "size", "row", "column")

    def __init__(self, path, caption: Optional[str], truth_file: Optional[Path] = None, member: Optional[str] = None,
                 offset: Optional[int] = None, size: int = 0, row: Optional[int] = None,
                 column: Optional[Tuple[str, str, str]] = None):
        self.file = str(path)          # the image file, or the tar shard / arrow / parquet file that holds it
        self.caption = caption
        self.has_truth = truth_file is not None   # NAME.truth.json beside the image (per-patch words)
        self.member = member           # inside the file: the tar member name, or "row N" of a datasets file
        self.offset = offset           # tar: where the member's bytes start (read on demand, never extracted)
        self.size = size
        self.row = row                 # datasets: the row whose image column holds the bytes
        self.column = column           # datasets: (file kind, image column, dataset folder), shared by a file's rows

    @property
    def path(self) -> Path:
        return Path(self.file)

    @property
    def truth_file(self) -> Optional[Path]:
        return _truth_path(self.path) if self.has_truth else None

    @property
    def name(self) -> str:
        """How messages name the image: its file, or `SHARD: member`."""
        return f"{self.file}: {self.member}" if self.member else self.file

    @property
    def truth(self) -> Optional[list]:
        """Per patch, the list of true words (demo-world sidecars), or None; read from disk on each call."""
        return _truth(self.truth_file)[0] if self.has_truth else None

    def open(self):
        """A binary file object of the image's bytes: the file itself, or the bytes read from the shard / row."""
        if self.row is not None:
            return io.BytesIO(_row_bytes(self))
        if self.offset is not None:
            with open(self.file, "rb") as f:
                f.seek(self.offset)
                return io.BytesIO(f.read(self.size))
        return self.file

    def __repr__(self) -> str:
        return f"Item({self.name!r}, caption={self.caption!r})"


@dataclass
class Dataset:
    items: List[Item]
    skipped: List[str] = field(default_factory=list)   # "path: reason"
    pixels: Optional[np.ndarray] = None                # [N, 3, S, S] float32 after preprocessing (load() only)

    @property
    def has_captions(self) -> bool:
        return any(i.caption for i in self.items)


def _llava_caption(entry: dict) -> Optional[str]:
    """`caption`, else the gpt turns of `conversations` joined (LLaVA's answers describe the image)."""
    for k in ("caption", "text"):
        if isinstance(entry.get(k), str):
            return entry[k]
    turns = [t["value"] for t in entry.get("conversations") or []
             if isinstance(t, dict) and t.get("from") in ("gpt", "assistant") and isinstance(t.get("value"), str)]
    return " ".join(t.strip() for t in turns) if turns else None


def _truth_path(img: Path) -> Path:
    return img.with_name(img.stem + ".truth.json")


def _truth_file(img: Path) -> Optional[Path]:
    t = _truth_path(img)
    return t if t.is_file() else None


def _truth(t: Optional[Path]):
    """(per-patch word lists, caption) of a NAME.truth.json; (None, None) when absent or unreadable."""
    if t is None:
        return None, None
    try:
        d = json.loads(t.read_text())
        patches = sorted(d["patches"], key=lambda p: (p["row"], p["col"]))
        return [p["words"] for p in patches], d.get("caption")
    except (OSError, ValueError, KeyError, TypeError):
        return None, None


def _folder_items(source: Path) -> List[Item]:
    """Every image below `source` (sub-folders too, in path order), caption from the `x.txt` beside `x.png`.
    Walked with strings, not Path objects: a folder of 100k images and their sidecars is 300k names."""
    found = []
    for folder, dirs, files in os.walk(source):
        dirs.sort()
        rel = os.path.relpath(folder, source).replace(os.sep, "/")
        names = set(files)   # one per folder, shared by its images: sidecars are looked up here, not stat'ed
        for f in files:
            if os.path.splitext(f)[1].lower() in IMAGE_EXT:
                found.append((f if rel == "." else f"{rel}/{f}", os.path.join(folder, f), names))
    found.sort(key=lambda x: x[0])
    items = []
    for _, full, names in found:
        img = Path(full)
        stem = img.stem
        tf = img.with_name(stem + ".truth.json") if stem + ".truth.json" in names else None
        cap = None
        if stem + ".txt" in names:
            cap = img.with_name(stem + ".txt").read_text(errors="replace").strip()
        elif tf is not None:
            cap = _truth(tf)[1]
        if img.is_file():
            items.append(Item(full, cap or None, tf))
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
        items.append(Item(img, cap or None, _truth_file(img)))
    return items


def expand_braces(pattern: str) -> List[str]:
    """webdataset's shard notation, resolved locally: `a-{0000..0009}.tar` (zero padding kept) and `{x,y}`."""
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m:
        return [pattern]
    head, tail, body = pattern[:m.start()], pattern[m.end():], m.group(1)
    r = re.fullmatch(r"(\d+)\.\.(\d+)", body)
    if r:
        lo, hi, width = int(r.group(1)), int(r.group(2)), len(r.group(1))
        if hi < lo or hi - lo >= MAX_SHARDS:
            raise DatasetError(f"{pattern}: the range {{{body}}} must go up and hold at most {MAX_SHARDS} shards")
        parts = [str(i).zfill(width) for i in range(lo, hi + 1)]
    elif "," in body:
        parts = body.split(",")
    else:
        raise DatasetError(f"{pattern}: {{{body}}} is neither a range {{0000..0009}} nor a list {{a,b}}")
    out: List[str] = []
    for part in parts:   # checked as it grows: {0..99999}{0..99999} must not build 10^10 names first
        out += expand_braces(head + part + tail)
        if len(out) > MAX_SHARDS:
            raise DatasetError(f"{pattern}: expands to more than {MAX_SHARDS} shards")
    return out


def _shards(source: Path) -> List[Path]:
    """The shard files of a brace pattern; every one must be there (a missing shard is a typo, not noise)."""
    files = [Path(x) for x in expand_braces(str(source))]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise DatasetError(f"{source}: {len(missing)} of {len(files)} shards not found, first: {missing[0]}")
    return files


def _split_key(name: str):
    """webdataset's grouping: key = the name up to the first dot of its last path part, ext = the rest."""
    d, _, base = name.rpartition("/")
    stem, dot, ext = base.partition(".")
    return (f"{d}/{stem}" if d else stem), ext.lower() if dot else ""


def _text(tf: tarfile.TarFile, m: tarfile.TarInfo) -> str:
    with tf.extractfile(m) as f:
        return f.read().decode("utf-8", errors="replace")


def _members(tf: tarfile.TarFile, shard: Path, bad: List[str]):
    """The members in order; a shard cut short ends the walk (the cut member is reported by its caller) instead
    of losing the samples before it."""
    last = None
    while True:
        try:
            m = tf.next()
        except tarfile.ReadError as e:
            if last is None:
                raise
            if last.offset_data + last.size <= shard.stat().st_size:
                bad.append(f"{shard}: after {last.name}: {e}; the rest of the shard is skipped")
            return
        if m is None:
            return
        last = m
        yield m


def _tar_items(shard: Path, bad: List[str]) -> List[Item]:
    """One webdataset shard: members grouped by key; the image is read later from its offset (nothing is
    extracted, so a member named ../x.png is only a name). Broken samples are reported as `SHARD: member: why`."""
    try:
        tf = tarfile.open(shard, "r:")   # plain tar only: offsets into a compressed stream cannot be seeked
    except (tarfile.TarError, OSError) as e:
        raise DatasetError(f"{shard}: not a readable uncompressed tar shard ({e}); webdataset shards are plain .tar files") from None
    samples: dict = {}
    total = shard.stat().st_size
    try:
        with tf:
            for m in _members(tf, shard, bad):
                if m.isdir():
                    continue
                if not m.isfile() or m.issparse():
                    kind = ("symlink" if m.issym() else "hard link" if m.islnk() else
                            "sparse file" if m.isfile() else "device or fifo")
                    bad.append(f"{shard}: {m.name}: a {kind}, not a regular file (refused)")
                    continue
                key, ext = _split_key(m.name)
                limit = MAX_IMAGE_BYTES if "." + ext in IMAGE_EXT else MAX_TEXT_BYTES
                if m.size > limit:
                    bad.append(f"{shard}: {m.name}: {m.size} bytes, above the {limit}-byte limit")
                    continue
                s = samples.setdefault(key, {"members": []})
                s["members"].append(m.name)
                if m.offset_data + m.size > total:
                    s["truncated"] = f"{m.name}: cut short ({m.size} bytes announced, the shard ends first)"
                elif "." + ext in IMAGE_EXT:
                    s.setdefault("image", m)
                elif ext in ("txt", "json"):
                    s[ext] = (m.name, _text(tf, m))
            # tarfile stops quietly at a damaged header after the first: say so, the rest of the shard is lost
            with open(shard, "rb") as raw:
                raw.seek(tf.offset)
                rest = raw.read(tarfile.BLOCKSIZE)
            if rest.strip(b"\0"):
                bad.append(f"{shard}: byte {tf.offset}: not a tar header; the rest of the shard is skipped")
    except (tarfile.TarError, OSError, EOFError) as e:
        raise DatasetError(f"{shard}: corrupt tar shard ({type(e).__name__}: {e})") from None
    items = []
    for key, s in samples.items():
        cap, why = None, None
        if "txt" in s:
            cap = s["txt"][1].strip()
            if not cap:
                why = f"{s['txt'][0]}: empty caption"
        elif "json" in s:
            try:
                d = json.loads(s["json"][1])
                cap = _llava_caption(d) if isinstance(d, dict) else None
                if not cap:
                    why = f"{s['json'][0]}: no \"caption\", \"text\" or gpt turn in \"conversations\""
            except json.JSONDecodeError as e:
                why = f"{s['json'][0]}: not valid JSON ({e.msg} at line {e.lineno})"
        if "image" not in s:
            why = f"{key}: no image member (has {', '.join(s['members'])})"
        why = s.get("truncated") or why
        if why:
            bad.append(f"{shard}: {why}")
            continue
        m = s["image"]
        cap = re.sub(r"<image>\s*", "", cap).strip() if cap else None
        items.append(Item(shard, cap or None, member=m.name, offset=m.offset_data, size=m.size))
    return items


IMAGE_COLUMNS = ("image", "img", "jpg", "jpeg", "png", "webp")
CAPTION_COLUMNS = ("caption", "text", "conversations")


def _hf_files(folder: Path):
    """(kind, files) of a datasets folder: save_to_disk's arrow files in state.json's order (the train split of
    a DatasetDict), or every parquet file below the folder; None when the folder is neither."""
    if (folder / "dataset_dict.json").is_file():
        try:
            splits = json.loads((folder / "dataset_dict.json").read_text()).get("splits") or []
        except (ValueError, AttributeError):
            raise DatasetError(f"{folder / 'dataset_dict.json'}: not valid JSON") from None
        if "train" not in splits:
            raise DatasetError(f"{folder}: a DatasetDict without a train split (has {splits}); point the dataset at one split's folder")
        folder = folder / "train"
    if (folder / "state.json").is_file():
        try:
            files = [folder / d["filename"] for d in json.loads((folder / "state.json").read_text())["_data_files"]]
        except (ValueError, KeyError, TypeError):
            raise DatasetError(f"{folder / 'state.json'}: not a datasets save_to_disk state (no _data_files list)") from None
        return "arrow", files
    parquet = sorted(folder.rglob("*.parquet"), key=lambda p: p.relative_to(folder).as_posix())
    return ("parquet", parquet) if parquet else None


def _arrow_batches(f: Path, kind: str):
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DatasetError(f"{f}: reading a Hugging Face datasets folder needs pyarrow; install it into the "
                           "trainer's Python: pip install pyarrow") from None
    try:
        if kind == "parquet":
            pf = pq.ParquetFile(f)
            return pf.schema_arrow, pf.iter_batches(batch_size=256)
        # read, not memory-mapped: mapped pages a walk has touched would count in the process's memory
        try:
            r = pa.ipc.open_stream(pa.OSFile(str(f)))    # what datasets' ArrowWriter writes
        except pa.ArrowInvalid:
            r = pa.ipc.open_file(pa.OSFile(str(f)))
            return r.schema, (r.get_batch(i) for i in range(r.num_record_batches))
        return r.schema, r
    except (OSError, pa.ArrowException) as e:
        raise DatasetError(f"{f}: not a readable {kind} file ({e})") from None


def _hf_items(folder: Path, kind: str, files: List[Path], bad: List[str]) -> List[Item]:
    """Rows of a datasets folder: the image column (datasets' Image feature: {bytes, path}) and the caption
    column (`caption`, `text` or LLaVA `conversations`). A broken row is reported as `FILE: row N: why`."""
    items = []
    for f in files:
        if not f.is_file():
            raise DatasetError(f"{f}: listed in {folder}'s state.json but not there")
        schema, batches = _arrow_batches(f, kind)
        names = schema.names
        img_col = next((c for c in IMAGE_COLUMNS if c in names), None)
        if img_col is None:
            raise DatasetError(f"{f}: no image column (looked for {', '.join(IMAGE_COLUMNS)}; has {', '.join(names)})")
        cap_col = next((c for c in CAPTION_COLUMNS if c in names), None)
        column = (kind, img_col, str(folder))
        row = 0
        try:
            for b in batches:
                imgs = b.column(img_col).to_pylist()
                caps = b.column(cap_col).to_pylist() if cap_col else [None] * len(imgs)
                for im, cap in zip(imgs, caps):
                    where, row = f"row {row}", row + 1
                    data, why = None, None
                    if isinstance(im, dict) and isinstance(im.get("bytes"), bytes):
                        data = im["bytes"]
                    elif isinstance(im, bytes):
                        data = im
                    elif isinstance(im, dict) and isinstance(im.get("path"), str) and (folder / im["path"]).is_file():
                        file = folder / im["path"]
                        if file.stat().st_size > MAX_IMAGE_BYTES:
                            why = f"{file}: above the {MAX_IMAGE_BYTES}-byte limit"
                        data = b""   # a file beside the dataset: read from there when decoded
                    else:
                        why = f"no image bytes in column {img_col!r}" + (f" and {im['path']} is not in {folder}"
                                                                        if isinstance(im, dict) and im.get("path") else "")
                    if data is not None and len(data) > MAX_IMAGE_BYTES:
                        why = f"image of {len(data)} bytes, above the {MAX_IMAGE_BYTES}-byte limit"
                    if cap_col == "conversations":
                        cap = _llava_caption({"conversations": cap}) if isinstance(cap, list) else None
                    elif cap is not None and not isinstance(cap, str):
                        why = why or f"{cap_col!r} is not a string (got {type(cap).__name__})"
                    if why:
                        bad.append(f"{f}: {where}: {why}")
                        continue
                    cap = re.sub(r"<image>\s*", "", cap).strip() if cap else None
                    # the bytes are not kept: the row is read again when its batch is decoded (bounded memory)
                    items.append(Item(f, cap or None, member=where, row=row - 1, column=column))
        except Exception as e:  # noqa: BLE001 — pyarrow raises its own kinds for a truncated or corrupt file
            if isinstance(e, DatasetError):
                raise
            raise DatasetError(f"{f}: corrupt {kind} file after row {row} ({type(e).__name__}: {e})") from None
    return items


class _RowReader:
    """Reads the image bytes of rows of one arrow/parquet file in increasing order, one record batch in memory
    at a time (a row before the current batch starts the walk again)."""

    def __init__(self, path: Path, kind: str, column: str):
        self.path, self.kind, self.column = path, kind, column
        self._restart()

    def _restart(self):
        self.batches = iter(_arrow_batches(self.path, self.kind)[1])
        self.start, self.values = 0, []

    def get(self, row: int):
        if row < self.start:
            self._restart()
        while row >= self.start + len(self.values):
            self.start += len(self.values)
            b = next(self.batches, None)
            if b is None:
                raise DatasetError(f"{self.path}: row {row} is past the end of the file (it changed after the scan)")
            self.values = b.column(self.column).to_pylist()
        return self.values[row - self.start]


_readers: Dict[Tuple[str, str, str], _RowReader] = {}


def _row_bytes(it: Item) -> bytes:
    """The bytes of a datasets row; one reader per file and process (rows are decoded in order)."""
    kind, column, folder = it.column
    key = (str(it.path), kind, column)
    r = _readers.get(key)
    if r is None:
        if len(_readers) > 8:   # bounded: a dataset of many files keeps only the recent readers
            _readers.clear()
        r = _readers[key] = _RowReader(it.path, kind, column)
    im = r.get(it.row)
    if isinstance(im, dict) and isinstance(im.get("bytes"), bytes):
        return im["bytes"]
    if isinstance(im, bytes):
        return im
    if isinstance(im, dict) and isinstance(im.get("path"), str):   # datasets' Image feature pointing at a file
        return (Path(folder) / im["path"]).read_bytes()
    raise DatasetError(f"{it.name}: no image bytes (the file changed after the scan)")


def _tar_shards(source: Path) -> Optional[List[Path]]:
    if "{" in source.name:
        return _shards(source)
    if source.is_file() and source.suffix.lower() == ".tar":
        return [source]
    if source.is_dir():
        tars = sorted(p for p in source.glob("*.tar") if p.is_file())
        has_images = any(p.suffix.lower() in IMAGE_EXT for p in source.iterdir())
        return tars if tars and not has_images else None
    return None


def scan(source: Path, max_images: Optional[int] = None, image_folder: Optional[Path] = None):
    """(items, bad records): bad records are skipped, each with its file and record index or line."""
    bad: List[str] = []
    if image_folder is not None and not image_folder.is_dir():
        raise DatasetError(f"{image_folder}: imageFolder is not a folder")
    shards = _tar_shards(source)
    hf = _hf_files(source) if shards is None and source.is_dir() else None
    if shards is not None:
        items = [it for sh in shards for it in _tar_items(sh, bad)]
    elif hf is not None:
        items = _hf_items(source, hf[0], hf[1], bad)
    elif source.is_dir():
        items = _folder_items(source)
    elif source.is_file():
        items = _json_items(source, image_folder, bad)
    else:
        raise DatasetError(f"{source}: dataset not found (expected an image folder, a LLaVA-style JSON file, "
                           "webdataset .tar shards or a Hugging Face datasets folder)")
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


def _open_image(it: Item):
    """PIL's own bomb warning is silenced: load() refuses images over MAX_PIXELS (the engine's limit) itself."""
    from PIL import Image
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(it.open())


class SkippedImage(ValueError):
    """An image that cannot be used (undecodable, too large); the message names it and says why."""


def decode(it: Item, preprocessor: dict) -> np.ndarray:
    """One image, read and preprocessed the way the pack's preprocessor_config.json says -> [3, H, W] float32.
    Raises SkippedImage for an image to skip; a bad preprocessor config is the pack's error, not the image's."""
    try:
        with _open_image(it) as im:
            if im.width * im.height > MAX_PIXELS:   # checked on the header, before decoding
                raise SkippedImage(f"{it.name}: {im.width} × {im.height} pixels, above the {MAX_PIXELS:,} limit")
            im.load()
            im = im.convert("RGB")
    except SkippedImage:
        raise
    except Exception as e:  # noqa: BLE001 — any decoder failure (zlib, struct, bomb guard…) skips the image
        raise SkippedImage(f"{it.name}: undecodable image ({type(e).__name__}: {e})") from None
    return preprocess(im, preprocessor)


def decode_batch(items: List[Item], preprocessor: dict):
    """A decode worker's task (this module imports no torch, so workers stay small): (pixels [k, 3, H, W] or
    None, positions of the k decoded images in `items`, why the others were skipped)."""
    pix, kept, skipped = [], [], []
    for k, it in enumerate(items):
        try:
            pix.append(decode(it, preprocessor))
            kept.append(k)
        except SkippedImage as e:
            skipped.append(str(e))
    return (np.stack(pix) if pix else None), kept, skipped


def load(source: Path, preprocessor: dict, max_images: Optional[int] = None,
         image_folder: Optional[Path] = None) -> Dataset:
    """The whole dataset decoded into memory (small datasets, tests). Training streams instead
    (features.cached): it never holds more than a few batches of pixels."""
    items, bad = scan(source, max_images, image_folder)
    pix, positions, why = decode_batch(items, preprocessor)
    kept, skipped = [items[k] for k in positions], list(bad) + why
    if not kept:
        raise DatasetError(f"{source}: none of the {len(items)} images could be decoded "
                           f"(first: {skipped[0] if skipped else '?'})")
    return Dataset(kept, skipped, pix)
