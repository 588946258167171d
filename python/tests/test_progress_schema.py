"""The trainer's side of schemas/training-progress.schema.json and schemas/run-config.schema.json: the exit
codes, every event kind of a real run checked against the schema, the checker catching a drifted event, and
the run config's schema-driven checks (defaults, integers, NaN, the first problem named)."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT, write_run_config
from sealens.runner import __main__ as runner_main
from sealens.runner import config, progress_schema
from sealens.runner.tinypack import build

ENV_BASE = {"PYTHONPATH": str(ROOT / "python"), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}


def test_exit_codes_equal_the_schema_enum():
    codes = progress_schema.exit_codes()
    assert codes == {"ok": runner_main.EXIT_OK, "failed": runner_main.EXIT_FAILED, "input": runner_main.EXIT_INPUT,
                     "diskFull": runner_main.EXIT_DISK, "cancelled": runner_main.EXIT_CANCELLED,
                     "busy": runner_main.EXIT_BUSY, "environment": runner_main.EXIT_ENV}


def test_every_event_of_a_real_run_and_of_a_failed_run_matches_the_schema(tmp_path):
    tiny = build(tmp_path / "tiny")
    cfg = write_run_config(tmp_path / "ok", tiny, outputName="ft", epochs=2, checkpointEvery=1)
    # SEALENS_CHECK_PROGRESS is left out on purpose: the events are checked here, after the fact.
    r = subprocess.run([sys.executable, "-m", "sealens.runner", "--config", str(cfg), "--run-dir", str(tmp_path / "run"),
                        "--threads", "1"], env=ENV_BASE, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    events = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    kinds = {e["event"] for e in events}
    assert {"environment", "phase", "start", "step", "validation", "checkpoint", "evaluation", "done"} <= kinds, kinds
    for e in events:
        assert progress_schema.problems(e) == [], e
    bad = write_run_config(tmp_path / "bad", tiny, outputName="ft", dataset=str(tmp_path / "nothing-here"))
    r = subprocess.run([sys.executable, "-m", "sealens.runner", "--config", str(bad), "--run-dir", str(tmp_path / "run2")],
                       env=ENV_BASE, capture_output=True, text=True, timeout=300)
    assert r.returncode == runner_main.EXIT_INPUT, r.stderr
    err = [json.loads(l) for l in r.stdout.splitlines() if l.startswith('{"event": "error"')]
    assert len(err) == 1 and err[0]["exitCode"] == 2 and err[0]["kind"] == "input"
    assert progress_schema.problems(err[0]) == []


@pytest.mark.parametrize("event,needle", [
    ({"event": "nope"}, 'unknown progress event "nope"'),
    ({"event": "step", "step": "x"}, "step: 'x' is not of type 'integer'"),
    ({"event": "warning", "message": "m", "extra": 1}, "Additional properties are not allowed"),
    ({"event": "error", "kind": "input", "message": "m", "exitCode": 9}, "exitCode: 9 is not one of"),
])
def test_the_checker_names_what_drifted(event, needle):
    assert any(needle in p for p in progress_schema.problems(event)), progress_schema.problems(event)
    with pytest.raises(AssertionError):
        progress_schema.check_event(event)


BASE = {"formatVersion": 1, "pack": "p", "dataset": "d", "outputName": "o"}


def test_run_config_defaults_and_integers_come_from_the_schema():
    c = config.parse({**BASE, "epochs": 3.0, "maxImages": 10.0}, "c.json", ".")
    assert c.epochs == 3 and isinstance(c.epochs, int) and isinstance(c.max_images, int)
    props = config.schema()["properties"]
    assert (c.lam, c.batch_size, c.device, c.seed) == (props["lambda"]["default"], props["batchSize"]["default"], "auto", 0)
    assert config.to_json(c)["lambda"] == 1.0


@pytest.mark.parametrize("obj,msg", [
    ({**BASE, "pack": "  "}, "pack: must be a path to a model pack folder"),
    ({**BASE, "outputName": "x\n"}, "outputName: must be a name"),
    ({**BASE, "slurm": {"partitio": "gpu"}}, "slurm: must be an object with some of"),
    ({**BASE, "lambda": float("inf")}, "lambda: must be a number ≥ 0 (got Infinity)"),
    ({"formatVersion": 1, "outputName": "o", "bogus": 1}, "pack: required"),
    ({**BASE, "bogus": 1, "lambda": -1}, "bogus: unknown key"),
    ({**BASE, "lambda": -1, "bogus": 1}, "lambda: must be a number ≥ 0"),
])
def test_run_config_first_problem_in_the_launchers_order(obj, msg):
    with pytest.raises(config.ConfigError) as e:
        config.parse(obj, "c.json", ".")
    assert msg in str(e.value), str(e.value)


def test_nan_in_a_config_file_is_not_json(tmp_path):
    (tmp_path / "c.json").write_text('{"formatVersion": 1, "pack": "p", "dataset": "d", "outputName": "o", "lambda": NaN}')
    with pytest.raises(config.ConfigError, match=r"c.json: not valid JSON \(NaN is not a JSON value\)"):
        config.load(tmp_path / "c.json")


def test_without_jsonschema_the_trainer_exits_6_naming_pip_and_apt(tmp_path):
    # sitecustomize on PYTHONPATH hides the package: importlib then finds no jsonschema, as on a bare Python.
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['jsonschema'] = None\n")
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"formatVersion": 1, "pack": "p", "dataset": "d", "outputName": "o"}))
    env = {**ENV_BASE, "PYTHONPATH": f"{hide}:{ROOT / 'python'}"}
    r = subprocess.run([sys.executable, "-m", "sealens.runner", "--config", str(cfg), "--run-dir", str(tmp_path / "run")],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == runner_main.EXIT_ENV, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert "-m pip install \"jsonschema>=4\"" in r.stderr and "apt install python3-jsonschema" in r.stderr
    err = [json.loads(l) for l in r.stdout.splitlines() if '"error"' in l]
    assert err and err[0]["kind"] == "environment" and err[0]["exitCode"] == 6


def test_pip_installed_trainer_finds_the_schemas_its_wheel_carries(tmp_path):
    """`pip install ./python` (not a checkout, not the .vsix): the wheel carries the schemas as data files."""
    import shutil
    import venv
    import zipfile
    src = tmp_path / "src"   # a copy: building in the checkout would leave build/ and *.egg-info there
    shutil.copytree(ROOT / "python", src / "python", ignore=shutil.ignore_patterns("__pycache__", "tests*", "build", "*.egg-info"))
    shutil.copytree(ROOT / "schemas", src / "schemas")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src / "python"), "--no-deps", "--no-build-isolation",
                        "--no-index", "-w", str(tmp_path / "dist")], capture_output=True, text=True, timeout=300)
    if r.returncode != 0 and "No module named" in r.stderr:
        pytest.skip(f"SKIPPED: {sys.executable} cannot build wheels ({r.stderr.strip().splitlines()[-1]})")
    assert r.returncode == 0, r.stderr
    whl = next((tmp_path / "dist").glob("sealens-*.whl"))
    assert any(n.endswith("data/share/sealens/schemas/run-config.schema.json") for n in zipfile.ZipFile(whl).namelist())
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", str(whl)],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0 and "no such option: --python" in r.stderr:
        pytest.skip("SKIPPED: this pip cannot install into another interpreter (--python needs pip ≥ 22.3)")
    assert r.returncode == 0, r.stderr
    probe = ("from sealens.runner import config; import sealens; "
             "c = config.parse({'formatVersion': 1, 'pack': 'p', 'dataset': 'd', 'outputName': 'o'}, 'c.json', '.'); "
             "print(sealens.__file__); print(config.SCHEMA_FILE); print(c.batch_size)")
    r = subprocess.run([str(py), "-c", probe], cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    where, schema_file, batch = r.stdout.split()
    assert where.startswith(str(env_dir)) and schema_file == str(env_dir / "share/sealens/schemas/run-config.schema.json")
    assert batch == "8"
