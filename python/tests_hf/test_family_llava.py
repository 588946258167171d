"""LLaVA-1.5 through `pack init`: a tiny random-weight LlavaForConditionalGeneration built with transformers'
own classes, exported, explained by the engine, and checked against the model's own get_image_features and
a brute force over get_input_embeddings()."""
import json

import numpy as np
import pytest
import torch
from transformers import CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration
from transformers.models.llava.image_processing_llava import LlavaImageProcessor

from hfpack_helpers import LLAMA_TOKENIZER, as_tokens, boxes_tile, brute_force_check, events, explain, pack_init, save_checkpoint, save_png

MEAN, STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]


def tiny_llava(bias=True, layer=-2, select="default"):
    torch.manual_seed(0)
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
                              image_size=56, patch_size=14, projection_dim=32)
    text = LlamaConfig(vocab_size=32064, hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                       num_attention_heads=4, num_key_value_heads=4)
    cfg = LlavaConfig(vision_config=vision, text_config=text, vision_feature_layer=layer,
                      vision_feature_select_strategy=select, image_token_index=32000, multimodal_projector_bias=bias)
    return LlavaForConditionalGeneration(cfg).eval()


@pytest.fixture(scope="module")
def llava(tmp_path_factory):
    d = tmp_path_factory.mktemp("llava")
    model = tiny_llava()
    proc = CLIPImageProcessor(size={"shortest_edge": 56}, crop_size={"height": 56, "width": 56}, image_mean=MEAN, image_std=STD)
    ckpt = save_checkpoint(model, proc, d / "ckpt")
    r = pack_init(ckpt, d / "pack")
    assert r.returncode == 0, r.stderr[-3000:] + r.stdout[-2000:]
    return model, proc, ckpt, d


def test_pack_references_the_table_in_place(llava):
    _, _, ckpt, d = llava
    m = json.loads((d / "pack" / "manifest.json").read_text())
    assert m["model"]["family"] == "llava"
    emb = m["llm"]["embeddings"]
    assert emb["root"] == "checkpoint" and (ckpt / emb["file"]).is_file()
    assert not any(p.name.startswith("model") for p in (d / "pack").iterdir()), "the pack must not copy checkpoint shards"
    assert m["adapters"][0]["safetensors"].endswith(".safetensors")


def test_tokens_match_get_image_features_and_brute_force(llava):
    model, proc, ckpt, d = llava
    rng = np.random.default_rng(1)
    img = save_png(rng.integers(0, 256, (56, 56, 3)), d / "square.png")
    tm, saved = explain(img, d / "pack", d / "tokens")
    pv_hf = proc(images=[__import__("PIL.Image").Image.open(img).convert("RGB")], return_tensors="pt")["pixel_values"]
    pv = torch.from_numpy(saved["pixel_values.image"]).unsqueeze(0)
    assert pv.shape == pv_hf.shape
    assert (pv - pv_hf).abs().max().item() < 1e-5, "the engine's view pixels differ from the image processor's"
    with torch.no_grad():
        ref = as_tokens(model.get_image_features(pixel_values=pv_hf), 64)
    assert saved["visual_tokens"].shape == ref.shape == (16, 64)
    assert np.abs(saved["visual_tokens"] - ref).max() < 1e-4
    table = model.get_input_embeddings().weight.detach().numpy()
    assert brute_force_check(tm, saved["visual_tokens"], table, LLAMA_TOKENIZER / "tokenizer.json") == 16
    assert tm["family"] == "llava" and tm["grid"] == {"rows": 4, "cols": 4}
    boxes_tile(tm, 0)


def test_pad_to_square_boxes_never_cover_padding(tmp_path):
    model = tiny_llava(bias=False)
    proc = LlavaImageProcessor(do_pad=True, size={"shortest_edge": 56}, crop_size={"height": 56, "width": 56}, image_mean=MEAN, image_std=STD)
    ckpt = save_checkpoint(model, proc, tmp_path / "ckpt")
    r = pack_init(ckpt, tmp_path / "pack")
    assert r.returncode == 0, r.stderr[-3000:]
    img = save_png(np.random.default_rng(2).integers(0, 256, (28, 56, 3)), tmp_path / "wide.png")
    tm, saved = explain(img, tmp_path / "pack", tmp_path / "tokens")
    from PIL import Image
    pv_hf = proc(images=[Image.open(img).convert("RGB")], return_tensors="pt")["pixel_values"]
    assert np.abs(saved["pixel_values.image"] - pv_hf[0].numpy()).max() < 1e-5
    with torch.no_grad():
        ref = as_tokens(model.get_image_features(pixel_values=pv_hf), 64)
    assert np.abs(saved["visual_tokens"] - ref).max() < 1e-4, "bias-free projector"
    kinds = [p["kind"] for p in tm["patches"]]
    assert kinds.count("padding") == 8 and kinds.count("patch") == 8   # top and bottom rows are padding
    for p in tm["patches"]:
        if p["kind"] == "patch":
            b = p["box"]
            assert b["y"] >= 0 and b["y"] + b["h"] <= 28 + 1e-6


def test_unsupported_architecture_lists_the_families(tmp_path):
    (tmp_path / "ck").mkdir()
    (tmp_path / "ck" / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (tmp_path / "ck" / "model.safetensors").write_bytes(b"")
    r = pack_init(tmp_path / "ck", tmp_path / "pack")
    assert r.returncode in (3, 4)
    ev = events(r)[-1]
    assert ev["event"] == "error" and "Traceback" not in r.stdout
    assert not (tmp_path / "pack").exists()


def test_missing_shards_only_matter_when_needed(llava, tmp_path):
    """A partial download (the LLM's other shards absent) exports; a missing shard that holds what the pack needs
    is named, with exit 4 and nothing written."""
    import shutil
    _, _, ckpt, _ = llava
    part = tmp_path / "partial"
    shutil.copytree(ckpt, part)
    wm = json.loads((part / "model.safetensors.index.json").read_text())["weight_map"]
    embed = next(f for k, f in wm.items() if k.endswith("embed_tokens.weight"))
    vision = {f for k, f in wm.items() if "vision_tower" in k or "multi_modal_projector" in k}
    unneeded = sorted(set(wm.values()) - vision - {embed})
    assert unneeded, "the tiny checkpoint should have LLM-only shards"
    for f in unneeded:
        (part / f).unlink()
    assert pack_init(part, tmp_path / "ok").returncode == 0
    (part / embed).unlink()
    r = pack_init(part, tmp_path / "bad")
    assert r.returncode == 4 and embed in events(r)[-1]["message"] and "Traceback" not in r.stdout
    assert not (tmp_path / "bad").exists()
