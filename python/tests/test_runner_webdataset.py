"""Archive datasets the trainer reads (python/sealens/runner/dataset.py): webdataset tar shards (one .tar, a folder
of them, a brace pattern resolved locally) and local Hugging Face `datasets` folders (save_to_disk's arrow files,
parquet files; pyarrow). Every broken record kind is skipped, counted and named by file and member/row; nothing
is ever extracted to disk."""
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from PIL import Image

from conftest import ROOT, write_run_config
from sealens.runner import dataset
from sealens.runner.tinypack import build

PRE = {"size": {"shortest_edge": 32}, "crop_size": {"height": 32, "width": 32}, "image_mean": [0.5] * 3, "image_std": [0.25] * 3}


def _png(fmt="PNG", colour=(200, 30, 30)) -> bytes:
    b = io.BytesIO()
    Image.new("RGB", (40, 40), colour).save(b, fmt)
    return b.getvalue()


def _tar(path: Path, members):
    """members: (name, bytes) for regular files, (name, ('symlink'|'dir'|'fifo', target)) for the others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as tf:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            if isinstance(data, tuple):
                ti.type = {"symlink": tarfile.SYMTYPE, "dir": tarfile.DIRTYPE, "fifo": tarfile.FIFOTYPE}[data[0]]
                ti.linkname = data[1]
                tf.addfile(ti)
            else:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
    return path


def test_brace_expansion_keeps_padding_and_refuses_nonsense():
    assert dataset.expand_braces("s-{0008..0011}.tar") == ["s-0008.tar", "s-0009.tar", "s-0010.tar", "s-0011.tar"]
    assert dataset.expand_braces("{a,b}-{1..2}.tar") == ["a-1.tar", "a-2.tar", "b-1.tar", "b-2.tar"]
    assert dataset.expand_braces("plain.tar") == ["plain.tar"]
    with pytest.raises(dataset.DatasetError, match=r"must go up"):
        dataset.expand_braces("s-{9..1}.tar")
    with pytest.raises(dataset.DatasetError, match=r"neither a range"):
        dataset.expand_braces("s-{x}.tar")
    with pytest.raises(dataset.DatasetError, match=r"at most 100000"):
        dataset.expand_braces("s-{0..9999999}.tar")
    with pytest.raises(dataset.DatasetError, match=r"expands to more than 100000"):
        dataset.expand_braces("s-{0..99999}-{0..99999}.tar")


def test_webdataset_shards_good_samples_and_every_broken_kind(tmp_path):
    d = tmp_path / "wds"
    s0 = _tar(d / "shards-0000.tar", [
        ("a.jpg", _png("JPEG")), ("a.txt", b"a red square\n"),
        ("sub/b.png", _png()), ("sub/b.json", json.dumps({"caption": "<image> a red block", "width": 40}).encode()),
        ("c.webp", _png("WEBP")), ("c.json", json.dumps({"conversations": [
            {"from": "human", "value": "<image>\nWhat?"}, {"from": "gpt", "value": "A red tile."}]}).encode()),
        ("../x.png", _png()), ("../x.txt", b"outside"),             # a name, never a path: nothing is extracted
        ("d.seg.png", _png()), ("d.txt", b"no image of its own"),   # ext "seg.png" is not an image of key d
        ("e.jpg", b"not a jpeg at all"), ("e.txt", b"undecodable"),
        ("f.png", _png()), ("f.json", b"{\"caption\": "),
        ("g.png", _png()), ("g.json", b'{"width": 40}'),
        ("h.png", _png()), ("h.txt", b"  \n"),
        ("i.png", ("symlink", "/etc/passwd")), ("i.txt", b"a link"),
        ("dir", ("dir", "")),
        ("j.txt", b"x" * (dataset.MAX_TEXT_BYTES + 1)), ("j.png", _png()),
    ])
    s1 = _tar(d / "shards-0001.tar", [("k.png", _png(colour=(0, 0, 255))), ("k.txt", b"a blue square")])
    pattern = d / "shards-{0000..0001}.tar"
    items, bad = dataset.scan(pattern)
    assert [(i.path.name, i.member, i.caption) for i in items] == [
        ("shards-0000.tar", "a.jpg", "a red square"), ("shards-0000.tar", "sub/b.png", "a red block"),
        ("shards-0000.tar", "c.webp", "A red tile."), ("shards-0000.tar", "../x.png", "outside"),
        ("shards-0000.tar", "e.jpg", "undecodable"), ("shards-0000.tar", "j.png", None),
        ("shards-0001.tar", "k.png", "a blue square")]
    assert bad == [
        f"{s0}: i.png: a symlink, not a regular file (refused)",
        f"{s0}: j.txt: {dataset.MAX_TEXT_BYTES + 1} bytes, above the {dataset.MAX_TEXT_BYTES}-byte limit",
        f"{s0}: d: no image member (has d.seg.png, d.txt)",
        f"{s0}: f.json: not valid JSON (Expecting value at line 1)",
        f'{s0}: g.json: no "caption", "text" or gpt turn in "conversations"',
        f"{s0}: h.txt: empty caption",
        f"{s0}: i: no image member (has i.txt)",
    ]
    assert items[3].open().read() == _png()   # ../x.png is read as data from the shard
    assert not (tmp_path / "x.png").exists() and not (d.parent / "x.png").exists()
    ds = dataset.load(pattern, PRE)
    assert [i.member for i in ds.items] == ["a.jpg", "sub/b.png", "c.webp", "../x.png", "j.png", "k.png"]
    assert ds.pixels.shape == (6, 3, 32, 32)
    assert len(ds.skipped) == 8 and ds.skipped[-1].startswith(f"{s0}: e.jpg: undecodable image (")
    # the blue sample decodes to blue: the bytes come from its own offset
    assert ds.pixels[5, 2].mean() > ds.pixels[5, 0].mean()
    # the same shards as a folder, and one shard alone
    assert [i.member for i in dataset.scan(d)[0]] == [i.member for i in items]
    assert [i.member for i in dataset.scan(s1)[0]] == ["k.png"]


def test_webdataset_broken_shards_are_clear_errors_or_counted(tmp_path):
    _tar(tmp_path / "s-0.tar", [("a.png", _png()), ("a.txt", b"x")])
    with pytest.raises(dataset.DatasetError, match=r"1 of 2 shards not found, first: .*s-1\.tar"):
        dataset.scan(tmp_path / "s-{0..1}.tar")
    junk = tmp_path / "junk" / "j.tar"
    junk.parent.mkdir()
    junk.write_bytes(b"this is not a tar file" * 100)
    with pytest.raises(dataset.DatasetError, match=r"j\.tar: not a readable uncompressed tar shard"):
        dataset.scan(junk)
    gz = tmp_path / "gz" / "g.tar"
    gz.parent.mkdir()
    with tarfile.open(gz, "w:gz") as tf:
        ti = tarfile.TarInfo("a.txt")
        tf.addfile(ti, io.BytesIO(b""))
    with pytest.raises(dataset.DatasetError, match=r"g\.tar: not a readable uncompressed tar shard.*plain \.tar"):
        dataset.scan(gz)
    # cut short inside the second image: the first sample stays, the second is counted
    full = _tar(tmp_path / "cut" / "c.tar", [("a.png", _png()), ("a.txt", b"x"), ("b.png", _png()), ("b.txt", b"y")])
    raw = full.read_bytes()
    full.write_bytes(raw[:raw.index(b"b.png") + 512 + 100])
    items, bad = dataset.scan(full)
    assert [i.member for i in items] == ["a.png"]
    assert bad == [f"{full}: b.png: cut short ({len(_png())} bytes announced, the shard ends first)"]
    # a damaged header after the first: the samples before it are kept, the rest is reported
    _tar(full, [("a.png", _png()), ("a.txt", b"x"), ("b.png", _png()), ("b.txt", b"y")])
    raw = bytearray(full.read_bytes())
    at = raw.index(b"b.png")
    raw[at:at + 512] = b"\xff" * 512
    full.write_bytes(bytes(raw))
    items, bad = dataset.scan(full)
    assert [i.member for i in items] == ["a.png"]
    assert bad == [f"{full}: byte {at}: not a tar header; the rest of the shard is skipped"]


def test_a_run_trains_from_webdataset_shards(tmp_path):
    tiny = build(tmp_path / "tiny", n_images=6)
    pngs = sorted((tiny / "images").glob("*.png"))
    _tar(tmp_path / "wds" / "train-000.tar", [m for p in pngs[:3] for m in ((p.name, p.read_bytes()), (p.stem + ".txt", b"a red circle"))])
    _tar(tmp_path / "wds" / "train-001.tar", [m for p in pngs[3:] for m in ((p.name, p.read_bytes()), (p.stem + ".txt", b"a red circle"))]
         + [("broken.txt", b"no image")])
    cfg = write_run_config(tmp_path / "cfg", tiny, outputName="ft", dataset=str(tmp_path / "wds" / "train-{000..001}.tar"),
                           epochs=1, checkpointEvery=50)
    r = subprocess.run([sys.executable, "-m", "sealens.runner", "--config", str(cfg), "--run-dir", str(tmp_path / "run"),
                        "--threads", "1"], env={"PYTHONPATH": str(ROOT / "python"), "PATH": "/usr/bin:/bin"},
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    events = [json.loads(x) for x in r.stdout.splitlines()]
    warn = [e["message"] for e in events if e["event"] == "warning"]
    assert any("train-001.tar: broken: no image member (has broken.txt)" in w for w in warn), warn
    start = next(e for e in events if e["event"] == "start")
    assert start["skippedImages"] == 1 and start["images"] == 6 and start["lossG"]


# ---- Hugging Face datasets folders (pyarrow) ----

def _pa():
    try:
        import pyarrow
        return pyarrow
    except ImportError:
        pytest.skip("SKIPPED: pyarrow is not installed in this Python (pip install pyarrow, or .venv via python/requirements-hf.txt)")


def _table(pa, rows, caption="caption"):
    img_t = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    cap_t = (pa.list_(pa.struct([("from", pa.string()), ("value", pa.string())])) if caption == "conversations" else pa.string())
    return pa.table({"image": pa.array([r[0] for r in rows], img_t), caption: pa.array([r[1] for r in rows], cap_t)})


def test_hf_parquet_folder_rows_and_broken_rows(tmp_path):
    pa = _pa()
    import pyarrow.parquet as pq
    d = tmp_path / "hf"
    (d / "data").mkdir(parents=True)
    (d / "side.png").write_bytes(_png(colour=(0, 255, 0)))
    pq.write_table(_table(pa, [({"bytes": _png(), "path": "a.png"}, "<image> a red square"),
                               (None, "no image"),
                               ({"bytes": None, "path": "side.png"}, "a green square"),
                               ({"bytes": None, "path": "gone.png"}, "missing file"),
                               ({"bytes": b"garbage", "path": "g.png"}, "undecodable"),
                               ({"bytes": _png("JPEG"), "path": None}, None)]), d / "data" / "train-00000-of-00002.parquet")
    pq.write_table(_table(pa, [({"bytes": _png("WEBP"), "path": None}, [{"from": "human", "value": "<image>"},
                                                                        {"from": "gpt", "value": "A tile."}])],
                          caption="conversations"), d / "data" / "train-00001-of-00002.parquet")
    p0, p1 = d / "data" / "train-00000-of-00002.parquet", d / "data" / "train-00001-of-00002.parquet"
    items, bad = dataset.scan(d)
    assert [(i.path, i.member, i.caption) for i in items] == [
        (p0, "row 0", "a red square"), (p0, "row 2", "a green square"), (p0, "row 4", "undecodable"),
        (p0, "row 5", None), (p1, "row 0", "A tile.")]
    assert bad == [f"{p0}: row 1: no image bytes in column 'image'",
                   f"{p0}: row 3: no image bytes in column 'image' and gone.png is not in {d}"]
    ds = dataset.load(d, PRE)
    assert len(ds.items) == 4 and ds.pixels.shape == (4, 3, 32, 32)
    assert len(ds.skipped) == 3 and ds.skipped[-1].startswith(f"{p0}: row 4: undecodable image (")
    assert ds.pixels[1, 1].mean() > ds.pixels[1, 0].mean()   # row 2 is the green side file
    pq.write_table(pa.table({"picture": pa.array([b"x"]), "caption": pa.array(["y"])}), p1)
    with pytest.raises(dataset.DatasetError, match=r"train-00001-of-00002\.parquet: no image column \(looked for image, .*has picture, caption\)"):
        dataset.scan(d)
    p1.write_bytes(b"PAR1 not really")
    with pytest.raises(dataset.DatasetError, match=r"train-00001-of-00002\.parquet: not a readable parquet file"):
        dataset.scan(d)


def test_hf_save_to_disk_folder(tmp_path):
    """The layout datasets' save_to_disk writes: arrow IPC streams listed in state.json, a DatasetDict's
    dataset_dict.json with one folder per split."""
    pa = _pa()
    d = tmp_path / "dd"
    split = d / "train"
    split.mkdir(parents=True)
    (d / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    files = []
    for n, rows in enumerate([[({"bytes": _png(), "path": None}, "first")], [({"bytes": _png(), "path": None}, "second"),
                                                                              (None, "broken")]]):
        t = _table(pa, rows, caption="text")
        f = split / f"data-{n:05d}-of-00002.arrow"
        with pa.OSFile(str(f), "wb") as sink, pa.ipc.new_stream(sink, t.schema) as w:
            w.write_table(t)
        files.append(f)
    (split / "dataset_info.json").write_text(json.dumps({"features": {}}))
    (split / "state.json").write_text(json.dumps({"_data_files": [{"filename": f.name} for f in files]}))
    items, bad = dataset.scan(d)
    assert [(i.path.name, i.member, i.caption) for i in items] == [
        ("data-00000-of-00002.arrow", "row 0", "first"), ("data-00001-of-00002.arrow", "row 0", "second")]
    assert bad == [f"{files[1]}: row 1: no image bytes in column 'image'"]
    assert dataset.load(split, PRE).pixels.shape == (2, 3, 32, 32)
    (split / "state.json").write_text(json.dumps({"_data_files": [{"filename": "nope.arrow"}]}))
    with pytest.raises(dataset.DatasetError, match=r"nope\.arrow: listed in .*state\.json but not there"):
        dataset.scan(split)
    (d / "dataset_dict.json").write_text(json.dumps({"splits": ["validation"]}))
    with pytest.raises(dataset.DatasetError, match=r"without a train split \(has \['validation'\]\)"):
        dataset.scan(d)


def test_hf_folder_without_pyarrow_names_the_install_command(tmp_path):
    try:
        import pyarrow  # noqa: F401
        pytest.skip("SKIPPED: pyarrow is installed here; the missing-pyarrow message is checked under /usr/bin/python3")
    except ImportError:
        pass
    (tmp_path / "train-0.parquet").write_bytes(b"PAR1")
    with pytest.raises(dataset.DatasetError, match=r"train-0\.parquet: reading a Hugging Face datasets folder needs pyarrow.*pip install pyarrow"):
        dataset.scan(tmp_path)


def test_an_image_over_the_pixel_limit_is_skipped_before_decoding(tmp_path):
    """A PNG whose header claims 20,000 × 6,000 pixels (a few hundred bytes on disk): refused on its header."""
    import struct
    import zlib
    raw = bytearray(_png())
    ihdr = raw.index(b"IHDR")
    raw[ihdr + 4:ihdr + 12] = struct.pack(">II", 20_000, 6_000)
    raw[ihdr + 17:ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(raw[ihdr:ihdr + 17])))
    shard = _tar(tmp_path / "s.tar", [("bomb.png", bytes(raw)), ("bomb.txt", b"x"), ("ok.png", _png()), ("ok.txt", b"y")])
    ds = dataset.load(shard, PRE)
    assert [i.member for i in ds.items] == ["ok.png"]
    assert ds.skipped == [f"{shard}: bomb.png: 20000 × 6000 pixels, above the {dataset.MAX_PIXELS:,} limit"]
