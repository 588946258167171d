"""Tests that need a recent torch + transformers: the project's pinned environment, <repo>/.venv
(python/requirements-hf.txt, made by `node scripts/ensure-python.mjs`; `npm test` runs it first).

Run them with `.venv/bin/python -m pytest python/tests_hf -q`. Where torch or transformers cannot be
imported, nothing here is collected (test modules import them at the top) and one skipped item says why
and what to run — never a collection error.
"""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "python" / "requirements-hf.txt"


def _missing_reason():
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except Exception as e:  # ImportError, or a broken install raising something else
        why = f"torch/transformers not importable in {sys.executable} ({type(e).__name__}: {e})"
        failed = VENV / ".sealens-install-failed"
        if failed.is_file():
            why += f"; the last install of {VENV} failed: {failed.read_text().strip()}"
        elif not (VENV / "bin" / "python").exists():
            why += f"; {VENV} does not exist: run `node scripts/ensure-python.mjs`"
        return why + f"; these tests run with `{VENV / 'bin' / 'python'} -m pytest python/tests_hf -q`"
    return None


REASON = _missing_reason()

if REASON:
    collect_ignore_glob = ["test_*.py", "*_test.py"]

    class _EnvironmentMissing(pytest.Item):
        def runtest(self):
            pytest.skip(REASON)

        def reportinfo(self):
            return self.path, None, "python/tests_hf environment"

    def pytest_collection_modifyitems(session, config, items):
        items.append(_EnvironmentMissing.from_parent(session, name="hf_environment"))


@pytest.fixture(scope="session")
def pinned_versions():
    """{package: version} from python/requirements-hf.txt (name==version lines only)."""
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins
