"""Run configuration (`.sealens/runs/<id>/config.json`, format 1). Its one definition is
schemas/run-config.schema.json: the keys, their ranges, their defaults and the phrases the errors use. The
TypeScript launcher (src/training/runConfig.ts) checks the same file before it spawns the trainer; this check
guards runs started by hand. Relative paths resolve against the config file's folder."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, field, make_dataclass
from functools import lru_cache
from pathlib import Path

from .schemas import schema_path


class ConfigError(ValueError):
    """A refused run config; `key` is the config key at fault (None: the file as a whole)."""

    def __init__(self, message: str, key=None):
        super().__init__(message)
        self.key = key


def shown_key(key: str) -> str:
    """A key as messages name it: bare when it is a plain name, else quoted (an empty or odd key stays visible)."""
    return key if re.fullmatch(r"[A-Za-z0-9_$-]+", key) else json.dumps(key, ensure_ascii=False)


SCHEMA_FILE = schema_path("run-config.schema.json")


@lru_cache(maxsize=None)
def schema() -> dict:
    try:
        return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        # The schema travels with the sources (the .vsix and a checkout both have it beside python/).
        raise ConfigError(f"{SCHEMA_FILE}: cannot read the run-config schema ({e}); run the trainer from a SEA Lens "
                          f"installation or checkout (set PYTHONPATH / SEALENS_PYTHONPATH to its python/ folder), or reinstall "
                          f"the sealens package with pip (its wheel carries the schemas)") from None


@lru_cache(maxsize=None)
def _validator():
    try:
        import jsonschema
    except ImportError:
        from .environment import jsonschema_missing
        raise jsonschema_missing() from None
    return jsonschema.Draft7Validator(schema())


def attribute(key: str) -> str:
    """The RunConfig attribute of a JSON key: camelCase -> snake_case; `lambda` is a Python keyword."""
    return "lam" if key == "lambda" else re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


# Keys that are not training settings: documentation, and the Slurm defaults (read by the script writer only).
_NOT_SETTINGS = {"formatVersion", "name", "$schema", "comment", "slurm"}


def _make_class():
    props = schema()["properties"]
    required = schema()["required"]
    fields = [(attribute(k), object) for k in required if k not in _NOT_SETTINGS]
    fields += [(attribute(k), object, field(default=p.get("default"))) for k, p in props.items()
               if k not in _NOT_SETTINGS and k not in required]
    fields += [("base_dir", str, field(default=".")), ("extra", dict, field(default_factory=dict))]
    cls = make_dataclass("RunConfig", fields)
    cls.resolve = lambda self, p: (Path(self.base_dir) / p).resolve()
    cls.__doc__ = "A validated run config: one attribute per key of schemas/run-config.schema.json (snake_case)."
    return cls


_class = None


def run_config_class():
    global _class
    if _class is None:
        _class = _make_class()
    return _class


def __getattr__(name):
    # `config.RunConfig`: the class is made from the schema on first use, so importing this module reads no file.
    if name == "RunConfig":
        return run_config_class()
    raise AttributeError(name)


def _shown(v) -> str:
    if isinstance(v, float) and v != v:
        return "NaN"
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    return json.dumps(v, ensure_ascii=False)


def _js_key_order(obj) -> list:
    """The keys in the order JavaScript's JSON.parse gives them (array-index-like keys first, ascending, then
    the rest as written), so that the launcher and the trainer name the same key first."""
    index = [k for k in obj if re.fullmatch(r"0|[1-9][0-9]*", k) and int(k) < 2 ** 32 - 1]
    rest = [k for k in obj if k not in set(index)]
    return sorted(index, key=int) + rest


def first_problem(obj) -> tuple:
    """(key, message) of the first problem in the order the launcher reports them too (formatVersion, the
    required keys, then the keys in the file's order), or None when the object is valid."""
    if not isinstance(obj, dict):
        return (None, "the top level must be a JSON object")
    sch = schema()
    props = sch["properties"]
    errors = list(_validator().iter_errors(obj))
    if not errors:
        return None
    allowed = lambda k: props[k].get("x-allowed", "valid")
    keyed = {}
    for e in errors:
        if e.validator == "required" and not e.path:
            missing = next((k for k in sch["required"] if k not in obj), None)
            if missing:
                keyed.setdefault(("required", missing), f"required ({allowed(missing)})")
        elif e.validator == "additionalProperties" and not e.path:
            for k in obj:
                if k not in props:
                    keyed.setdefault(("key", k), f"unknown key (known: {', '.join(sorted(x for x in props if not x.startswith('$')))})")
        elif e.path:
            k = e.path[0]
            keyed.setdefault(("key", k), f"must be {allowed(k)} (got {_shown(obj[k])})")
    order = [("key", "formatVersion")] + [("required", k) for k in sch["required"]] + [("key", k) for k in _js_key_order(obj)]
    for slot in order:
        if slot in keyed:
            return slot[1], keyed[slot]
    e = errors[0]   # not expected: every error above has a key; report it rather than pass the config
    return (None, e.message)


def parse(obj, where: str, base_dir: str):
    problem = first_problem(obj)
    if problem:
        key, message = problem
        raise ConfigError(f"{where}: {'' if key is None else shown_key(key) + ': '}{message}", key)
    props = schema()["properties"]
    kw = {}
    for k, v in obj.items():
        if k in _NOT_SETTINGS:
            continue
        # JSON Schema counts 2.0 as an integer; Python code must get an int (range(2.0) fails).
        types = props[k].get("type")
        if isinstance(v, float) and (types == "integer" or (isinstance(types, list) and "integer" in types)):
            v = int(v)
        kw[attribute(k)] = v
    return run_config_class()(base_dir=base_dir, **kw)


def _no_constant(name):
    # Python's json reads NaN and Infinity, JavaScript's JSON.parse does not: refuse them as the launcher does.
    raise ValueError(f"{name} is not a JSON value")


def loads(text: str, where: str, base_dir: str):
    """A config from its JSON text (`where` names it in errors)."""
    try:
        obj = json.loads(text, parse_constant=_no_constant)
    except ValueError as e:
        raise ConfigError(f"{where}: not valid JSON ({e})") from None
    return parse(obj, where, base_dir)


def load(path):
    p = Path(path)
    if p.exists() and not p.is_file():   # a FIFO would block the read forever, a folder cannot be read
        raise ConfigError(f"{p}: not a regular file (a config JSON file is expected)")
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{p}: not valid JSON ({e})") from None
    return loads(text, str(p), str(p.resolve().parent))


def to_json(c) -> dict:
    d = asdict(c)
    return {k: d[attribute(k)] for k in schema()["properties"] if k not in _NOT_SETTINGS}
