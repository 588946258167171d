"""Checks progress events against schemas/training-progress.schema.json, the contract with the extension's
reader (src/training/progressLines.ts). Used by the Emitter when SEALENS_CHECK_PROGRESS=1 (the tests)."""
from __future__ import annotations

import json
from functools import lru_cache

from .schemas import schema_path

SCHEMA_FILE = schema_path("training-progress.schema.json")


@lru_cache(maxsize=None)
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _validator():
    import jsonschema
    return jsonschema.Draft7Validator(schema())


def problems(event) -> list:
    """One line per problem of an event (empty: valid). The event is checked as JSON would carry it."""
    data = json.loads(json.dumps(event, default=str))
    kind = data.get("event") if isinstance(data, dict) else None
    defs = schema()["definitions"]
    # The discriminator: check against the one definition whose `event` const matches, for precise messages.
    branch = next((d for d in defs.values() if isinstance(d, dict) and d.get("properties", {}).get("event", {}).get("const") == kind), None)
    if branch is None:
        return [f"unknown progress event {json.dumps(kind)}"]
    import jsonschema
    v = jsonschema.Draft7Validator({**branch, "definitions": defs})
    return [f"progress event {json.dumps(kind)}: {'.'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in v.iter_errors(data)]


def check_event(event) -> None:
    bad = problems(event)
    if bad:
        raise AssertionError("; ".join(bad) + " (schemas/training-progress.schema.json)")


def exit_codes() -> dict:
    """name -> code of the TrainerExit enum."""
    d = schema()["definitions"]["TrainerExit"]
    return dict(zip(d["tsEnumNames"], d["enum"]))
