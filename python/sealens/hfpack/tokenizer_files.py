"""The LLM's tokenizer for the pack: `tokenizer.json` copied when the checkpoint has one, otherwise converted
from the SentencePiece model with the tokenizers library (transformers' slow→fast conversion)."""
from __future__ import annotations

import shutil
from pathlib import Path

from .errors import CheckpointInvalid, MissingPackages


def write_tokenizer(ckpt_dir: Path, out: Path) -> dict:
    src = ckpt_dir / "tokenizer.json"
    files = {"tokenizer": "tokenizer.json"}
    if src.is_file():
        shutil.copyfile(src, out / "tokenizer.json")
    else:
        if not any((ckpt_dir / n).is_file() for n in ("tokenizer.model", "spiece.model", "vocab.json")):
            raise CheckpointInvalid(f"{ckpt_dir}: no tokenizer.json, tokenizer.model or vocab.json — the pack needs the LLM's tokenizer")
        try:
            from transformers import AutoTokenizer
            tok = AutoTokenizer.from_pretrained(str(ckpt_dir), use_fast=True)
        except ImportError as e:
            raise MissingPackages(f"converting the SentencePiece tokenizer needs {e.name}: pip install sentencepiece protobuf") from None
        except Exception as e:  # noqa: BLE001
            raise CheckpointInvalid(f"{ckpt_dir}: the tokenizer cannot be loaded ({e})") from None
        if not getattr(tok, "is_fast", False):
            raise CheckpointInvalid(f"{ckpt_dir}: the tokenizer has no fast (tokenizers) version to convert to tokenizer.json")
        tok.backend_tokenizer.save(str(out / "tokenizer.json"))
    cfg = ckpt_dir / "tokenizer_config.json"
    if cfg.is_file():
        shutil.copyfile(cfg, out / "tokenizer_config.json")
        files["tokenizerConfig"] = "tokenizer_config.json"
    return files
