"""Datasets the trainer reads (python/sealens/runner/dataset.py): LLaVA JSON with an image folder (LLaVA's
--image-folder = the run config's imageFolder), captions from the gpt turns, JSON Lines, recursive image
folders with caption sidecars, malformed records skipped and named by file and record/line, and the demo
world written as a dataset (sealens.demo_dataset)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from conftest import ROOT, write_run_config
from sealens import demo_dataset
from sealens.runner import config, dataset
from sealens.runner.tinypack import build

PRE = {"size": {"shortest_edge": 32}, "crop_size": {"height": 32, "width": 32}, "image_mean": [0.5] * 3, "image_std": [0.25] * 3}


def _img(p: Path, colour=(200, 30, 30)):
    p.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 40), colour).save(p)


def test_llava_json_with_image_folder_gpt_turns_and_bad_records(tmp_path):
    imgs = tmp_path / "coco" / "train2017"
    _img(imgs / "a.png")
    _img(imgs / "sub" / "b.jpg")
    (tmp_path / "ann").mkdir()
    recs = [
        {"id": "1", "image": "a.png", "conversations": [
            {"from": "human", "value": "<image>\nWhat is this?"}, {"from": "gpt", "value": "A red square."},
            {"from": "human", "value": "Where?"}, {"from": "gpt", "value": "On the table."}]},
        {"id": "2", "image": "sub/b.jpg", "caption": "<image> a red block"},
        {"id": "3", "conversations": []},                      # no image
        {"id": "4", "image": "missing.png"},                   # image not in the folder
        ["not", "an", "object"],
        {"id": "6", "image": "a.png", "conversations": "oops"},
    ]
    ann = tmp_path / "ann" / "llava.json"
    ann.write_text(json.dumps(recs))
    items, bad = dataset.scan(ann, image_folder=imgs)
    assert [i.path.name for i in items] == ["a.png", "b.jpg"]
    assert items[0].caption == "A red square. On the table."
    assert items[1].caption == "a red block"
    assert bad == [
        f'{ann}: record 2: no "image" string',
        f"{ann}: record 3: image missing.png not found in {imgs}",
        f"{ann}: record 4: not an object (got list)",
        f'{ann}: record 5: "conversations" is not a list',
    ]
    ds = dataset.load(ann, PRE, image_folder=imgs)
    assert len(ds.items) == 2 and len(ds.skipped) == 4
    # without imageFolder the paths are relative to the JSON, and the message says how to fix that
    with pytest.raises(dataset.DatasetError, match=r"the dataset is empty.*record 0: image a\.png not found .*set imageFolder to LLaVA's --image-folder"):
        dataset.scan(ann)


def test_jsonl_errors_name_the_line_and_broken_json_names_the_position(tmp_path):
    _img(tmp_path / "a.png")
    f = tmp_path / "d.jsonl"
    f.write_text('{"image": "a.png", "caption": "x"}\n\n{"image": \n{"image": "a.png"}\n')
    items, bad = dataset.scan(f)
    assert len(items) == 2
    assert len(bad) == 1 and bad[0].startswith(f"{f}: line 3: not valid JSON")
    j = tmp_path / "broken.json"
    j.write_text('[\n {"image": "a.png"},\n {"image": }\n]')
    with pytest.raises(dataset.DatasetError, match=r"broken\.json: not valid JSON at line 3, column"):
        dataset.scan(j)
    j.write_text(json.dumps([{"nope": 1}]))
    with pytest.raises(dataset.DatasetError, match=r'the dataset is empty .*1 bad record\(s\), first: .*record 0: no "image" string'):
        dataset.scan(j)


def test_recursive_folder_with_caption_sidecars(tmp_path):
    _img(tmp_path / "b" / "x.png")
    (tmp_path / "b" / "x.txt").write_text("a red x\n")
    _img(tmp_path / "a" / "deep" / "y.webp")
    _img(tmp_path / "z.png")
    items, bad = dataset.scan(tmp_path)
    assert [i.path.relative_to(tmp_path).as_posix() for i in items] == ["a/deep/y.webp", "b/x.png", "z.png"]
    assert [i.caption for i in items] == [None, "a red x", None] and bad == []


def test_image_folder_config_key(tmp_path):
    c = config.parse({"formatVersion": 1, "pack": "p", "dataset": "d.json", "outputName": "o", "imageFolder": "imgs",
                      "slurm": {"time": "1:00:00"}}, "c.json", str(tmp_path))
    assert c.image_folder == "imgs"
    with pytest.raises(config.ConfigError, match=r"imageFolder: must be the folder"):
        config.parse({"formatVersion": 1, "pack": "p", "dataset": "d", "outputName": "o", "imageFolder": 3}, "c.json", ".")


def test_demo_dataset_trains_from_both_layouts(tmp_path):
    out = tmp_path / "demo"
    assert demo_dataset.main(["--n", "6", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names[:4] == ["llava.json", "train00000.png", "train00000.truth.json", "train00000.txt"]
    items, bad = dataset.scan(out)
    assert len(items) == 6 and bad == [] and all(i.caption and i.truth for i in items)
    l_items, bad = dataset.scan(out / "llava.json")
    assert [i.caption for i in l_items] == [i.caption for i in items] and bad == []
    assert demo_dataset.main(["--n", "6", "--out", str(out)]) == 2       # not empty: refused
    assert demo_dataset.main(["--n", "0", "--out", str(tmp_path / "x")]) == 2


def test_a_run_reports_bad_records_as_warnings_and_counts_them(tmp_path):
    tiny = build(tmp_path / "tiny", n_images=6)
    recs = [{"image": p.name, "caption": "a red circle"} for p in sorted((tiny / "images").glob("*.png"))]
    recs.insert(2, {"caption": "no image"})
    ann = tmp_path / "ann.json"
    ann.write_text(json.dumps(recs))
    cfg = write_run_config(tmp_path / "cfg", tiny, outputName="ft", dataset=str(ann), imageFolder=str(tiny / "images"),
                           epochs=1, checkpointEvery=50)
    r = subprocess.run([sys.executable, "-m", "sealens.runner", "--config", str(cfg), "--run-dir", str(tmp_path / "run"),
                        "--threads", "1"], env={"PYTHONPATH": str(ROOT / "python"), "PATH": "/usr/bin:/bin"},
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    events = [json.loads(x) for x in r.stdout.splitlines()]
    warn = [e["message"] for e in events if e["event"] == "warning"]
    assert any(f'{ann}: record 2: no "image" string' in w for w in warn), warn
    start = next(e for e in events if e["event"] == "start")
    assert start["skippedImages"] == 1 and start["images"] == 6
