"""Idefics3 and SmolVLM through `pack init`: tiny random-weight Idefics3ForConditionalGeneration and
SmolVLMForConditionalGeneration built with transformers' own classes, exported, explained by the engine, and
checked against the models' own get_image_features (on the engine's pixels, tiles then the global image, as the
processor orders them), the processor's own views, and a brute force over get_input_embeddings()."""
import json
import subprocess

import numpy as np
import pytest
import torch
from PIL import Image
from transformers import Idefics3Config, Idefics3ForConditionalGeneration, LlamaConfig, SmolVLMConfig, SmolVLMForConditionalGeneration
from transformers.models.idefics3.configuration_idefics3 import Idefics3VisionConfig
from transformers.models.idefics3.image_processing_idefics3 import Idefics3ImageProcessor
from transformers.models.smolvlm.configuration_smolvlm import SmolVLMVisionConfig
from transformers.models.smolvlm.image_processing_smolvlm import SmolVLMImageProcessor

from hfpack_helpers import CLI, LLAMA_TOKENIZER, as_tokens, boxes_tile, brute_force_check, events, explain, pack_init, save_checkpoint, save_png

TILE, PATCH, SCALE, H = 112, 14, 2, 64
TOKENS_PER_VIEW = (TILE // PATCH // SCALE) ** 2   # 16


def text_config():
    return LlamaConfig(vocab_size=32064, hidden_size=H, intermediate_size=128, num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=4)


def tiny(kind="idefics3", layers=2, tile=TILE, patch=PATCH, scale=SCALE):
    torch.manual_seed(0)
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=layers, num_attention_heads=4, image_size=tile, patch_size=patch)
    if kind == "smolvlm":
        cfg = SmolVLMConfig(vision_config=SmolVLMVisionConfig(**vision).to_dict(), text_config=text_config().to_dict(), scale_factor=scale, image_token_id=32001)
        return SmolVLMForConditionalGeneration(cfg).eval()
    cfg = Idefics3Config(vision_config=Idefics3VisionConfig(**vision).to_dict(), text_config=text_config().to_dict(), scale_factor=scale, image_token_id=32001)
    return Idefics3ForConditionalGeneration(cfg).eval()


def smooth(w, h, seed=0):
    """A band-limited test image: resamplers agree on it far better than on noise."""
    y, x = np.mgrid[0:h, 0:w].astype(float)
    ch = [127.5 + 120 * np.sin(x / (5 + 3 * c) + seed + c) * np.cos(y / (6 + 2 * c)) for c in range(3)]
    return np.clip(np.stack(ch, -1), 0, 255)


def make_pack(d, kind="idefics3", layers=2, split=True, tile=TILE, patch=PATCH, scale=SCALE):
    model = tiny(kind, layers, tile, patch, scale)
    cls = SmolVLMImageProcessor if kind == "smolvlm" else Idefics3ImageProcessor
    proc = cls(size={"longest_edge": 2 * tile}, max_image_size={"longest_edge": tile}, do_image_splitting=split)
    ckpt = save_checkpoint(model, proc, d / "ckpt")
    r = pack_init(ckpt, d / "pack")
    assert r.returncode == 0, r.stderr[-3000:] + r.stdout[-2000:]
    return model, proc


@pytest.fixture(scope="module")
def idefics3(tmp_path_factory):
    d = tmp_path_factory.mktemp("idefics3")
    model, proc = make_pack(d)
    return model, proc, d


def engine_pixels(tm, saved):
    """The engine's views in its order, as the model's [1, views, 3, T, T] input."""
    return torch.from_numpy(np.stack([saved[f"pixel_values.{v['id']}"] for v in tm["views"]])).unsqueeze(0)


def check_against_model(model, proc, tm, saved, img, per_view=TOKENS_PER_VIEW):
    """Views: the processor's count, shapes and order; tokens: the model's own function on the engine's pixels."""
    hf = proc(images=[Image.open(img).convert("RGB")], return_tensors="pt")
    pv_hf = hf["pixel_values"]
    pv = engine_pixels(tm, saved)
    assert pv.shape == pv_hf.shape, f"engine views {tuple(pv.shape)} vs the processor's {tuple(pv_hf.shape)}"
    assert bool(hf["pixel_attention_mask"].all()), "every view is a full tile: no padding"
    with torch.no_grad():
        ref = as_tokens(model.get_image_features(pixel_values=pv), H)
    assert saved["visual_tokens"].shape == ref.shape == (pv.shape[1] * per_view, H)
    assert np.abs(saved["visual_tokens"] - ref).max() < 1e-4
    table = model.get_input_embeddings().weight.detach().numpy()
    assert brute_force_check(tm, saved["visual_tokens"], table, LLAMA_TOKENIZER / "tokenizer.json") == ref.shape[0]
    for v in range(len(tm["views"])):
        boxes_tile(tm, v)
    return (pv - pv_hf).abs()


def test_wide_image_two_tiles_then_global(idefics3):
    model, proc, d = idefics3
    # 224×112 is already at size.longest_edge and a multiple of the tile: both resizes are identities, the tiles
    # are plain crops (equal to the processor's), only the global image is resampled (Lanczos, libvips vs PIL).
    img = save_png(np.random.default_rng(1).integers(0, 256, (112, 224, 3)), d / "wide.png")
    tm, saved = explain(img, d / "pack", d / "wide")
    assert tm["family"] == "idefics3"
    assert [v["id"] for v in tm["views"]] == ["tile-0-0", "tile-0-1", "global"]
    diff = check_against_model(model, proc, tm, saved, img)
    assert diff[0, :2].max().item() < 1e-5, "tiles are crops: the engine's pixels equal the processor's"
    # measured: max 0.063, mean 0.0034 (normalised units, std 0.5: ≤ 4 of 255 levels, mostly 0–1)
    assert diff[0, 2].max().item() < 0.1 and diff[0, 2].mean().item() < 0.01
    assert [v["grid"] for v in tm["views"]] == [{"rows": 4, "cols": 4}] * 3
    assert tm["views"][0]["rect"] == {"x": 0, "y": 0, "w": 112, "h": 112}
    assert tm["views"][1]["rect"] == {"x": 112, "y": 0, "w": 112, "h": 112}
    assert tm["views"][2]["rect"] == {"x": 0, "y": 0, "w": 224, "h": 112}
    assert [p["tile"] for p in tm["patches"]] == [0] * 16 + [1] * 16 + [2] * 16


# (width, height, bound on |Δ| of the tiles' pixels). Enlargements are Pillow's own algorithm in the engine
# (bit-exact), shrinks are libvips (≈ 1/255 off PIL): 100×180 and 8×5 only enlarge before the tiles are cut,
# 300×40 shrinks first. The global image is always a shrink. (A 7×3 image cannot be a reference: the processor
# takes its (3, 7, 3) array for channels-first.)
@pytest.mark.parametrize("size", [(100, 180, 1e-5), (8, 5, 1e-5), (300, 40, 0.05)])
def test_resized_images_have_the_processors_views(idefics3, size):
    """Upscaled, tiny and very wide images: the same tile grid as the processor, tokens equal to the model's."""
    model, proc, d = idefics3
    w, h, bound = size
    img = save_png(smooth(w, h), d / f"img{w}x{h}.png")
    tm, saved = explain(img, d / "pack", d / f"t{w}x{h}")
    diff = check_against_model(model, proc, tm, saved, img)
    print(f"{w}x{h}: pixel |Δ| max {diff.max().item():.3f}, mean {diff.mean().item():.4f}")
    assert diff[0, :-1].max().item() < bound
    assert diff[0, -1].mean().item() < 0.01


def test_locality_changed_tokens_are_those_whose_boxes_overlap(tmp_path):
    """0 encoder layers: each token depends on its 2 × 2 patches only (post_layernorm, pixel shuffle and the
    projection act per token). A change inside one 28-px token cell of tile 0 changes exactly that tile token,
    the global image's tokens near it (the Lanczos-3 kernel of the 2:1 horizontal downscale reaches 6 px, the
    vertical 1:1 pass 3 px), and nothing else."""
    make_pack(tmp_path, layers=0)
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (112, 224, 3))
    changed = base.copy()
    x0, y0, x1, y1 = 28, 28, 56, 56
    changed[y0:y1, x0:x1] = 255 - changed[y0:y1, x0:x1]
    tm_a, a = explain(save_png(base, tmp_path / "a.png"), tmp_path / "pack", tmp_path / "ta")
    tm_b, b = explain(save_png(changed, tmp_path / "b.png"), tmp_path / "pack", tmp_path / "tb")
    moved = set(np.nonzero(np.abs(a["visual_tokens"] - b["visual_tokens"]).max(axis=1) > 1e-6)[0].tolist())

    def overlapping(view, mx=0.0, my=0.0):
        out = set()
        for i, p in enumerate(tm_a["patches"]):
            bx = p["box"]
            if p["tile"] == view and bx["x"] < x1 + mx and bx["x"] + bx["w"] > x0 - mx and bx["y"] < y1 + my and bx["y"] + bx["h"] > y0 - my:
                out.add(i)
        return out
    tiles = {i for i in moved if tm_a["patches"][i]["tile"] < 2}
    assert tiles == overlapping(0) | overlapping(1) == {5}, "tile 0's token (row 1, col 1) and nothing in tile 1"
    glob = moved - tiles
    assert overlapping(2) <= glob <= overlapping(2, 6, 3), f"global tokens {sorted(glob)}"


def test_smolvlm_without_splitting_is_one_squashed_view(tmp_path):
    model, proc = make_pack(tmp_path, kind="smolvlm", split=False)
    m = json.loads((tmp_path / "pack" / "manifest.json").read_text())
    assert m["model"]["family"] == "idefics3" and m["imageEncoder"]["geometry"]["modelType"] == "smolvlm"
    img = save_png(np.random.default_rng(4).integers(0, 256, (60, 150, 3)), tmp_path / "wide.png")
    tm, saved = explain(img, tmp_path / "pack", tmp_path / "t")
    assert [v["id"] for v in tm["views"]] == ["image"] and tm["grid"] == {"rows": 4, "cols": 4}
    check_against_model(model, proc, tm, saved, img)


def test_smolvlm_split_tiles(tmp_path):
    model, proc = make_pack(tmp_path, kind="smolvlm")
    img = save_png(np.random.default_rng(5).integers(0, 256, (224, 112, 3)), tmp_path / "tall.png")
    tm, saved = explain(img, tmp_path / "pack", tmp_path / "t")
    assert [v["id"] for v in tm["views"]] == ["tile-0-0", "tile-1-0", "global"]
    diff = check_against_model(model, proc, tm, saved, img)
    assert diff[0, :2].max().item() < 1e-5


def test_smolvlm_geometry_of_the_real_checkpoints(tmp_path):
    """SmolVLM-256M/500M's geometry: 512-px tiles of 16-px patches, pixel shuffle by 4 (64 tokens per view)."""
    model, proc = make_pack(tmp_path, kind="smolvlm", tile=512, patch=16, scale=4)
    img = save_png(smooth(1024, 512), tmp_path / "wide.png")
    tm, saved = explain(img, tmp_path / "pack", tmp_path / "t")
    assert [v["id"] for v in tm["views"]] == ["tile-0-0", "tile-0-1", "global"]
    assert [v["grid"] for v in tm["views"]] == [{"rows": 8, "cols": 8}] * 3
    diff = check_against_model(model, proc, tm, saved, img, per_view=64)
    assert diff[0, :2].max().item() < 1e-5


def run_explain(img, pack):
    return subprocess.run(["node", str(CLI), "explain", str(img), "--pack", str(pack), "--device", "cpu"], capture_output=True, text=True, timeout=300)


def test_processor_settings_it_does_not_understand(idefics3, tmp_path):
    _, _, d = idefics3
    import shutil
    pack = tmp_path / "pack"
    shutil.copytree(d / "pack", pack)
    img = save_png(np.zeros((20, 20, 3)), tmp_path / "x.png")
    pp = json.loads((pack / "preprocessor_config.json").read_text())
    for bad, needle in [({"max_image_size": {"height": 112, "width": 112}}, "max_image_size"),
                        ({"size": {"shortest_edge": 224}}, '"size"'),
                        ({"max_image_size": {"longest_edge": 224}}, "exported for 112 px tiles"),
                        ({"do_image_splitting": "yes"}, "do_image_splitting")]:
        (pack / "preprocessor_config.json").write_text(json.dumps({**pp, **bad}))
        r = run_explain(img, pack)
        assert r.returncode != 0 and needle in r.stderr, (bad, r.stderr[-800:])
        assert "    at " not in r.stderr, "no stack trace"


def test_layer_option_is_refused_with_a_reason(idefics3, tmp_path):
    _, _, d = idefics3
    r = pack_init(d / "ckpt", tmp_path / "pack", "--layer", "-2")
    assert r.returncode == 3
    ev = events(r)[-1]
    assert ev["event"] == "error" and "last hidden state" in ev["message"] and "Traceback" not in r.stdout
    assert not (tmp_path / "pack").exists()
