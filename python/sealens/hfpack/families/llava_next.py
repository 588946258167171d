"""LLaVA-NeXT (LlavaNextForConditionalGeneration, "anyres"): the same CLIP tower and mlp2x_gelu projector as
LLaVA-1.5, run on a base view and on the tiles of the best grid resolution; the model then unpads the tile grid
and puts its learned `image_newline` after every row. The tower and projector are exported as for LLaVA-1.5;
`image_newline` goes into a small safetensors file named by geometry.tensors.newline, and the engine's
src/engine/families/llava-next/geometry.ts reproduces the views and the token order."""
from __future__ import annotations

import gc

import json

from ..errors import Unsupported
from .common import Context, build, copy_processor, save_tensors
from .llava import export_tower, projector_entry, vision_tower

ID = "llava-next"
TITLE = "LLaVA-NeXT"
MODEL_TYPES = ("llava_next",)


def check_processor(ctx: Context, pinpoints) -> None:
    """The processor's pinpoints must be the model's: the model computes the tile grid from its own config."""
    pp = json.loads((ctx.ckpt.dir / "preprocessor_config.json").read_text(encoding="utf-8"))
    mine = pp.get("image_grid_pinpoints")
    if mine is not None and [list(p) for p in mine] != [list(p) for p in pinpoints]:
        raise Unsupported(f"{ctx.ckpt.dir / 'preprocessor_config.json'}: image_grid_pinpoints {mine} differ from config.json's "
                          f"{pinpoints}; the model would misplace the tiles — use the checkpoint's own processor settings")


def export_pack(ctx: Context) -> dict:
    from transformers.models.llava_next.modeling_llava_next import LlavaNextMultiModalProjector
    cfg = ctx.config
    layer = ctx.layer if ctx.layer is not None else cfg.vision_feature_layer
    select = cfg.vision_feature_select_strategy
    vc = cfg.vision_config
    has_cls = vc.model_type in ("clip_vision_model",)
    if select != "default" and has_cls:
        # pack_image_features reshapes each view's tokens into an image_size/patch_size square: a kept CLS breaks it.
        raise Unsupported(f"vision_feature_select_strategy {select!r} keeps CLIP's CLS token, which LLaVA-NeXT's tile "
                          "grid cannot hold (the model itself fails on it); only 'default' works with a CLIP tower")
    pinpoints = [list(p) for p in cfg.image_grid_pinpoints]
    processor = copy_processor(ctx)
    check_processor(ctx, pinpoints)
    ctx.progress("reading the vision tower", 0.1)
    tower, vc = vision_tower(ctx, layer, select, ("model.vision_tower.",))
    export_tower(ctx, tower, vc, vc.image_size)
    del tower   # free the tower's weights before the projector is read (peak memory)
    gc.collect()
    ctx.progress("reading the projector", 0.7)
    projector = build(lambda: LlavaNextMultiModalProjector(cfg), ctx, ("model.multi_modal_projector.",))
    adapter = projector_entry(ctx, projector)
    newline = ctx.ckpt.state_dict("model.image_newline", ctx.mapping).get("")
    if newline is None or newline.ndim != 1 or newline.shape[0] != cfg.text_config.hidden_size:
        raise Unsupported(f"{ctx.ckpt.dir}: model.image_newline is missing or not a [{cfg.text_config.hidden_size}] vector")
    save_tensors(ctx.out / "geometry.safetensors", {"image_newline": newline})
    return {
        "imageEncoder": {"onnx": "vision_tower.onnx", "input": "pixel_values", "output": "image_features",
                         "prefixTokens": 0 if (select == "default" or not has_cls) else 1, "patchSize": vc.patch_size,
                         "preprocessor": processor,
                         "geometry": {"selectStrategy": select, "image_grid_pinpoints": pinpoints, "tileSize": vc.image_size,
                                      "tensors": {"newline": {"file": "geometry.safetensors", "tensor": "image_newline"}}}},
        "adapters": [adapter],
        "featureLayer": layer if isinstance(layer, int) else None,
    }
