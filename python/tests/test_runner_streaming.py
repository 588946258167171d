"""Streaming features (runner/features.py + feature_store.py): rows read back exactly as encoded, with decode
workers or without; skipped images have no row and are listed; an interrupted encoding resumes where it
stopped and ends with the same store as an uninterrupted one; a damaged or cut store is not trusted; caption
token lists are kept compactly and read back unchanged."""
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from sealens.runner import dataset, features
from sealens.runner.feature_store import FeatureStore, StoreWriter, open_finished
from sealens.runner.sources import from_pack
from sealens.runner.tinypack import build
from sealens.runner.token_lists import TokenLists

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build(tmp_path_factory.mktemp("tiny"), n_images=70)


@pytest.fixture(scope="module")
def src(tiny):
    return from_pack(tiny / "pack", CPU)


def images_with_broken(tiny: Path, tmp: Path, broken_at=(3, 40)) -> Path:
    """The tiny pack's 70 images plus undecodable files sorted in at the given positions."""
    d = tmp / "imgs"
    d.mkdir()
    for f in sorted((tiny / "images").glob("*.png")):
        shutil.copy(f, d / f.name)
    names = sorted(p.name for p in d.glob("*.png"))
    for k in broken_at:
        (d / (names[k][:-4] + "_broken.png")).write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return d


def test_store_rows_equal_in_memory_encoding_and_skipped_images_have_no_row(tiny, src, tmp_path):
    d = images_with_broken(tiny, tmp_path)
    items, bad = dataset.scan(d)
    ds = dataset.Dataset(items, bad)
    store = features.cached(tmp_path / "cache", src, ds, tiny / "pack", CPU, workers=0)
    assert store.rows == 70 and store.skipped_count == 2
    assert all("_broken.png: undecodable image" in s for s in store.skipped())
    kept = [items[i] for i in store.items.tolist()]
    assert not any("_broken" in it.path.name for it in kept)
    # everything decoded in memory, the old way (its encoder batches hold other images: equal to float rounding)
    ref = features.compute(src, dataset.load(d, src.preprocessor), CPU)
    idx = torch.tensor([69, 0, 5, 5, 33])
    for name in ("features", "label_idx", "label_scores"):
        assert store.array(name).shape == ref[name].shape
        torch.testing.assert_close(store.array(name)[idx], torch.from_numpy(ref[name][idx.numpy()]), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(store.array(name)[:], torch.from_numpy(ref[name]), rtol=1e-5, atol=1e-5)
    with pytest.raises(IndexError, match="row index out of range for 70 rows"):
        store.array("features")[torch.tensor([70])]


def test_decode_workers_give_the_same_store(tiny, src, tmp_path):
    d = images_with_broken(tiny, tmp_path)
    ds = dataset.Dataset(*dataset.scan(d))
    a = features.cached(tmp_path / "a", src, ds, tiny / "pack", CPU, workers=0)
    b = features.cached(tmp_path / "b", src, ds, tiny / "pack", CPU, workers=2)
    assert np.array_equal(a.items, b.items) and a.skipped() == b.skipped()
    for name in ("features", "label_idx", "label_scores"):
        assert (tmp_path / "a/features" / f"{name}.bin").read_bytes() == (tmp_path / "b/features" / f"{name}.bin").read_bytes()


def test_interrupted_encoding_resumes_where_it_stopped(tiny, src, tmp_path, monkeypatch):
    d = images_with_broken(tiny, tmp_path, broken_at=(3, 66))   # the second one after the cut
    ds = dataset.Dataset(*dataset.scan(d))
    whole = features.cached(tmp_path / "whole", src, ds, tiny / "pack", CPU, workers=0)
    monkeypatch.setattr("sealens.runner.feature_store.COMMIT_SECONDS", 0.0)   # every batch is made durable
    seen = []
    stopped = features.cached(tmp_path / "cut", src, ds, tiny / "pack", CPU, workers=0,
                              should_stop=lambda: seen.append(1) or len(seen) >= 2)
    assert stopped is None
    meta = json.loads((tmp_path / "cut/features/meta.json").read_text())
    assert meta["processed"] == 2 * features.BATCH and not meta["done"]
    # a crash after more bytes were written than meta.json vouches for: they are cut off on resume
    with open(tmp_path / "cut/features/features.bin", "ab") as f:
        f.write(b"\x01" * 1000)
    encoded = []
    real = features.encode_batch
    monkeypatch.setattr(features, "encode_batch", lambda s, x, dev: encoded.append(len(x)) or real(s, x, dev))
    resumed = features.cached(tmp_path / "cut", src, ds, tiny / "pack", CPU, workers=0)
    assert sum(encoded) == len(ds.items) - 2 * features.BATCH - 1   # the rest only (one broken image is in it)
    for name in ("features", "label_idx", "label_scores", "items"):
        assert (tmp_path / "cut/features" / f"{name}.bin").read_bytes() == (tmp_path / "whole/features" / f"{name}.bin").read_bytes()
    assert resumed.skipped() == whole.skipped()
    encoded.clear()
    again = features.cached(tmp_path / "cut", src, ds, tiny / "pack", CPU, workers=0)   # finished: reused as is
    assert encoded == [] and again.rows == 70


def test_a_changed_dataset_or_damaged_meta_is_encoded_again(tiny, src, tmp_path):
    d = images_with_broken(tiny, tmp_path, broken_at=())
    ds = dataset.Dataset(*dataset.scan(d))
    features.cached(tmp_path / "c", src, ds, tiny / "pack", CPU, workers=0)
    fp = features.fingerprint(ds, tiny / "pack")
    assert open_finished(tmp_path / "c/features", fp) is not None
    assert open_finished(tmp_path / "c/features", "another fingerprint") is None
    (tmp_path / "c/features/meta.json").write_text("{not json")
    assert open_finished(tmp_path / "c/features", fp) is None
    again = features.cached(tmp_path / "c", src, ds, tiny / "pack", CPU, workers=0)
    assert again.rows == 70
    # fewer images (a changed dataset): a new store, not the old rows
    ds2 = dataset.Dataset(ds.items[:10], [])
    assert features.cached(tmp_path / "c", src, ds2, tiny / "pack", CPU, workers=0).rows == 10


def test_a_store_cut_short_says_so(tmp_path):
    w = StoreWriter(tmp_path / "s", "fp", 4)
    w.append({"features": np.arange(24, dtype=np.float32).reshape(4, 2, 3)}, [0, 1, 2, 3], 4, [])
    store = w.finish()
    assert store.array("features")[torch.tensor([3])].numpy().tolist() == [[[18, 19, 20], [21, 22, 23]]]
    os.truncate(tmp_path / "s/features.bin", 3 * 24 + 5)
    fresh = FeatureStore(tmp_path / "s", json.loads((tmp_path / "s/meta.json").read_text()))
    with pytest.raises(OSError, match="row 3 is cut short .* delete the run's cache folder"):
        fresh.array("features")[torch.tensor([3])]


def test_token_lists_read_back_unchanged():
    lists = [[5, 6, 7], None, [], [1], None, list(range(300))]
    t = TokenLists(iter(lists))
    assert len(t) == 6 and list(t) == lists and t[5] == list(range(300)) and t[1] is None
    assert TokenLists([]).__len__() == 0



class DyingItem(dataset.Item):
    """An image whose decoding ends the worker process, as the OS's out-of-memory killer would."""
    __slots__ = ()

    def open(self):
        os._exit(9)


def test_a_dead_decode_worker_is_named_and_what_was_encoded_is_kept(tiny, src, tmp_path):
    items, _ = dataset.scan(images_with_broken(tiny, tmp_path, broken_at=()))
    items[40] = DyingItem(items[40].path, items[40].caption)
    ds = dataset.Dataset(items, [])
    with pytest.raises(features.DecodeWorkerError, match="a decode worker process stopped abruptly .* start the run again"):
        features.cached(tmp_path / "c", src, ds, tiny / "pack", CPU, workers=1)
    assert json.loads((tmp_path / "c/features/meta.json").read_text())["processed"] == features.BATCH
