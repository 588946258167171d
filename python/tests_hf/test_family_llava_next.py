"""LLaVA-NeXT (anyres) through `pack init`: a tiny random-weight LlavaNextForConditionalGeneration built with
transformers' own classes (CLIP 32 px / patch 8 → 4×4 tokens a view, tiles of 32 px, pinpoints of the real
model's shape scaled by 32/336), exported, explained by the engine, and checked against the model's own
get_image_features (+ pack_image_features: base, unpadded tiles, image_newline) on the engine's own pixels,
the image processor's views, LlavaNextProcessor's token count and a brute force over get_input_embeddings()."""
import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image
from transformers import CLIPVisionConfig, LlamaConfig, LlavaNextConfig, LlavaNextForConditionalGeneration, LlavaNextProcessor, PreTrainedTokenizerFast
from transformers.image_processing_utils import get_patch_output_size, select_best_resolution
from transformers.image_utils import ChannelDimension
from transformers.models.llava_next.image_processing_llava_next import LlavaNextImageProcessor

from hfpack_helpers import LLAMA_TOKENIZER, as_tokens, boxes_tile, brute_force_check, pack_init, save_checkpoint, save_png

MEAN, STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]
TILE, PATCH, H = 32, 8, 64
PINPOINTS = [[32, 64], [64, 32], [64, 64], [96, 32], [32, 96]]
# (width, height): identity tiles (64²), wide and tall with padding but no resize of the canvas image
# (64×40, 40×64), resized both ways (50×90, 90×50, 70×70), tiny, extreme aspect ratios.
SIZES = [(64, 64), (64, 40), (40, 64), (50, 90), (90, 50), (70, 70), (5, 3), (300, 20), (20, 300), (300, 7), (7, 300)]
# LlavaNextImageProcessor mis-pads these two: their canvas image is 96×3 (3×96), which its pad() takes for
# channels-first (it infers the layout from the shape); the model and the token count still apply.
HF_MISPADS = {(300, 7), (7, 300)}


def tiny_llava_next(layer=-2):
    torch.manual_seed(0)
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
                              image_size=TILE, patch_size=PATCH, projection_dim=32)
    text = LlamaConfig(vocab_size=32064, hidden_size=H, intermediate_size=128, num_hidden_layers=1,
                       num_attention_heads=4, num_key_value_heads=4)
    cfg = LlavaNextConfig(vision_config=vision, text_config=text, vision_feature_layer=layer, image_grid_pinpoints=PINPOINTS,
                          vision_feature_select_strategy="default", image_token_index=32000)
    model = LlavaNextForConditionalGeneration(cfg).eval()
    with torch.no_grad():   # make the learned newline stand out of the random tokens
        model.model.image_newline.copy_(torch.randn(H))
    return model


def processor():
    return LlavaNextImageProcessor(size={"shortest_edge": TILE}, crop_size={"height": TILE, "width": TILE},
                                   image_grid_pinpoints=PINPOINTS, image_mean=MEAN, image_std=STD)


def make_pack(d, layer=-2):
    model = tiny_llava_next(layer)
    proc = processor()
    ckpt = save_checkpoint(model, proc, d / "ckpt")
    r = pack_init(ckpt, d / "pack")
    assert r.returncode == 0, r.stderr[-3000:] + r.stdout[-2000:]
    return model, proc, ckpt


@pytest.fixture(scope="module")
def explained(tmp_path_factory):
    d = tmp_path_factory.mktemp("llava_next")
    model, proc, ckpt = make_pack(d)
    rng = np.random.default_rng(1)
    imgs = [save_png(rng.integers(0, 256, (h, w, 3)), d / f"img_{w}x{h}.png") for w, h in SIZES]
    return model, proc, ckpt, d, imgs, explain_many(imgs, d / "pack", d / "tokens")


def explain_many(imgs, pack, tokens_dir):
    """One engine run for several images: {stem: (TokenMap, saved tokens and views)}."""
    import subprocess
    from safetensors.numpy import load_file
    from hfpack_helpers import CLI
    r = subprocess.run(["node", str(CLI), "explain", *map(str, imgs), "--pack", str(pack), "--top-k", "5", "--device", "cpu",
                        "--save-tokens", str(tokens_dir)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"explain failed ({r.returncode}): {r.stderr[-2000:]}"
    return {img.stem: (tm, load_file(str(tokens_dir / f"{img.stem}.tokens.safetensors"))) for img, tm in zip(imgs, json.loads(r.stdout))}


def engine_pixels(tm, saved):
    return torch.from_numpy(np.stack([saved[f"pixel_values.{v['id']}"] for v in tm["views"]]))


def test_manifest_names_the_newline_and_the_model_grid(explained):
    _, _, _, d, _, _ = explained
    m = json.loads((d / "pack" / "manifest.json").read_text())
    assert m["model"]["family"] == "llava-next"
    g = m["imageEncoder"]["geometry"]
    assert g["image_grid_pinpoints"] == PINPOINTS and g["tileSize"] == TILE
    assert g["tensors"]["newline"] == {"file": "geometry.safetensors", "tensor": "image_newline"}
    assert m["adapters"][0]["safetensors"].endswith(".safetensors")


def test_views_are_the_processors(explained):
    """Same views and shapes as LlavaNextImageProcessor; equal pixels where no resize happens, close elsewhere."""
    _, proc, _, _, imgs, maps = explained
    worst = {}
    for img in imgs:
        if Image.open(img).size in HF_MISPADS:
            continue
        tm, saved = maps[img.stem]
        pv_hf = proc(images=[Image.open(img).convert("RGB")], return_tensors="pt", input_data_format=ChannelDimension.LAST)["pixel_values"][0]
        pv = engine_pixels(tm, saved)
        assert pv.shape == pv_hf.shape, f"{img.name}: engine views {tuple(pv.shape)}, processor {tuple(pv_hf.shape)}"
        w, h = Image.open(img).size
        bh, bw = select_best_resolution((h, w), PINPOINTS)
        nh, nw = get_patch_output_size(np.zeros((h, w, 3)), (bh, bw), ChannelDimension.LAST)
        diff = (pv - pv_hf).abs()
        if (nh, nw) == (h, w):   # the canvas holds the image unresized: tiles are exact crops (+ black padding)
            assert diff[1:].max().item() < 1e-5, f"{img.name}: tiles differ from the processor's by {diff[1:].max().item()}"
        worst[img.name] = (diff.max().item(), diff.mean().item())
    print("pixel |Δ| (max, mean) per image:", {k: (round(a, 4), round(b, 4)) for k, (a, b) in worst.items()})
    # libvips vs PIL bicubic on random noise (the worst case for a kernel), normalised units (1/255 ≈ 0.015):
    # measured max 0.10–0.27 / mean ≤ 0.006 for scales near 1–2, max 0.5–0.8 / mean ≤ 0.07 for 13× up (5×3) and the
    # 15:1 images' base views (9× down across, 1.6× up along). The model check runs on the engine's own pixels.
    for name, (mx, mean) in worst.items():
        assert mean < 0.1 and mx < 1.0, f"{name}: engine pixels differ from the processor's by max {mx}, mean {mean}"


def test_tokens_are_get_image_features_in_the_models_order(explained):
    model, _, _, _, imgs, maps = explained
    table = model.get_input_embeddings().weight.detach().numpy()
    newline = model.model.image_newline.detach().numpy()
    for img in imgs:
        tm, saved = maps[img.stem]
        w, h = Image.open(img).size
        with torch.no_grad():
            ref = as_tokens(model.get_image_features(pixel_values=engine_pixels(tm, saved).unsqueeze(0), image_sizes=torch.tensor([[h, w]])), H)
        got = saved["visual_tokens"]
        assert got.shape == ref.shape, f"{img.name}: engine {got.shape[0]} tokens, model {ref.shape[0]}"
        assert np.abs(got - ref).max() < 1e-4, f"{img.name}: max |Δ| {np.abs(got - ref).max()}"
        kinds = [p["kind"] for p in tm["patches"]]
        is_nl = np.abs(ref - newline).max(axis=1) == 0
        assert [k == "newline" for k in kinds] == list(is_nl), f"{img.name}: newlines are not where the model puts image_newline"
        assert brute_force_check(tm, got, table, LLAMA_TOKENIZER / "tokenizer.json") == len(tm["patches"])


def test_token_count_is_the_processors(explained):
    """len(TokenMap) == LlavaNextProcessor's placeholder count (what the prompt will hold) for every size."""
    _, proc, _, _, imgs, maps = explained
    tok = PreTrainedTokenizerFast(tokenizer_file=str(LLAMA_TOKENIZER / "tokenizer.json"))
    tok.add_special_tokens({"additional_special_tokens": ["<image>"]})
    p = LlavaNextProcessor(image_processor=proc, tokenizer=tok, patch_size=PATCH, vision_feature_select_strategy="default",
                           num_additional_image_tokens=1)
    for img in imgs:
        w, h = Image.open(img).size
        want = p._get_num_multimodal_tokens(image_sizes=[[h, w]])["num_image_tokens"][0]
        assert len(maps[img.stem][0]["patches"]) == want, f"{img.name}: {len(maps[img.stem][0]['patches'])} tokens, processor {want}"


def test_boxes_tile_every_view(explained):
    """The base view's boxes tile the image; the kept tile tokens' boxes tile one rectangle of the image (no gap,
    no overlap) that misses at most half a token at an edge — what the model's unpadding rounds away."""
    _, _, _, _, imgs, maps = explained
    for img in imgs:
        tm, _ = maps[img.stem]
        w, h = Image.open(img).size
        boxes_tile(tm, 0)
        boxes = [p["box"] for p in tm["patches"] if p["kind"] == "patch" and p["tile"] > 0]
        if not boxes:
            continue
        x0, y0 = min(b["x"] for b in boxes), min(b["y"] for b in boxes)
        x1, y1 = max(b["x"] + b["w"] for b in boxes), max(b["y"] + b["h"] for b in boxes)
        area = sum(b["w"] * b["h"] for b in boxes)
        assert abs(area - (x1 - x0) * (y1 - y0)) < 1e-3 * (x1 - x0) * (y1 - y0), f"{img.name}: tile boxes leave gaps or overlap"
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"]) <= 1e-6 or min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"]) <= 1e-6
        tw, th = max(b["w"] for b in boxes), max(b["h"] for b in boxes)   # one token's extent on the image
        assert x0 <= tw / 2 + 1e-6 and y0 <= th / 2 + 1e-6 and w - x1 <= tw / 2 + 1e-6 and h - y1 <= th / 2 + 1e-6, \
            f"{img.name}: tile tokens cover [{x0}, {x1}]×[{y0}, {y1}] of {w}×{h}"


def canvas_coverage(w, h):
    """{(tile, row, col): fraction of that tile token's square on the padded canvas that holds image}, per the processor."""
    bh, bw = select_best_resolution((h, w), PINPOINTS)
    nh, nw = get_patch_output_size(np.zeros((h, w, 3)), (bh, bw), ChannelDimension.LAST)
    (top, _), (left, _) = LlavaNextImageProcessor()._get_padding_size((nh, nw), (bh, bw))
    cols = bw // TILE
    out = {}
    for y in range(0, bh, PATCH):
        for x in range(0, bw, PATCH):
            oy = max(0, min(y + PATCH, top + nh) - max(y, top))
            ox = max(0, min(x + PATCH, left + nw) - max(x, left))
            out[(1 + (y // TILE) * cols + x // TILE, (y % TILE) // PATCH, (x % TILE) // PATCH)] = ox * oy / PATCH ** 2
    return out


def test_unpadding_drops_only_padding(explained):
    """The model's unpad_image (followed exactly: the token test above) never keeps a token that covers only padding,
    and what it drops is padding or less than half a token of image at the edge (its rounding; measured over
    ~55,000 sizes at 336 px / patch 14 and at this test's geometry: at most exactly one half). Where the resized
    image lies on whole patches (64×40, 40×64, 64×64) the kept tokens are exactly those that touch the image."""
    _, _, _, _, imgs, maps = explained
    for img in imgs:
        tm, _ = maps[img.stem]
        w, h = Image.open(img).size
        cov = canvas_coverage(w, h)
        kept = {(p["tile"], p["row"], p["col"]) for p in tm["patches"] if p["tile"] > 0 and p["kind"] != "newline"}
        assert kept <= set(cov)
        assert all(cov[k] > 0 for k in kept), f"{img.name}: kept tokens over padding only: {[k for k in kept if cov[k] == 0]}"
        assert all(p["kind"] == "patch" for p in tm["patches"] if p["kind"] != "newline"), f"{img.name}: a kept token has no box"
        dropped = {k: v for k, v in cov.items() if k not in kept}
        assert all(v <= 0.5 for v in dropped.values()), f"{img.name}: dropped tokens holding image: {[(k, v) for k, v in dropped.items() if v > 0.5]}"
        if (w, h) in ((64, 40), (40, 64), (64, 64)):
            assert kept == {k for k, v in cov.items() if v > 0}, f"{img.name}: kept {sorted(kept)}"
    tm, _ = maps["img_64x40"]
    assert sum(p["kind"] == "newline" for p in tm["patches"]) == 6   # 8 canvas rows, 1 of padding above and below


def test_a_pixel_change_reaches_exactly_the_tokens_over_it(tmp_path):
    """Feature layer 0 (the embeddings): a change of one 8×8 patch of the 64×40 image (unresized on the canvas)
    changes exactly the tile token over it; in the base view (64×40 squashed to 32×32, bicubic) the tokens whose
    boxes come within the kernel's reach: 2 output px = 4 source px across, 2.5 down."""
    make_pack(tmp_path, layer=0)
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (40, 64, 3))
    b = a.copy()
    b[4:12, 16:24] = 255 - b[4:12, 16:24]
    ia, ib = save_png(a, tmp_path / "a.png"), save_png(b, tmp_path / "b.png")
    maps = explain_many([ia, ib], tmp_path / "pack", tmp_path / "tok")
    (tm, sa), (_, sb) = maps["a"], maps["b"]
    changed = {i for i in range(len(tm["patches"])) if np.abs(sa["visual_tokens"][i] - sb["visual_tokens"][i]).max() > 1e-6}

    def overlaps(box, x0, y0, x1, y1):
        return box["x"] < x1 and box["x"] + box["w"] > x0 and box["y"] < y1 and box["y"] + box["h"] > y0

    strict = {i for i, p in enumerate(tm["patches"]) if p["kind"] == "patch" and overlaps(p["box"], 16, 4, 24, 12)}
    reach = {i for i, p in enumerate(tm["patches"]) if p["kind"] == "patch" and (overlaps(p["box"], 12, 1.5, 28, 14.5) if p["tile"] == 0 else overlaps(p["box"], 16, 4, 24, 12))}
    tiles = {i for i in changed if tm["patches"][i]["tile"] > 0}
    assert tiles == {i for i in strict if tm["patches"][i]["tile"] > 0} and len(tiles) == 1
    assert strict <= changed <= reach, f"changed {sorted(changed)}, over the region {sorted(strict)}, within reach {sorted(reach)}"


def test_processor_settings_the_family_cannot_place_are_refused(explained, tmp_path):
    _, _, _, d, imgs, _ = explained
    for change, words in ((lambda c: c.update(image_grid_pinpoints=[[40, 64], [64, 64]]), "differ from the model's"),
                          (lambda c: c.update(crop_size={"height": 24, "width": 24}), "tile size 24")):
        pack = tmp_path / f"pack{len(words)}"
        shutil.copytree(d / "pack", pack)
        cfg = json.loads((pack / "preprocessor_config.json").read_text())
        change(cfg)
        (pack / "preprocessor_config.json").write_text(json.dumps(cfg))
        import subprocess
        from hfpack_helpers import CLI
        r = subprocess.run(["node", str(CLI), "explain", str(imgs[0]), "--pack", str(pack), "--device", "cpu"], capture_output=True, text=True, timeout=300)
        assert r.returncode != 0 and words in r.stderr and "Traceback" not in r.stderr, r.stderr[-1500:]


def test_full_strategy_with_a_cls_tower_is_refused(tmp_path):
    """'full' keeps CLIP's CLS, which pack_image_features cannot reshape into the tile grid: pack init says so (exit 3)."""
    from hfpack_helpers import events
    model = tiny_llava_next()
    model.config.vision_feature_select_strategy = "full"
    ckpt = save_checkpoint(model, processor(), tmp_path / "ckpt")
    r = pack_init(ckpt, tmp_path / "pack")
    assert r.returncode == 3, r.stderr[-2000:]
    ev = events(r)[-1]
    assert ev["event"] == "error" and "'full' keeps CLIP's CLS" in ev["message"] and "Traceback" not in r.stdout
    assert not (tmp_path / "pack").exists()


def test_checkpoints_in_the_older_key_layout_give_the_same_tokens(explained, tmp_path):
    """llava-hf's LLaVA-NeXT checkpoints were saved as `vision_tower.*`, `multi_modal_projector.*`, `image_newline`,
    `language_model.model.*`; the model class's conversion mapping reads them, and the pack gives the same tokens."""
    from safetensors.torch import load_file, save_file
    _, _, ckpt, d, imgs, maps = explained
    old = tmp_path / "old"
    shutil.copytree(ckpt, old)
    renames = (("model.language_model.", "language_model.model."), ("model.vision_tower.", "vision_tower."),
               ("model.multi_modal_projector.", "multi_modal_projector."), ("model.image_newline", "image_newline"),
               ("lm_head.", "language_model.lm_head."))

    def rename(k):
        for a, b in renames:
            if k.startswith(a):
                return b + k[len(a):]
        return k
    for f in old.glob("*.safetensors"):
        save_file({rename(k): v.contiguous() for k, v in load_file(str(f)).items()}, str(f), metadata={"format": "pt"})
    index = old / "model.safetensors.index.json"
    if index.is_file():
        j = json.loads(index.read_text())
        j["weight_map"] = {rename(k): v for k, v in j["weight_map"].items()}
        index.write_text(json.dumps(j))
    r = pack_init(old, tmp_path / "pack")
    assert r.returncode == 0, r.stderr[-3000:] + r.stdout[-2000:]
    img = imgs[1]   # 64×40
    got = explain_many([img], tmp_path / "pack", tmp_path / "tokens")[img.stem][1]["visual_tokens"]
    assert np.abs(got - maps[img.stem][1]["visual_tokens"]).max() < 1e-6
