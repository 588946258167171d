"""Where the trainer finds the JSON Schemas it shares with the extension (schemas/*.schema.json): beside
python/ in a SEA Lens checkout or installed extension, or — for `pip install ./python` — in the data folder
the wheel installs them into (pyproject.toml: share/sealens/schemas)."""
from __future__ import annotations

import site
import sysconfig
from pathlib import Path
from typing import List

# python/sealens/runner/schemas.py -> the repository (or the installed extension) root, which ships schemas/.
SOURCE_DIR = Path(__file__).resolve().parents[3] / "schemas"


def candidates(name: str) -> List[Path]:
    dirs = [SOURCE_DIR, Path(sysconfig.get_path("data")) / "share" / "sealens" / "schemas"]
    user = getattr(site, "USER_BASE", None)
    if user:
        dirs.append(Path(user) / "share" / "sealens" / "schemas")
    return [d / name for d in dirs]


def schema_path(name: str) -> Path:
    """The first existing copy of schemas/<name>, else the source location (its absence is then reported)."""
    return next((p for p in candidates(name) if p.is_file()), candidates(name)[0])
