"""A Hugging Face checkpoint folder read lazily: config, which file holds which tensor (sharded checkpoints
through `model.safetensors.index.json`), and only the tensors a pack needs. Never loads the whole model.

Key names: checkpoints saved by older transformers use other prefixes (`language_model.model.*`,
`vision_tower.*`) than today's classes (`model.language_model.*`, `model.vision_tower.*`); the model class's
own `_checkpoint_conversion_mapping` translates them, the way `from_pretrained` does.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .errors import CheckpointInvalid


class Checkpoint:
    def __init__(self, folder: str | Path):
        self.dir = Path(folder).absolute()
        if not self.dir.is_dir():
            raise CheckpointInvalid(f"{folder}: not a folder (give a checkpoint folder with config.json, or a Hub id)")
        cfg = self.dir / "config.json"
        if not cfg.is_file():
            raise CheckpointInvalid(f"{self.dir}: no config.json — is this a Hugging Face model folder?")
        try:
            self.config_json = json.loads(cfg.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise CheckpointInvalid(f"{cfg}: not valid JSON ({e})") from None
        self.weight_map = self._weight_map()

    def _weight_map(self) -> dict[str, str]:
        index = self.dir / "model.safetensors.index.json"
        if index.is_file():
            try:
                wm = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            except (ValueError, KeyError, TypeError) as e:
                raise CheckpointInvalid(f"{index}: not a safetensors index ({e})") from None
            # A download of only what an explain needs leaves the LLM's other shards out: a shard is checked
            # when a tensor the pack needs lives in it (see _need).
            return dict(wm)
        single = self.dir / "model.safetensors"
        if single.is_file():
            return {k: single.name for k in self._keys(single)}
        if any(self.dir.glob("*.bin")) or any(self.dir.glob("*.pt")):
            raise CheckpointInvalid(f"{self.dir}: only pickle weights (.bin/.pt), which SEA Lens never loads; "
                                    "convert them to safetensors (model.save_pretrained(dir, safe_serialization=True))")
        raise CheckpointInvalid(f"{self.dir}: no model.safetensors or model.safetensors.index.json")

    @staticmethod
    def _keys(file: Path) -> list[str]:
        from safetensors import safe_open
        try:
            with safe_open(str(file), framework="pt") as f:
                return list(f.keys())
        except Exception as e:  # noqa: BLE001 — any decoding failure of a user file is "invalid checkpoint"
            raise CheckpointInvalid(f"{file}: not a readable safetensors file ({e})") from None

    def _need(self, file: str, what: str) -> Path:
        path = self.dir / file
        if not path.is_file():
            raise CheckpointInvalid(f"{self.dir}: {file} is missing, and it holds {what} (an interrupted download? "
                                    "run the command again to resume)")
        return path

    def canonical(self, key: str, mapping: dict[str, str] | None) -> str:
        for pattern, repl in (mapping or {}).items():
            new, n = re.subn(pattern, repl, key)
            if n:
                return new
        return key

    def find(self, suffix_pattern: str, mapping: dict[str, str] | None = None) -> tuple[str, str]:
        """(original key, file) of the first tensor whose canonical name matches the regex."""
        rx = re.compile(suffix_pattern)
        for k, f in self.weight_map.items():
            if rx.search(self.canonical(k, mapping)):
                self._need(f, k)
                return k, f
        raise CheckpointInvalid(f"{self.dir}: no tensor matches {suffix_pattern!r}; "
                                f"some keys: {', '.join(list(self.weight_map)[:6])}")

    def state_dict(self, prefix: str, mapping: dict[str, str] | None = None) -> dict:
        """Every tensor whose canonical name starts with `prefix`, keyed without it, as float32 CPU tensors."""
        from safetensors import safe_open
        wanted: dict[str, list[tuple[str, str]]] = {}
        for k, f in self.weight_map.items():
            c = self.canonical(k, mapping)
            if c.startswith(prefix):
                wanted.setdefault(f, []).append((k, c[len(prefix):]))
        if not wanted:
            raise CheckpointInvalid(f"{self.dir}: no tensors under {prefix!r} (canonical names); "
                                    f"some keys: {', '.join(list(self.weight_map)[:6])}")
        out = {}
        for f, keys in wanted.items():
            self._need(f, f"{len(keys)} tensors under {prefix!r}")
            try:
                # The shard is opened per tensor: safetensors maps the whole file, and every page read stays in
                # this process's memory until the file is closed (+0.55 GB for LLaVA-1.5's tower, at pack init's peak).
                for k, short in keys:
                    with safe_open(str(self.dir / f), framework="pt") as st:
                        out[short] = st.get_tensor(k).float()
            except CheckpointInvalid:
                raise
            except Exception as e:  # noqa: BLE001
                raise CheckpointInvalid(f"{self.dir / f}: cannot read {len(keys)} tensors ({e}) — truncated download?") from None
        return out
