"""Qwen2-VL and Qwen2.5-VL through `pack init`: tiny random-weight Qwen2VLForConditionalGeneration /
Qwen2_5_VLForConditionalGeneration built with transformers' own classes (14 px patches, 2 × 2 merge, Qwen2.5-VL
with 56 px attention windows and one full-attention block), exported as tower + merger, explained by the engine at
several sizes and aspects (one ONNX graph for every grid), and checked against the model's own
get_image_features on the engine's pixels patchified by Qwen2VLImageProcessor itself, against the processor's
views, and against a brute force over get_input_embeddings()."""
import json
import shutil
import subprocess

import numpy as np
import pytest
import torch
from PIL import Image
from transformers import (Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2VLConfig,
                          Qwen2VLForConditionalGeneration)
from transformers.models.qwen2_vl.image_processing_qwen2_vl import Qwen2VLImageProcessor, smart_resize

from hfpack_helpers import CLI, LLAMA_TOKENIZER, boxes_tile, brute_force_check, explain, pack_init, save_checkpoint, save_png

MEAN, STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]
H = 64
MIN_PIXELS, MAX_PIXELS = 28 * 28 * 4, 28 * 28 * 64
# (width, height): unresized (multiples of 28 within the pixel limits), wide and tall; shrunk with Python's
# half-to-even rounding (126 / 28 = 4.5 → 4, 70 / 28 = 2.5 → 2; Math.round would give 140 × 84); over max_pixels;
# one side up, one down; under min_pixels (enlarged).
SIZES = [(112, 84), (56, 168), (126, 70), (300, 200), (100, 70), (20, 10)]
IDENTITY = {(112, 84), (56, 168)}


def tiny(model_type: str):
    torch.manual_seed(0)
    text = dict(vocab_size=32064, hidden_size=H, intermediate_size=128, num_hidden_layers=1, num_attention_heads=4,
                num_key_value_heads=2, rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]})
    if model_type == "qwen2_vl":
        cfg = Qwen2VLConfig(text_config=text, vision_config=dict(depth=2, embed_dim=32, hidden_size=H, num_heads=4, mlp_ratio=2))
        model = Qwen2VLForConditionalGeneration(cfg)
    else:
        cfg = Qwen2_5_VLConfig(text_config=text, vision_config=dict(depth=3, hidden_size=32, intermediate_size=64, out_hidden_size=H,
                                                                  num_heads=4, window_size=56, fullatt_block_indexes=[1]))
        model = Qwen2_5_VLForConditionalGeneration(cfg)
    # transformers' init (std 0.02) leaves attention nearly uniform; wider weights make a wrong window, position or
    # patch order show far above the 1e-4 tolerance.
    with torch.no_grad():
        for p in model.model.visual.parameters():
            if p.dim() >= 2:
                p.normal_(0, 0.15)
    return model.eval()


def processor():
    return Qwen2VLImageProcessor(min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS, image_mean=MEAN, image_std=STD)


def make_pack(d, model_type, *extra):
    model = tiny(model_type)
    ckpt = save_checkpoint(model, processor(), d / "ckpt")
    r = pack_init(ckpt, d / "pack", *extra)
    assert r.returncode == 0, r.stderr[-3000:] + r.stdout[-2000:]
    return model, ckpt


@pytest.fixture(scope="module", params=["qwen2_vl", "qwen2_5_vl"])
def explained(request, tmp_path_factory):
    d = tmp_path_factory.mktemp(request.param)
    model, ckpt = make_pack(d, request.param)
    rng = np.random.default_rng(1)
    maps = {}
    for w, h in SIZES:
        img = save_png(rng.integers(0, 256, (h, w, 3)), d / f"img_{w}x{h}.png")
        maps[(w, h)] = (img, *explain(img, d / "pack", d / "tokens"))
    return request.param, model, d, maps


def processor_patches(chw: np.ndarray):
    """The engine's CHW view pixels patchified by Qwen2VLImageProcessor itself (no resize, rescale or normalise)."""
    out = processor()(images=[chw], do_resize=False, do_rescale=False, do_normalize=False,
                      input_data_format="channels_first", return_tensors="pt")
    return out["pixel_values"], out["image_grid_thw"]


def test_manifest_splits_tower_and_merger(explained):
    model_type, _, d, _ = explained
    m = json.loads((d / "pack" / "manifest.json").read_text())
    assert m["model"]["family"] == "qwen2-vl"
    geo = m["imageEncoder"]["geometry"]
    assert (geo["minPixels"], geo["maxPixels"], geo["patchSize"], geo["mergeSize"], geo["temporalPatchSize"]) == (MIN_PIXELS, MAX_PIXELS, 14, 2, 2)
    assert geo.get("windowMergeUnits") == (2 if model_type == "qwen2_5_vl" else None)
    assert m["adapters"][0]["onnx"] == "adapter-original.onnx"


def test_views_are_the_processors(explained):
    """Same grid as the processor for every size; equal pixels where smart_resize keeps the size or enlarges a
    side (the engine enlarges with Pillow's own algorithm), close where libvips shrinks both sides."""
    _, _, _, maps = explained
    worst = {}
    for (w, h), (img, tm, saved) in maps.items():
        hf = processor()(images=[Image.open(img).convert("RGB")], return_tensors="pt")
        pv, thw = processor_patches(saved["pixel_values.image"])
        rh, rw = smart_resize(h, w, 28, MIN_PIXELS, MAX_PIXELS)
        assert saved["pixel_values.image"].shape == (3, rh, rw)
        assert pv.shape == hf["pixel_values"].shape and thw.tolist() == hf["image_grid_thw"].tolist() == [[1, rh // 14, rw // 14]]
        diff = (pv - hf["pixel_values"]).abs()
        worst[(w, h)] = (round(diff.max().item(), 4), round(diff.mean().item(), 4))
        if (w, h) in IDENTITY or rw > w or rh > h:
            assert diff.max().item() < 1e-5, f"{w}×{h}: the engine's pixels differ from the processor's by {diff.max().item()}"
        else:   # bicubic shrink in libvips vs PIL, normalised units (1/255 ≈ 0.015); measured max ≤ 0.27, mean ≤ 0.008
            assert diff.mean().item() < 0.05 and diff.max().item() < 0.6, f"{w}×{h}: max {diff.max().item()}, mean {diff.mean().item()}"
    print("pixel |Δ| (max, mean) per size:", worst)


def test_tokens_are_get_image_features_and_top_k_is_brute_force(explained):
    """At every size (one dynamic-shape export), the engine's tokens equal the model's own features on the
    engine's pixels, in the model's order; every top-k word is the brute-force nearest."""
    _, model, _, maps = explained
    table = model.get_input_embeddings().weight.detach().numpy()
    worst = {}
    for (w, h), (_, tm, saved) in maps.items():
        pv, thw = processor_patches(saved["pixel_values.image"])
        with torch.no_grad():
            ref = model.get_image_features(pv, thw)[0].numpy()
        n = int(thw[0].prod()) // 4
        assert saved["visual_tokens"].shape == ref.shape == (n, H)
        worst[(w, h)] = float(np.abs(saved["visual_tokens"] - ref).max())
        assert worst[(w, h)] < 1e-4, f"{w}×{h}: max |Δ| {worst[(w, h)]}"
        assert tm["views"][0]["grid"] == {"rows": int(thw[0, 1]) // 2, "cols": int(thw[0, 2]) // 2}
        assert brute_force_check(tm, saved["visual_tokens"], table, LLAMA_TOKENIZER / "tokenizer.json") == n
    print("token max |Δ| per size:", worst)


def test_boxes_tile_the_image(explained):
    _, _, _, maps = explained
    for (w, h), (_, tm, _) in maps.items():
        assert tm["views"][0]["rect"] == {"x": 0, "y": 0, "w": w, "h": h}
        boxes_tile(tm, 0)
        rh, rw = smart_resize(h, w, 28, MIN_PIXELS, MAX_PIXELS)
        b = tm["patches"][0]["box"]
        assert abs(b["w"] - 28 * w / rw) < 1e-9 and abs(b["h"] - 28 * h / rh) < 1e-9


@pytest.mark.parametrize("model_type", ["qwen2_vl", "qwen2_5_vl"])
def test_a_changed_region_changes_exactly_the_tokens_over_it(tmp_path, model_type):
    """--layer 0: the merger reads the patch embeddings, so a token depends only on its own 2 × 2 patches. On an
    unresized 112×84 image, inverting a 14 px patch-aligned region changes exactly the tokens whose boxes overlap it."""
    make_pack(tmp_path, model_type, "--layer", "0")
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (84, 112, 3))
    b = a.copy()
    b[14:42, 42:56] = 255 - b[14:42, 42:56]
    ia, ib = save_png(a, tmp_path / "a.png"), save_png(b, tmp_path / "b.png")
    tm, sa = explain(ia, tmp_path / "pack", tmp_path / "tok")
    _, sb = explain(ib, tmp_path / "pack", tmp_path / "tok")
    changed = {i for i in range(len(tm["patches"])) if np.abs(sa["visual_tokens"][i] - sb["visual_tokens"][i]).max() > 1e-6}
    over = {i for i, p in enumerate(tm["patches"]) if p["box"]["x"] < 56 and p["box"]["x"] + p["box"]["w"] > 42
            and p["box"]["y"] < 42 and p["box"]["y"] + p["box"]["h"] > 14}
    assert len(over) == 2 and changed == over, f"changed {sorted(changed)}, over the region {sorted(over)}"


def run_cli(image, pack):
    return subprocess.run(["node", str(CLI), "explain", str(image), "--pack", str(pack), "--device", "cpu"],
                          capture_output=True, text=True, timeout=300)


def test_an_aspect_ratio_over_200_is_refused_with_the_limit(explained, tmp_path):
    _, _, d, _ = explained
    with pytest.raises(ValueError, match="200"):   # the processor's own refusal
        smart_resize(2, 402, 28, MIN_PIXELS, MAX_PIXELS)
    img = save_png(np.zeros((2, 402, 3)), tmp_path / "strip.png")
    r = run_cli(img, d / "pack")
    assert r.returncode != 0 and "200:1" in r.stderr and "201.0:1" in r.stderr and "Traceback" not in r.stderr, r.stderr[-1500:]


def test_processor_settings_the_family_does_not_understand_are_refused(explained, tmp_path):
    _, _, d, maps = explained
    img = next(iter(maps.values()))[0]
    for change, words in ((lambda c: c.update(size={"height": 28, "width": 28}, min_pixels=None, max_pixels=None), '"size" must hold'),
                          (lambda c: c.update(patch_size=16), "differs from the exported tower's 14"),
                          (lambda c: c.update(min_pixels=MAX_PIXELS * 2), "larger than max_pixels")):
        pack = tmp_path / f"pack{len(words)}"
        shutil.copytree(d / "pack", pack)
        cfg = json.loads((pack / "preprocessor_config.json").read_text())
        change(cfg)
        cfg = {k: v for k, v in cfg.items() if v is not None}
        (pack / "preprocessor_config.json").write_text(json.dumps(cfg))
        r = run_cli(img, pack)
        assert r.returncode != 0 and words in r.stderr and "Traceback" not in r.stderr, r.stderr[-1500:]


def test_pack_init_refuses_a_processor_that_does_not_fit_the_tower(explained, tmp_path):
    _, _, d, _ = explained
    ckpt = tmp_path / "ckpt"
    shutil.copytree(d / "ckpt", ckpt)
    cfg = json.loads((ckpt / "preprocessor_config.json").read_text())
    cfg["merge_size"] = 4
    (ckpt / "preprocessor_config.json").write_text(json.dumps(cfg))
    r = pack_init(ckpt, tmp_path / "pack")
    assert r.returncode == 4 and "mergeSize 4 does not match the vision tower's 2" in r.stdout and "Traceback" not in r.stdout, r.stdout[-1500:]
    assert not (tmp_path / "pack").exists()
