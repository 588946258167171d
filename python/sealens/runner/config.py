"""Run configuration (`.sealens/runs/<id>/config.json`, format 1). The same rules are enforced by the
TypeScript launcher (src/training/runConfig.ts) before it spawns the trainer; this copy guards runs
started by hand. Relative paths resolve against the config file's folder."""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional


class ConfigError(ValueError):
    pass


DEVICES = ("auto", "cpu", "cuda")
# JSON numbers beyond 2^53 lose precision in the launcher (JavaScript), so the seed the trainer would use
# could differ from the one the user wrote.
MAX_SEED = 2 ** 53 - 1


@dataclass
class RunConfig:
    pack: str
    dataset: str
    output_name: str
    image_folder: Optional[str] = None      # LLaVA JSON: images relative to this folder (LLaVA's --image-folder)
    start_adapter: Optional[str] = None     # None: fresh adapter
    lam: float = 1.0                        # λ of Eq. 12
    epochs: int = 1
    learning_rate: float = 1e-3
    batch_size: int = 8
    device: str = "auto"
    seed: int = 0
    window: int = 2
    warmup_fraction: float = 0.03
    weight_decay: float = 0.0
    validation_images: int = 4
    checkpoint_every: int = 10
    max_images: Optional[int] = None
    llm: Optional[str] = None               # HF model folder/id (transformers path); None: the pack's decoder
    label_model: Optional[str] = None       # HF CLIP/SigLIP folder/id for labels; None: the pack's encoders
    allow_download: bool = False            # HF models: local_files_only unless True
    base_dir: str = "."
    extra: dict = field(default_factory=dict)

    def resolve(self, p: str) -> Path:
        return (Path(self.base_dir) / p).resolve()


# JSON key -> (dataclass field, type check, description of valid values)
_NUM = (int, float)
_FIELDS = {
    "pack": ("pack", str, "a path to a model pack folder"),
    "dataset": ("dataset", str, "an image folder or a LLaVA-style JSON list"),
    "imageFolder": ("image_folder", (str, type(None)), "the folder the LLaVA JSON's image paths are relative to, or null"),
    "outputName": ("output_name", str, "a name of letters, digits, '-', '_' or '.'"),
    "startAdapter": ("start_adapter", (str, type(None)), "an adapter name of the pack, or null for a fresh one"),
    "lambda": ("lam", _NUM, "a number ≥ 0"),
    "epochs": ("epochs", int, "an integer ≥ 1"),
    "learningRate": ("learning_rate", _NUM, "a number > 0"),
    "batchSize": ("batch_size", int, "an integer ≥ 2"),
    "device": ("device", str, f"one of {', '.join(DEVICES)}"),
    "seed": ("seed", int, "an integer from 0 to 2^53 − 1 (9007199254740991)"),
    "window": ("window", int, "an integer ≥ 1"),
    "warmupFraction": ("warmup_fraction", _NUM, "a number in [0, 1)"),
    "weightDecay": ("weight_decay", _NUM, "a number ≥ 0"),
    "validationImages": ("validation_images", int, "an integer ≥ 0"),
    "checkpointEvery": ("checkpoint_every", int, "an integer ≥ 1"),
    "maxImages": ("max_images", (int, type(None)), "an integer ≥ 1 or null"),
    "llm": ("llm", (str, type(None)), "a Hugging Face model folder or id, or null"),
    "labelModel": ("label_model", (str, type(None)), "a Hugging Face CLIP/SigLIP folder or id, or null"),
    "allowDownload": ("allow_download", bool, "true or false"),
}
_RANGES = {
    "lambda": lambda v: v >= 0, "epochs": lambda v: v >= 1, "learningRate": lambda v: v > 0,
    "batchSize": lambda v: v >= 2, "device": lambda v: v in DEVICES, "seed": lambda v: 0 <= v <= MAX_SEED,
    "window": lambda v: v >= 1, "warmupFraction": lambda v: 0 <= v < 1, "weightDecay": lambda v: v >= 0,
    "validationImages": lambda v: v >= 0, "checkpointEvery": lambda v: v >= 1,
    "maxImages": lambda v: v is None or v >= 1,
    "outputName": lambda v: bool(v) and all(c.isalnum() or c in "-_." for c in v) and not v.startswith("."),
}
REQUIRED = ("pack", "dataset", "outputName")


def parse(obj, where: str, base_dir: str) -> RunConfig:
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: the top level must be a JSON object")
    if obj.get("formatVersion") != 1:
        raise ConfigError(f"{where}: formatVersion must be 1 (got {obj.get('formatVersion')!r})")
    for k in REQUIRED:
        if k not in obj:
            raise ConfigError(f"{where}: {k}: required ({_FIELDS[k][2]})")
    kw = {}
    for k, v in obj.items():
        if k in ("formatVersion", "name", "$schema", "comment", "slurm"):   # slurm: for the sbatch writer only
            continue
        if k not in _FIELDS:
            raise ConfigError(f"{where}: {k}: unknown key (known: {', '.join(sorted(_FIELDS))})")
        fname, typ, desc = _FIELDS[k]
        bad_type = not isinstance(v, typ) or (isinstance(v, bool) and typ is not bool)
        if not bad_type and isinstance(v, float) and not math.isfinite(v):
            bad_type = True
        if bad_type or (k in _RANGES and not _RANGES[k](v)):
            raise ConfigError(f"{where}: {k}: must be {desc} (got {json.dumps(v)})")
        kw[fname] = v
    return RunConfig(base_dir=base_dir, **kw)


def load(path) -> RunConfig:
    p = Path(path)
    if p.exists() and not p.is_file():   # a FIFO would block the read forever, a folder cannot be read
        raise ConfigError(f"{p}: not a regular file (a config JSON file is expected)")
    try:
        obj = json.loads(p.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: not valid JSON ({e})") from None
    return parse(obj, str(p), str(p.resolve().parent))


def to_json(c: RunConfig) -> dict:
    d = asdict(c)
    return {k: d[f] for k, (f, _, _) in _FIELDS.items()}
