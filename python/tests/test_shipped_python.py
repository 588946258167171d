"""The .vsix ships the Python the extension runs and the modules they import, and not the demo-pack builder.

Reads the allow-list of `.vscodeignore` (`!python/...` lines) and follows every `sealens` import (AST, no
execution) from the entry points the extension launches."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "python" / "sealens"
ENTRY_POINTS = ["runner/__main__.py", "hfpack/__main__.py", "demo_dataset.py", "tokenmap.py"]
DEV_ONLY = ["build_pack.py", "export.py", "demo_metrics.py"]


def shipped() -> set:
    out = set()
    for line in (ROOT / ".vscodeignore").read_text().splitlines():
        if line.startswith("!python/"):
            out |= {p.resolve() for p in ROOT.glob(line[1:])}
    return out


def imports_of(path: Path) -> set:
    found = set()
    for n in ast.walk(ast.parse(path.read_text())):
        if isinstance(n, ast.ImportFrom):
            if n.level:
                base = path.parent
                for _ in range(n.level - 1):
                    base = base.parent
            elif n.module and n.module.split(".")[0] == "sealens":
                base = PKG.parent
            else:
                continue
            mod = base.joinpath(*n.module.split(".")) if n.module else base
            for cand in [mod] + [mod / a.name for a in n.names]:
                for f in (cand.with_suffix(".py"), cand / "__init__.py"):
                    if f.is_file():
                        found.add(f.resolve())
    return found


def closure() -> set:
    todo = [(PKG / e).resolve() for e in ENTRY_POINTS]
    todo += [p.resolve() for d in ("runner", "hfpack") for p in (PKG / d).rglob("*.py")]
    seen = set()
    while todo:
        f = todo.pop()
        if f not in seen:
            seen.add(f)
            todo.extend(imports_of(f))
    return seen


def test_every_module_the_extension_runs_is_shipped():
    missing = sorted(str(p.relative_to(ROOT)) for p in closure() - shipped())
    assert not missing, f"add to .vscodeignore's allow-list: {missing}"


def test_the_demo_pack_builder_is_not_shipped():
    s = shipped()
    leaked = [m for m in DEV_ONLY if (PKG / m).resolve() in s]
    assert not leaked and (PKG / "train.py").resolve() in s
    assert not any(p in s for p in closure() if p.name in DEV_ONLY), "a shipped module imports the builder"
