"""Model-pack loader (docs/model-pack.md, formatVersion 1). Every failure names the file at fault."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List

import numpy as np

from .safetensors_io import SafetensorsError, load_file

KNOWN_VERSIONS = {1}
ADAPTER_KEYS = [("model.mm_projector.0.weight", "model.mm_projector.0.bias", "model.mm_projector.2.weight",
                 "model.mm_projector.2.bias"),
                ("mm_projector.0.weight", "mm_projector.0.bias", "mm_projector.2.weight", "mm_projector.2.bias"),
                ("multi_modal_projector.linear_1.weight", "multi_modal_projector.linear_1.bias",
                 "multi_modal_projector.linear_2.weight", "multi_modal_projector.linear_2.bias")]


class PackError(ValueError):
    pass


class Pack:
    def __init__(self, root: Path, manifest: dict):
        self.root, self.manifest = root, manifest

    def path(self, rel: str, what: str) -> Path:
        if not isinstance(rel, str) or not rel or os.path.isabs(rel) or ".." in Path(rel).parts:
            raise PackError(f"{self.root / 'manifest.json'}: {what} path {rel!r} must be relative and stay inside the pack")
        p = (self.root / rel)
        if not p.resolve().is_relative_to(self.root.resolve()) if hasattr(Path, "is_relative_to") else False:
            raise PackError(f"{p}: {what} leads outside the pack")
        if not p.is_file():
            raise PackError(f"{p}: {what} file is missing")
        return p

    def _tensors(self, rel: str, what: str) -> Dict[str, np.ndarray]:
        p = self.path(rel, what)
        try:
            return load_file(str(p))
        except SafetensorsError as e:
            raise PackError(f"{p}: corrupt {what}: {e}") from None

    def adapter(self, name: str | None = None):
        ads = self.manifest["adapters"]
        name = name or self.manifest.get("defaultAdapter") or ads[0]["name"]
        for a in ads:
            if a["name"] == name:
                sd = self._tensors(a["safetensors"], f"adapter {name!r}")
                for keys in ADAPTER_KEYS:
                    if all(k in sd for k in keys):
                        return [sd[k].astype(np.float32) for k in keys]
                raise PackError(f"{self.root / a['safetensors']}: adapter {name!r} lacks mlp2x_gelu keys "
                                f"(found {sorted(sd)})")
        raise PackError(f"{self.root / 'manifest.json'}: no adapter named {name!r} (have {[a['name'] for a in ads]})")

    def embeddings(self) -> np.ndarray:
        e = self.manifest["llm"]["embeddings"]
        sd = self._tensors(e["file"], "LLM embeddings")
        if e["tensor"] not in sd:
            raise PackError(f"{self.root / e['file']}: tensor {e['tensor']!r} not found (have {sorted(sd)})")
        return sd[e["tensor"]].astype(np.float32)

    def llm_tokenizer(self):
        from .tokenizers import BPETokenizer
        p = self.path(self.manifest["llm"]["tokenizer"], "LLM tokenizer")
        try:
            return BPETokenizer.from_json(json.loads(p.read_text()))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise PackError(f"{p}: corrupt tokenizer.json ({e})") from None

    def word_list(self) -> List[str]:
        lab = self.manifest.get("labeling")
        if not lab:
            return []
        return [w.strip() for w in self.path(lab["wordList"], "labeling word list").read_text().splitlines() if w.strip()]


def check_manifest_schema(m: dict, mp: Path) -> None:
    """The manifest against schemas/model-pack.schema.json, the file the engine validates with too (one contract);
    the first problem in words, naming the field."""
    try:
        import jsonschema
    except ImportError:
        raise PackError(f"{mp}: checking a pack needs the jsonschema package (pip install jsonschema, or apt install "
                        "python3-jsonschema)") from None
    from .runner.schemas import schema_path
    schema = json.loads(schema_path("model-pack.schema.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(m), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return
    e = errors[0]
    where = ".".join(str(p) for p in e.absolute_path) or "(top level)"
    if e.validator == "required":
        missing = next((k for k in e.validator_value if k not in e.instance), "?")
        raise PackError(f"{mp}: {where + '.' if e.absolute_path else ''}required field {missing!r} is missing "
                        "(docs/model-pack.md lists every field)")
    if e.validator == "not" and isinstance(e.instance, str):      # relPath: the only "not" in the schema
        raise PackError(f"{mp}: {where}: path {e.instance!r} must be relative and stay inside the pack")
    raise PackError(f"{mp}: {where}: {e.message}; fix the manifest (docs/model-pack.md lists every field)")


def load_pack(root) -> Pack:
    root = Path(root)
    mp = root / "manifest.json"
    if not mp.is_file():
        raise PackError(f"{mp}: manifest.json is missing")
    try:
        m = json.loads(mp.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise PackError(f"{mp}: not valid JSON ({e})") from None
    if not isinstance(m, dict):
        raise PackError(f"{mp}: top level must be an object")
    if m.get("formatVersion") not in KNOWN_VERSIONS:
        raise PackError(f"{mp}: unsupported formatVersion {m.get('formatVersion')!r} (known: {sorted(KNOWN_VERSIONS)})")
    check_manifest_schema(m, mp)
    names = [a.get("name") for a in m["adapters"]]
    if len(set(names)) != len(names):
        raise PackError(f"{mp}: adapter names must be unique (got {names})")
    pack = Pack(root, m)
    pack.path(m["imageEncoder"]["onnx"], "image encoder ONNX")
    for a in m["adapters"]:
        pack.path(a["safetensors"], f"adapter {a.get('name')!r}")
    pack.path(m["llm"]["embeddings"]["file"], "LLM embeddings")
    pack.path(m["llm"]["tokenizer"], "LLM tokenizer")
    return pack
