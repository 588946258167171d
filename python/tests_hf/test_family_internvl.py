"""InternVL through `pack init`: a tiny random-weight InternVLForConditionalGeneration built with transformers' own
classes, exported, explained by the engine, and checked against the model's own get_image_features (on the
engine's pixels: tiles row by row, then the thumbnail, as GotOcr2ImageProcessor orders them), the processor's
own views, and a brute force over get_input_embeddings()."""
import json
import shutil
import subprocess

import numpy as np
import pytest
import torch
from PIL import Image
from transformers import InternVLConfig, InternVLForConditionalGeneration, LlamaConfig
from transformers.models.got_ocr2.image_processing_got_ocr2 import GotOcr2ImageProcessor
from transformers.models.internvl.configuration_internvl import InternVLVisionConfig

from hfpack_helpers import CLI, LLAMA_TOKENIZER, as_tokens, boxes_tile, brute_force_check, events, explain, pack_init, save_checkpoint, save_png
from test_family_idefics3 import smooth

TILE, PATCH, H = 112, 14, 64
TOKENS_PER_VIEW = (TILE // PATCH // 2) ** 2   # 16


def tiny(layers=2):
    torch.manual_seed(0)
    vision = InternVLVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=layers, num_attention_heads=4,
                                  image_size=[TILE, TILE], patch_size=[PATCH, PATCH])
    text = LlamaConfig(vocab_size=32064, hidden_size=H, intermediate_size=128, num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=4)
    cfg = InternVLConfig(vision_config=vision.to_dict(), text_config=text.to_dict(), image_token_id=32001, image_seq_length=TOKENS_PER_VIEW)
    model = InternVLForConditionalGeneration(cfg).eval()
    with torch.no_grad():   # the model initialises position embeddings and the CLS token to 0; real ones are not
        model.model.vision_tower.embeddings.position_embeddings.normal_()
        model.model.vision_tower.embeddings.cls_token.normal_()
    return model


def make_pack(d, layers=2, crop=True, max_patches=6):
    model = tiny(layers)
    proc = GotOcr2ImageProcessor(size={"height": TILE, "width": TILE}, crop_to_patches=crop, min_patches=1, max_patches=max_patches)
    ckpt = save_checkpoint(model, proc, d / "ckpt")
    r = pack_init(ckpt, d / "pack")
    assert r.returncode == 0, r.stderr[-3000:] + r.stdout[-2000:]
    return model, proc


@pytest.fixture(scope="module")
def internvl(tmp_path_factory):
    d = tmp_path_factory.mktemp("internvl")
    model, proc = make_pack(d)
    return model, proc, d


def check_against_model(model, proc, tm, saved, img):
    pv_hf = proc(images=[Image.open(img).convert("RGB")], return_tensors="pt")["pixel_values"]
    pv = torch.from_numpy(np.stack([saved[f"pixel_values.{v['id']}"] for v in tm["views"]]))
    assert pv.shape == pv_hf.shape, f"engine views {tuple(pv.shape)} vs the processor's {tuple(pv_hf.shape)}"
    with torch.no_grad():
        ref = as_tokens(model.get_image_features(pixel_values=pv), H)
    assert saved["visual_tokens"].shape == ref.shape == (pv.shape[0] * TOKENS_PER_VIEW, H)
    assert np.abs(saved["visual_tokens"] - ref).max() < 1e-4
    table = model.get_input_embeddings().weight.detach().numpy()
    assert brute_force_check(tm, saved["visual_tokens"], table, LLAMA_TOKENIZER / "tokenizer.json") == ref.shape[0]
    for v in range(len(tm["views"])):
        boxes_tile(tm, v)
    return (pv - pv_hf).abs()


def test_wide_image_two_tiles_then_thumbnail(internvl):
    model, proc, d = internvl
    # 224×112: the 2×1 canvas is the image itself, so the tiles are crops equal to the processor's; the
    # thumbnail is a bicubic 2:1 shrink (libvips vs PIL).
    img = save_png(np.random.default_rng(1).integers(0, 256, (112, 224, 3)), d / "wide.png")
    tm, saved = explain(img, d / "pack", d / "wide")
    assert tm["family"] == "internvl"
    assert [v["id"] for v in tm["views"]] == ["tile-0-0", "tile-0-1", "thumbnail"]
    diff = check_against_model(model, proc, tm, saved, img)
    assert diff[:2].max().item() < 1e-5
    print(f"thumbnail: pixel |Δ| max {diff[2].max().item():.3f}, mean {diff[2].mean().item():.4f}")
    assert diff[2].mean().item() < 0.02
    assert [v["grid"] for v in tm["views"]] == [{"rows": 4, "cols": 4}] * 3
    assert tm["views"][1]["rect"] == {"x": 112, "y": 0, "w": 112, "h": 112}


# (width, height, expected columns × rows, bound on |Δ| of the tiles' pixels, of the last view's mean |Δ|).
# Enlargements are Pillow's own algorithm in the engine (bit-exact); shrinks are libvips (≈ 1/255 off PIL).
@pytest.mark.parametrize("case", [(300, 200, (3, 2), 1e-5, 0.01), (50, 400, (1, 6), 1e-5, 1e-5), (9, 5, (2, 1), 1e-5, 1e-5),
                                  (120, 100, (1, 1), 1e-5, 1e-5), (300, 250, (2, 2), 0.05, 0.01)])
def test_tile_grids_follow_the_processor(internvl, case):
    """Aspect-ratio choice incl. its tie-break (120×100 and 300×250 tie between 1×1 and 2×2; only the larger image
    is over half of 2×2 tiles' area), extreme and tiny images, and one tile (no thumbnail then)."""
    model, proc, d = internvl
    w, h, (cols, rows), tiles_bound, last_bound = case
    img = save_png(smooth(w, h), d / f"img{w}x{h}.png")
    tm, saved = explain(img, d / "pack", d / f"t{w}x{h}")
    diff = check_against_model(model, proc, tm, saved, img)
    tiles = [v for v in tm["views"] if v["id"].startswith("tile")]
    if cols * rows == 1:
        assert [v["id"] for v in tm["views"]] == ["image"]
    else:
        assert len(tiles) == cols * rows and tiles[-1]["id"] == f"tile-{rows - 1}-{cols - 1}" and tm["views"][-1]["id"] == "thumbnail"
        assert diff[:-1].max().item() < tiles_bound
    print(f"{w}x{h}: pixel |Δ| max {diff.max().item():.3f}, mean {diff.mean().item():.4f}")
    assert diff[-1].mean().item() < last_bound


def test_locality_changed_tokens_are_those_whose_boxes_overlap(tmp_path):
    """0 encoder layers: a token depends on its 2 × 2 patches only. A change inside one token cell of tile 0
    changes exactly that token there, the thumbnail's tokens near it (bicubic 2:1 shrink: 4 px of reach
    horizontally, 2 px vertically at 1:1), and nothing else."""
    make_pack(tmp_path, layers=0)
    base = np.random.default_rng(3).integers(0, 256, (112, 224, 3))
    changed = base.copy()
    x0, y0, x1, y1 = 28, 28, 56, 56
    changed[y0:y1, x0:x1] = 255 - changed[y0:y1, x0:x1]
    tm, a = explain(save_png(base, tmp_path / "a.png"), tmp_path / "pack", tmp_path / "ta")
    _, b = explain(save_png(changed, tmp_path / "b.png"), tmp_path / "pack", tmp_path / "tb")
    moved = set(np.nonzero(np.abs(a["visual_tokens"] - b["visual_tokens"]).max(axis=1) > 1e-6)[0].tolist())

    def overlapping(view, mx=0.0, my=0.0):
        return {i for i, p in enumerate(tm["patches"]) if p["tile"] == view and p["box"]["x"] < x1 + mx and p["box"]["x"] + p["box"]["w"] > x0 - mx
                and p["box"]["y"] < y1 + my and p["box"]["y"] + p["box"]["h"] > y0 - my}
    tiles = {i for i in moved if tm["patches"][i]["tile"] < 2}
    assert tiles == overlapping(0) | overlapping(1) == {5}
    thumb = moved - tiles
    assert overlapping(2) <= thumb <= overlapping(2, 4, 2), f"thumbnail tokens {sorted(thumb)}"


def test_the_processors_call_defaults_win_over_the_config(tmp_path):
    """The -hf checkpoints' preprocessor_config.json says crop_to_patches: false, but InternVLProcessor passes
    crop_to_patches=True on every call (its _defaults override the image processor's settings), so the model sees
    tiles; the pack records that. Without the recorded default, the config's single squashed view."""
    from transformers.models.internvl.processing_internvl import InternVLProcessorKwargs
    assert InternVLProcessorKwargs._defaults["images_kwargs"]["crop_to_patches"] is True
    model, proc = make_pack(tmp_path, crop=False)
    manifest = tmp_path / "pack" / "manifest.json"
    m = json.loads(manifest.read_text())
    assert m["imageEncoder"]["geometry"]["processorCallDefaults"] == {"crop_to_patches": True}
    img = save_png(smooth(150, 60), tmp_path / "wide.png")
    tm, saved = explain(img, tmp_path / "pack", tmp_path / "t")
    assert [v["id"] for v in tm["views"]] == ["tile-0-0", "tile-0-1", "thumbnail"]
    check_against_model(model, lambda **kw: proc(crop_to_patches=True, **kw), tm, saved, img)
    m["imageEncoder"]["geometry"]["processorCallDefaults"] = {}
    manifest.write_text(json.dumps(m))
    tm, saved = explain(img, tmp_path / "pack", tmp_path / "t2")
    assert [v["id"] for v in tm["views"]] == ["image"] and tm["grid"] == {"rows": 4, "cols": 4}
    check_against_model(model, proc, tm, saved, img)


def test_processor_settings_it_does_not_understand(internvl, tmp_path):
    _, _, d = internvl
    pack = tmp_path / "pack"
    shutil.copytree(d / "pack", pack)
    img = save_png(np.zeros((20, 20, 3)), tmp_path / "x.png")
    pp = json.loads((pack / "preprocessor_config.json").read_text())
    for bad, needle in [({"size": {"shortest_edge": 112}}, '"size" must be a square'),
                        ({"size": {"height": 112, "width": 224}}, '"size" must be a square'),
                        ({"min_patches": 8, "max_patches": 4}, "min_patches 8 is more than max_patches 4"),
                        ({"max_patches": "12"}, "max_patches must be a whole number"),
                        ({"size": {"height": 224, "width": 224}}, "exported for 112 px tiles")]:
        (pack / "preprocessor_config.json").write_text(json.dumps({**pp, **bad}))
        r = subprocess.run(["node", str(CLI), "explain", str(img), "--pack", str(pack), "--device", "cpu"], capture_output=True, text=True, timeout=300)
        assert r.returncode != 0 and needle in r.stderr, (bad, r.stderr[-800:])
        assert "    at " not in r.stderr, "no stack trace"


def test_other_feature_layers_are_refused_with_a_reason(internvl, tmp_path):
    _, _, d = internvl
    r = pack_init(d / "ckpt", tmp_path / "pack", "--layer", "-2")
    assert r.returncode == 3
    ev = events(r)[-1]
    assert ev["event"] == "error" and "reads only the last layer" in ev["message"] and "Traceback" not in r.stdout
    assert not (tmp_path / "pack").exists()
