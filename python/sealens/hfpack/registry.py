"""Model families by the checkpoint's `model_type` (config.json). One line per family; the module says what
it exports, the engine's src/engine/families/<id>/ places its tokens."""
from __future__ import annotations

import importlib

from .errors import Unsupported

# One family module per line (each lists the model_type values it handles in MODEL_TYPES).
FAMILIES = [
    "llava",
    "llava_next",
    "paligemma",
    "qwen2_vl",
    "idefics3",
    "internvl",
]


def family_for(model_type: str):
    for module in FAMILIES:
        fam = importlib.import_module(f".families.{module}", __package__)
        if model_type in fam.MODEL_TYPES:
            return fam
    supported = []
    for module in FAMILIES:
        fam = importlib.import_module(f".families.{module}", __package__)
        supported.append(f"{fam.TITLE} ({', '.join(fam.MODEL_TYPES)})")
    raise Unsupported(f"model_type {model_type!r} is not a family SEA Lens can open; supported: {'; '.join(supported)}")
