"""PaliGemma and Gemma 3 through `pack init`: tiny random-weight models built with transformers' own classes;
the engine's tokens against get_image_features, top-k against a brute force, boxes and locality (Gemma 3 pools
2 × 2 patches into one token here, so a changed patch changes exactly its pooled token)."""
import numpy as np
import pytest
import torch
from PIL import Image
from transformers import (Gemma3Config, Gemma3ForConditionalGeneration, Gemma3TextConfig, GemmaConfig,
                          PaliGemmaConfig, PaliGemmaForConditionalGeneration, SiglipImageProcessor, SiglipVisionConfig)

from hfpack_helpers import LLAMA_TOKENIZER, as_tokens, boxes_tile, brute_force_check, explain, pack_init, save_checkpoint, save_png

H = 64


def siglip(layers=2):
    return SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=layers, num_attention_heads=4,
                              image_size=32, patch_size=4)


def paligemma(layers=2):
    torch.manual_seed(0)
    text = GemmaConfig(vocab_size=32064, hidden_size=H, intermediate_size=128, num_hidden_layers=1, num_attention_heads=4,
                       num_key_value_heads=1, head_dim=16)
    cfg = PaliGemmaConfig(vision_config=siglip(layers), text_config=text, projection_dim=H, image_token_index=32000)
    cfg.vision_config.projection_dim = H
    return PaliGemmaForConditionalGeneration(cfg).eval()


def gemma3(layers=2):
    torch.manual_seed(0)
    text = Gemma3TextConfig(vocab_size=32064, hidden_size=H, intermediate_size=128, num_hidden_layers=1, num_attention_heads=4,
                            num_key_value_heads=1, head_dim=16)
    cfg = Gemma3Config(vision_config=siglip(layers), text_config=text, mm_tokens_per_image=16, image_token_index=32000)
    m = Gemma3ForConditionalGeneration(cfg).eval()
    with torch.no_grad():   # zero-initialised in the constructor: give the projection weights to test
        m.model.multi_modal_projector.mm_input_projection_weight.normal_()
    return m


def processor():
    return SiglipImageProcessor(size={"height": 32, "width": 32}, image_mean=[0.5] * 3, image_std=[0.5] * 3)


@pytest.mark.parametrize("make,family,tokens", [(paligemma, "paligemma", 64), (gemma3, "gemma3", 16)])
def test_tokens_match_the_model(tmp_path, make, family, tokens):
    model = make()
    ckpt = save_checkpoint(model, processor(), tmp_path / "ckpt")
    r = pack_init(ckpt, tmp_path / "pack")
    assert r.returncode == 0, r.stderr[-3000:] + r.stdout[-1000:]
    img = save_png(np.random.default_rng(3).integers(0, 256, (32, 32, 3)), tmp_path / "sq.png")
    tm, saved = explain(img, tmp_path / "pack", tmp_path / "tokens")
    pv_hf = processor()(images=[Image.open(img).convert("RGB")], return_tensors="pt")["pixel_values"]
    assert np.abs(saved["pixel_values.image"] - pv_hf[0].numpy()).max() < 1e-5
    with torch.no_grad():
        ref = as_tokens(model.get_image_features(pixel_values=pv_hf), H)
    assert ref.shape == (tokens, H) and np.abs(saved["visual_tokens"] - ref).max() < 1e-4
    table = model.get_input_embeddings().weight.detach().numpy()
    assert brute_force_check(tm, saved["visual_tokens"], table, LLAMA_TOKENIZER / "tokenizer.json") == tokens
    assert tm["family"] == family
    boxes_tile(tm, 0)


@pytest.mark.parametrize("make", [paligemma, gemma3])
def test_a_changed_region_changes_exactly_the_tokens_over_it(tmp_path, make):
    """Tower with 0 layers: only per-patch operations (and Gemma 3's fixed 2 × 2 pooling) follow the pixels."""
    model = make(layers=0)
    ckpt = save_checkpoint(model, processor(), tmp_path / "ckpt")
    assert pack_init(ckpt, tmp_path / "pack").returncode == 0
    rng = np.random.default_rng(4)
    # A 64 × 48 image squashed to 32 × 32 (2 × 1.5 px per model pixel): change a region aligned to whole model
    # patches, with a margin of one patch for the resampling kernel's reach.
    a = rng.integers(0, 256, (48, 64, 3))
    b = a.copy()
    b[18:30, 24:40] = 255 - b[18:30, 24:40]
    ta, sa = explain(save_png(a, tmp_path / "a.png"), tmp_path / "pack", tmp_path / "ta")
    tb, sb = explain(save_png(b, tmp_path / "b.png"), tmp_path / "pack", tmp_path / "tb")
    changed = {i for i in range(len(ta["patches"])) if np.abs(sa["visual_tokens"][i] - sb["visual_tokens"][i]).max() > 1e-6}
    region = (24, 18, 40, 30)

    def overlaps(bx, margin):
        return bx["x"] < region[2] + margin[0] and bx["x"] + bx["w"] > region[0] - margin[0] and \
            bx["y"] < region[3] + margin[1] and bx["y"] + bx["h"] > region[1] - margin[1]
    inner = {i for i, p in enumerate(ta["patches"]) if overlaps(p["box"], (0, 0))}
    kernel = 2 * 2, 2 * 1.5   # bicubic support: 2 model pixels each side, in source pixels
    outer = {i for i, p in enumerate(ta["patches"]) if overlaps(p["box"], kernel)}
    assert inner and inner <= changed <= outer, (sorted(inner), sorted(changed), sorted(outer))


def test_pan_and_scan_is_refused_clearly(tmp_path):
    model = gemma3()
    proc = processor()
    ckpt = save_checkpoint(model, proc, tmp_path / "ckpt")
    assert pack_init(ckpt, tmp_path / "pack").returncode == 0
    import json
    pp = tmp_path / "pack" / "preprocessor_config.json"
    j = json.loads(pp.read_text())
    j["do_pan_and_scan"] = True
    pp.write_text(json.dumps(j))
    import subprocess
    from hfpack_helpers import CLI
    img = save_png(np.zeros((32, 32, 3)), tmp_path / "z.png")
    r = subprocess.run(["node", str(CLI), "explain", str(img), "--pack", str(tmp_path / "pack"), "--device", "cpu"], capture_output=True, text=True)
    assert r.returncode != 0 and "do_pan_and_scan" in r.stderr and "Traceback" not in r.stderr
