"""InternVL (transformers' InternVLForConditionalGeneration, e.g. OpenGVLab/InternVL3-1B-hf): the InternViT tower
(InternVLVisionModel) on square tiles of size × size px (GotOcr2ImageProcessor's dynamic tiles plus a
thumbnail), its CLS token dropped, then pixel shuffle by downsample_ratio (one token per 2 × 2 patches at 0.5)
and the multi_modal_projector (LayerNorm + 2-layer MLP). The tower is the encoder; pixel shuffle + projector,
with the model's own pixel_shuffle, is the ONNX adapter."""
from __future__ import annotations

import json

import torch

from ..errors import CheckpointInvalid, Unsupported
from ..onnx_out import export
from .common import Context, build, copy_processor

ID = "internvl"
TITLE = "InternVL"
MODEL_TYPES = ("internvl",)


class Tower(torch.nn.Module):
    """pixel_values [B, 3, S, S] → the last hidden state without its CLS token, [B, (S/p)², D]."""

    def __init__(self, vision):
        super().__init__()
        self.vision = vision

    def forward(self, pixel_values):
        return self.vision(pixel_values=pixel_values).last_hidden_state[:, 1:, :]


class Adapter(torch.nn.Module):
    """[B, N, D] tower tokens → pixel shuffle (InternVLModel.pixel_shuffle itself) → multi_modal_projector."""

    def __init__(self, projector, ratio: float):
        super().__init__()
        self.projector, self.ratio = projector, ratio

    def forward(self, features):
        from transformers.models.internvl.modeling_internvl import InternVLModel
        b, n, d = features.shape
        side = int(n ** 0.5)
        x = InternVLModel.pixel_shuffle(None, features.reshape(b, side, side, d), scale_factor=self.ratio)
        return self.projector(x.reshape(b, -1, x.shape[-1]))


def tile_size(ctx: Context) -> int:
    """size {height, width} (square) of preprocessor_config.json: the side of every view."""
    p = ctx.ckpt.dir / "preprocessor_config.json"
    try:
        size = json.loads(p.read_text(encoding="utf-8")).get("size")
    except (OSError, ValueError) as e:
        raise CheckpointInvalid(f"{p}: cannot read the image processor's settings ({e})") from None
    if isinstance(size, int):
        size = {"height": size, "width": size}
    if not isinstance(size, dict) or not isinstance(size.get("height"), int) or size.get("height") != size.get("width"):
        raise Unsupported(f"{p}: InternVL needs a square \"size\": {{\"height\": N, \"width\": N}} (the model reshapes each view's tokens into a square); found {size!r}")
    return size["height"]


def processor_call_defaults() -> dict:
    """What InternVLProcessor passes to the image processor on every call, over preprocessor_config.json: in
    transformers 4.57 {"crop_to_patches": True} — so the model always sees tiles, even where the checkpoint's
    preprocessor_config.json says "crop_to_patches": false (the -hf checkpoints do)."""
    from transformers.models.internvl.processing_internvl import InternVLProcessorKwargs
    d = InternVLProcessorKwargs._defaults.get("images_kwargs", {})
    return {k: v for k, v in d.items() if isinstance(v, (bool, int, float, str))}


def export_pack(ctx: Context) -> dict:
    from transformers import AutoModel
    from transformers.models.internvl.modeling_internvl import InternVLMultiModalProjector
    cfg = ctx.config
    vc = cfg.vision_config
    layer = ctx.layer if ctx.layer is not None else cfg.vision_feature_layer
    if layer != -1:
        raise Unsupported(f"vision feature layer {layer}: transformers 4.57's InternVL reads only the last layer (-1); "
                          "its get_image_features fails for any other layer, so SEA Lens cannot check such an export")
    if cfg.vision_feature_select_strategy != "default":
        raise Unsupported(f"vision_feature_select_strategy {cfg.vision_feature_select_strategy!r}: InternVL's pixel shuffle needs "
                          "the CLS token dropped (\"default\"); the model itself cannot reshape the tokens otherwise")
    ratio = cfg.downsample_ratio
    scale = round(1 / ratio)
    p = vc.patch_size[0] if isinstance(vc.patch_size, (list, tuple)) else vc.patch_size
    side_px = tile_size(ctx)
    if abs(scale * ratio - 1) > 1e-9 or side_px % p or (side_px // p) % scale:
        raise Unsupported(f"downsample_ratio {ratio} with {side_px}-px views of {p}-px patches: the pixel shuffle needs 1/ratio a "
                          "whole number that divides the patch grid's side")
    ctx.progress("reading the vision tower", 0.1)
    vision = build(lambda: AutoModel.from_config(vc, attn_implementation="eager"), ctx, ("model.vision_tower.",))
    ctx.progress("exporting the vision tower to ONNX", 0.3)
    export(Tower(vision), (torch.zeros(1, 3, side_px, side_px),), ctx.out / "vision_tower.onnx", ["pixel_values"], ["image_features"],
           {"pixel_values": {0: "views"}, "image_features": {0: "views"}})
    ctx.progress("reading the projector", 0.7)
    projector = build(lambda: InternVLMultiModalProjector(cfg), ctx, ("model.multi_modal_projector.",))
    n = (side_px // p) ** 2
    export(Adapter(projector, ratio), (torch.zeros(1, n, vc.hidden_size),), ctx.out / "adapter-original.onnx",
           ["image_features"], ["projected"], {"image_features": {0: "views"}, "projected": {0: "views"}})
    return {
        "imageEncoder": {"onnx": "vision_tower.onnx", "input": "pixel_values", "output": "image_features",
                         "prefixTokens": 0, "patchSize": p, "preprocessor": copy_processor(ctx),
                         "geometry": {"scaleFactor": scale, "tileSize": side_px, "processorCallDefaults": processor_call_defaults()}},
        "adapters": [{"name": "original", "description": "the checkpoint's own projector (pixel shuffle + LayerNorm + MLP)",
                      "onnx": "adapter-original.onnx"}],
        "featureLayer": -1,
    }
