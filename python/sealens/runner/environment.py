"""The interpreter check, done by the trainer itself: it has to import torch anyway, so the launcher's own
probe stays cheap (no torch import, see src/training/pythonInterpreter.ts) and the versions the run
really uses are reported as the first progress line (`event: "environment"`). Unsupported versions
stop the run here, before any work, with the exact install command."""
from __future__ import annotations

import importlib.util
import platform
import re
import sys

MIN_PYTHON = (3, 9)
MIN_TORCH = (1, 13)


class EnvironmentError_(RuntimeError):
    """Named with a trailing underscore so it never shadows the builtin EnvironmentError (= OSError)."""


def version_tuple(v: str) -> tuple:
    """'2.3.1+cu121' -> (2, 3); '1.13.0a0+gitunknown' -> (1, 13)."""
    m = re.match(r"(\d+)(?:\.(\d+))?", v)
    return (int(m.group(1)), int(m.group(2) or 0)) if m else (0, 0)


def _dist_version(name: str):
    """Installed version without importing the package (importing transformers takes seconds)."""
    try:
        from importlib.metadata import PackageNotFoundError, version
        try:
            return version(name)
        except PackageNotFoundError:
            return None
    except ImportError:
        return None


def jsonschema_missing() -> EnvironmentError_:
    """The run config is checked against schemas/run-config.schema.json with the jsonschema package."""
    exe = sys.executable
    return EnvironmentError_(f"The jsonschema package is not importable in {exe}; the trainer checks run configs with it. "
                             f"Install it: `{exe} -m pip install \"jsonschema>=4\"` "
                             f"(Debian/Ubuntu: `apt install python3-jsonschema`).")


def check() -> dict:
    exe = sys.executable
    py = platform.python_version()
    if sys.version_info[:2] < MIN_PYTHON:
        raise EnvironmentError_(f"{exe} is Python {py}; the trainer needs {'.'.join(map(str, MIN_PYTHON))} or newer. "
                                f"Install a newer Python and set seaLens.pythonPath (CLI: --python) to it.")
    try:
        import torch
    except ImportError as e:
        raise EnvironmentError_(
            f"PyTorch is not importable in {exe} ({e}). Install it into that interpreter: "
            f"`{exe} -m pip install \"torch>={'.'.join(map(str, MIN_TORCH))}\" onnx numpy pillow` "
            f"(Debian/Ubuntu: `apt install python3-torch python3-onnx python3-pil`).") from None
    if version_tuple(torch.__version__) < MIN_TORCH:
        raise EnvironmentError_(f"{exe} has PyTorch {torch.__version__}; the trainer needs "
                                f"{'.'.join(map(str, MIN_TORCH))} or newer. Upgrade it: "
                                f"`{exe} -m pip install -U \"torch>={'.'.join(map(str, MIN_TORCH))}\"`.")
    if importlib.util.find_spec("onnx") is None:
        raise EnvironmentError_(f"The onnx package is not importable in {exe}; the trainer reads the pack's ONNX "
                                f"graphs with it. Install it: `{exe} -m pip install onnx` "
                                f"(Debian/Ubuntu: `apt install python3-onnx`).")
    if importlib.util.find_spec("jsonschema") is None:
        raise jsonschema_missing()
    has_tf = importlib.util.find_spec("transformers") is not None
    return {"python": py, "executable": exe, "torch": torch.__version__, "cuda": bool(torch.cuda.is_available()),
            "onnx": _dist_version("onnx"), "transformers": (_dist_version("transformers") or "unknown") if has_tf else None}
