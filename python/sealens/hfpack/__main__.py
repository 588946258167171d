"""`python -m sealens.hfpack init --src DIR --out DIR [--layer N] [--repo ID] [--revision SHA]`.

Protocol (the Node side reads it): stdout carries one JSON object per line — `progress` {message, fraction},
`done` {pack, family, name} or `error` {code, message}; exit codes 0 ok, 2 usage, 3 unsupported architecture,
4 checkpoint files missing or invalid, 5 Python packages missing, 6 disk full, 1 anything else (the traceback
goes to stderr, which the caller logs). The pack is written to a temporary folder beside --out and renamed
into place at the end, so an interrupted run leaves nothing half-written.
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import shutil
import sys
import traceback
from pathlib import Path

from .errors import DiskFull, MissingPackages, PackInitError, UsageError


def emit(event: str, **kw) -> None:
    sys.stdout.write(json.dumps({"event": event, **kw}) + "\n")
    sys.stdout.flush()


def progress(message: str, fraction: float) -> None:
    emit("progress", message=message, fraction=round(fraction, 3))


def parse(argv):
    ap = argparse.ArgumentParser(prog="sealens.hfpack", add_help=True)
    sub = ap.add_subparsers(dest="cmd")
    p = sub.add_parser("init")
    p.add_argument("--src", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--layer", type=int)
    p.add_argument("--repo")
    p.add_argument("--revision")
    p.add_argument("--name")
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        if not e.code:
            raise
        raise UsageError("usage: python -m sealens.hfpack init --src DIR --out DIR [--layer N]") from None
    if a.cmd != "init":
        raise UsageError("usage: python -m sealens.hfpack init --src DIR --out DIR [--layer N]")
    return a


def check_packages() -> None:
    missing = []
    for m in ("torch", "transformers", "onnx", "safetensors"):
        try:
            __import__(m)
        except ImportError:
            missing.append(m)
    if missing:
        raise MissingPackages(f"this Python ({sys.executable}) lacks {', '.join(missing)}: "
                              f"{sys.executable} -m pip install {' '.join(missing)}")


def init(a) -> dict:
    check_packages()
    from transformers import AutoConfig
    from .checkpoint import Checkpoint
    from .families.common import Context
    from .registry import family_for
    from .tokenizer_files import write_tokenizer

    ckpt = Checkpoint(a.src)
    model_type = ckpt.config_json.get("model_type", "")
    family = family_for(model_type)
    progress(f"{family.TITLE}: reading config.json", 0.02)
    config = AutoConfig.from_pretrained(str(ckpt.dir), local_files_only=True)
    out = Path(a.out).absolute()
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        ctx = Context(ckpt=ckpt, config=config, out=tmp, layer=a.layer, progress=progress)
        part = family.export_pack(ctx)
        progress("writing the tokenizer", 0.9)
        tok = write_tokenizer(ckpt.dir, tmp)
        embed = getattr(family, "EMBED_PATTERN", r"(^|\.)embed_tokens\.weight$")
        key, shard = ckpt.find(embed, ctx.mapping)
        name = a.name or a.repo or ckpt.dir.name
        model = {"family": part.get("family", family.ID), "architecture": (config.architectures or [type(config).__name__])[0],
                 "checkpoint": str(ckpt.dir)}
        if a.repo:
            model["repo"] = a.repo
        if a.revision:
            model["revision"] = a.revision
        if part.get("featureLayer") is not None:
            model["featureLayer"] = part["featureLayer"]
        manifest = {
            "formatVersion": 1, "name": name,
            "description": f"{family.TITLE} from {a.repo or ckpt.dir} (sea-lens pack init)",
            "model": model, "imageEncoder": part["imageEncoder"], "adapters": part["adapters"],
            "llm": {"embeddings": {"file": shard, "tensor": key, "root": "checkpoint"}, **tok},
        }
        if part.get("filters"):
            manifest["filters"] = part["filters"]
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        replace(tmp, out)
        return {"pack": str(out), "family": model["family"], "name": name}
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def replace(tmp: Path, out: Path) -> None:
    """Swap the finished pack into place; an older pack of the same name is removed only after that."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def main(argv=None) -> int:
    try:
        a = parse(sys.argv[1:] if argv is None else argv)
        emit("done", **init(a))
        return 0
    except PackInitError as e:
        emit("error", code=e.code, message=e.message)
        return e.exit_code
    except OSError as e:
        if e.errno == errno.ENOSPC:
            emit("error", code=DiskFull.code, message=f"the disk is full while writing the pack ({e.filename or ''}); free some space and run again")
            return DiskFull.exit_code
        traceback.print_exc(file=sys.stderr)
        emit("error", code="failed", message=f"{type(e).__name__}: {e}")
        return 1
    except KeyboardInterrupt:
        emit("error", code="cancelled", message="cancelled")
        return 130
    except Exception as e:  # noqa: BLE001 — the protocol promises an error event, the traceback goes to the log
        traceback.print_exc(file=sys.stderr)
        emit("error", code="failed", message=f"{type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
