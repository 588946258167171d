"""Quick pipeline end to end (into a temp dir), pack files, manifest, loader errors, TokenMap helper."""
import json
import shutil
import time

import numpy as np
import pytest

from sealens.pack import PackError, load_pack
from sealens.safetensors_io import load_file


def test_quick_pipeline_writes_a_complete_pack(quick_pack):
    d, ev, logs = quick_pack
    pack = d / "demo-pack"
    m = json.loads((pack / "manifest.json").read_text())
    assert m["formatVersion"] == 1 and {a["name"] for a in m["adapters"]} == {"baseline", "sea"}
    for rel in ["encoder/vision_model.onnx", "encoder/text_model.onnx", "encoder/tokenizer.json",
                "encoder/preprocessor_config.json", "labels/words.txt", "labels/word_embeds.safetensors",
                "adapters/sea.safetensors", "adapters/sea.onnx", "adapters/baseline.safetensors",
                "adapters/baseline.onnx", "llm/embed_tokens.safetensors", "llm/tokenizer.json",
                "llm/tokenizer_config.json", "llm/decoder.onnx"]:
        assert (pack / rel).is_file(), rel
    assert sum(f.stat().st_size for f in pack.rglob("*") if f.is_file()) < 20e6
    assert not any(p.name.startswith(".") for p in d.iterdir())            # no temp folder left behind
    e = m["evaluation"]
    for name in ("baseline", "sea"):
        for k in ("patch_word_accuracy", "top5_accuracy", "caption_loss", "modality_gap", "tacs"):
            assert np.isfinite(e["adapters"][name][k])
    assert e["candidates"] >= 20 and m["labeling"]["sign"] in (1, -1)
    assert {"expected", "top1", "coverage"} <= set(e["labelPrecision"])
    phases = {l["phase"] for l in logs}
    assert {"world", "clip", "lm", "adapter:baseline", "adapter:sea", "evaluation", "done"} <= phases
    # dimensions chain: encoder D -> adapter -> LLM H
    sd = load_file(str(pack / "adapters/sea.safetensors"))
    emb = load_file(str(pack / "llm/embed_tokens.safetensors"))["model.embed_tokens.weight"]
    assert sd["model.mm_projector.0.weight"].shape[1] == 128
    assert sd["model.mm_projector.2.weight"].shape[0] == emb.shape[1]
    assert emb.dtype == np.float32


def test_manifest_reports_per_kind_on_an_unused_seed_with_both_renderers_and_trivial_predictors(quick_pack):
    d, ev, logs = quick_pack
    e = json.loads((d / "demo-pack" / "manifest.json").read_text())["evaluation"]
    pk = e["perKind"]
    assert pk["seed"] != e["seed"] and set(pk["renderers"]) == {"main", "flat"}
    for r in pk["renderers"].values():
        assert {"baseline", "sea", "trivial"} <= set(r)
        assert set(r["trivial"]) == {"materialEverywhere", "imageMajorityWord", "colourStatsClassifier"}
        for m in [r["sea"], r["baseline"], *r["trivial"].values()]:
            assert m["colour"] + m["shape"] <= m["object"] + 1e-9 and 0 <= m["balancedR"] <= 1
        assert r["trivial"]["materialEverywhere"]["background"] == 1.0
    # the pairs that enter L_a, per epoch, with their share of right labels (reported, never trained on)
    pairs = e["diagnostics"]["validation"]["sea"]["pairsByEpoch"]
    assert pairs and all(0 <= p["pairsCorrect"] <= 1 and p["pairsPerStep"] > 0 for p in pairs)
    words = (d / "demo-pack" / "labels" / "words.txt").read_text().split()
    assert e["labels"]["words"] == len(words) and e["world"] == "v1"


def test_labelling_list_from_captions_and_the_frequency_list():
    from sealens import world
    from sealens.build_pack import distractors, label_frequency_words, labeling_words
    _, caps, _ = world.render_batch(0, "train", 0, 200, variant="v2")
    words = labeling_words(caps, distractors() + label_frequency_words())
    assert len(words) >= 500 and set(world.world_words()) <= set(words) and len(set(words)) == len(words)
    assert not {"a", "the", "on", "picture"} & set(words)                    # stop and template words
    assert words.index("grass") < words.index("time")                        # caption words first


def test_samples_and_truth(quick_pack):
    d, _, _ = quick_pack
    pngs = sorted((d / "samples").glob("*.png"))
    assert len(pngs) >= 12
    from sealens import world
    vocab = set(world.world_words())
    for p in pngs:
        t = json.loads(p.with_name(p.name[:-4] + ".truth.json").read_text())
        R, C = t["grid"]["rows"], t["grid"]["cols"]
        assert len(t["patches"]) == R * C
        assert [(q["row"], q["col"]) for q in t["patches"]] == [(r, c) for r in range(R) for c in range(C)]
        assert all(w in vocab and w == w.lower() for q in t["patches"] for w in q["words"])


def test_quick_build_is_deterministic(quick_pack, tmp_path):
    from sealens.build_pack import BuildConfig, build
    d, ev, _ = quick_pack
    ev2 = build(tmp_path / "p", None, BuildConfig.make(True, 0, "cpu"), progress=lambda _: None)
    for name in ("baseline", "sea"):
        assert ev2["adapters"][name]["patch_word_accuracy"] == ev["adapters"][name]["patch_word_accuracy"]
        assert abs(ev2["adapters"][name]["caption_loss"] - ev["adapters"][name]["caption_loss"]) < 1e-9
    a = load_file(str(tmp_path / "p/adapters/sea.safetensors"))
    b = load_file(str(d / "demo-pack/adapters/sea.safetensors"))
    assert all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("breakage,needle", [
    ("no-manifest", "manifest.json is missing"), ("bad-json", "not valid JSON"),
    ("version", "unsupported formatVersion"), ("escape", "stay inside the pack"),
    ("missing-adapter", "sea.safetensors: adapter 'sea' file is missing"),
    ("corrupt-adapter", "sea.safetensors: corrupt adapter"), ("missing-field", "'llm' is missing"),
])
def test_broken_packs_name_the_file(quick_pack, tmp_path, breakage, needle):
    d, _, _ = quick_pack
    p = tmp_path / "pack"
    shutil.copytree(d / "demo-pack", p)
    mp = p / "manifest.json"
    m = json.loads(mp.read_text())
    if breakage == "no-manifest":
        mp.unlink()
    elif breakage == "bad-json":
        mp.write_text("{ nope")
    elif breakage == "version":
        m["formatVersion"] = 99
    elif breakage == "escape":
        m["llm"]["tokenizer"] = "../../etc/passwd"
    elif breakage == "missing-adapter":
        (p / "adapters/sea.safetensors").unlink()
    elif breakage == "missing-field":
        del m["llm"]
    if breakage in ("version", "escape", "missing-field"):
        mp.write_text(json.dumps(m))
    if breakage == "corrupt-adapter":
        (p / "adapters/sea.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{garbage")
        with pytest.raises(PackError, match=needle):
            load_pack(p).adapter("sea")
        return
    with pytest.raises(PackError, match=needle):
        load_pack(p)


def test_tokenmap_helper(quick_pack):
    from sealens.tokenmap import MIME, display_tokenmap, tokenmap
    d, _, _ = quick_pack
    tm = tokenmap(d / "demo-pack", np.random.rand(64, 128), adapter="sea", image_size=(96, 96))
    assert tm["version"] == 2 and tm["grid"] == {"rows": 8, "cols": 8} and len(tm["patches"]) == 64
    assert tm["patches"][9]["box"] == {"x": 12.0, "y": 12.0, "w": 12.0, "h": 12.0}
    from sealens.tokenmap import validate
    bad = {**tm, "patches": [{**tm["patches"][0], "box": {"x": 90, "y": 0, "w": 12, "h": 12}}]}
    with pytest.raises(ValueError, match="leaves the 96x96 image"):
        validate(bad)
    with pytest.raises(ValueError, match="TokenMap /patches/0"):
        validate({**tm, "patches": [{"kind": "patch", "tile": 0, "words": []}]})
    bundle = display_tokenmap(tm)
    if bundle is not None:
        assert bundle[MIME] is tm


def test_pack_manifest_is_checked_against_the_engines_schema(quick_pack, tmp_path):
    """The trainer reads packs with schemas/model-pack.schema.json, the file the engine validates with."""
    d, _, _ = quick_pack
    for mutate, needle in [
        (lambda m: m["imageEncoder"].pop("onnx"), "imageEncoder.required field 'onnx' is missing"),
        (lambda m: m.__setitem__("name", 7), "name: 7 is not of type 'string'"),
        (lambda m: m["llm"]["embeddings"].__setitem__("file", "/etc/passwd"), "must be relative and stay inside the pack"),
        (lambda m: m.__setitem__("adapters", []), "adapters: [] "),
    ]:
        p = tmp_path / f"pack{abs(hash(needle))}"
        shutil.copytree(d / "demo-pack", p)
        m = json.loads((p / "manifest.json").read_text())
        mutate(m)
        (p / "manifest.json").write_text(json.dumps(m))
        with pytest.raises(PackError) as e:
            load_pack(p)
        assert needle in str(e.value) and "manifest.json" in str(e.value), str(e.value)
