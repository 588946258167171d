"""Idefics3 and SmolVLM (Idefics3ForConditionalGeneration, SmolVLMForConditionalGeneration): a SigLIP-like tower
(Idefics3VisionTransformer, read at its last hidden state after post_layernorm) on square tiles of
max_image_size px, then the connector: pixel shuffle by scale_factor (one token per scale_factor² patches) and
a bias-free linear modality projection. Both model types share the image processor (SmolVLM's is a copy of
Idefics3's in transformers 4.57) and the prompt: rows × cols tiles, then the global image.

The tower is exported with its position ids fixed for a full tile: the model computes them with
torch.bucketize, which ONNX cannot express, and every view the processor makes is a max_image_size square
with no padding, so they never change. The connector (pixel shuffle + projection) is the ONNX adapter."""
from __future__ import annotations

import json

import torch

from ..errors import CheckpointInvalid, Unsupported
from ..onnx_out import export
from .common import Context, build, copy_processor

ID = "idefics3"
TITLE = "Idefics3 / SmolVLM"
MODEL_TYPES = ("idefics3", "smolvlm")


def full_tile_position_ids(embeddings, side: int) -> torch.Tensor:
    """The position ids Idefics3VisionEmbeddings.forward computes for a side × side patch grid with no padding
    (the same arithmetic, in float32 as the model does it)."""
    nps = embeddings.num_patches_per_side
    boundaries = torch.arange(1 / nps, 1.0, 1 / nps)
    idx = torch.arange(side, dtype=torch.float32)
    frac = idx / side * (1 - 1e-6)
    bucket = torch.bucketize(frac, boundaries, right=True)
    return (bucket[:, None] * nps + bucket[None, :]).flatten()


class Tower(torch.nn.Module):
    """pixel_values [B, 3, T, T] → last_hidden_state after post_layernorm, [B, (T/p)², D]."""

    def __init__(self, vision, side: int):
        super().__init__()
        self.vision = vision
        self.register_buffer("position_ids", full_tile_position_ids(vision.embeddings, side), persistent=False)

    def forward(self, pixel_values):
        emb = self.vision.embeddings
        x = emb.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        x = x + emb.position_embedding(self.position_ids)
        # A full patch mask is the same as no mask (the model's additive mask is all zeros then).
        x = self.vision.encoder(inputs_embeds=x, attention_mask=None).last_hidden_state
        return self.vision.post_layernorm(x)


def tile_size(ctx: Context) -> int:
    """max_image_size.longest_edge of preprocessor_config.json: the side of every view."""
    p = ctx.ckpt.dir / "preprocessor_config.json"
    try:
        pp = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise CheckpointInvalid(f"{p}: cannot read the image processor's settings ({e})") from None
    m = (pp.get("max_image_size") or {}).get("longest_edge") if isinstance(pp.get("max_image_size"), dict) else None
    if not isinstance(m, int) or m < 1:
        raise Unsupported(f"{p}: max_image_size must be {{\"longest_edge\": N}} (the tile side); found {pp.get('max_image_size')!r}")
    return m


def classes(model_type: str):
    if model_type == "smolvlm":
        from transformers.models.smolvlm.modeling_smolvlm import SmolVLMConnector, SmolVLMVisionTransformer
        return SmolVLMVisionTransformer, SmolVLMConnector
    from transformers.models.idefics3.modeling_idefics3 import Idefics3Connector, Idefics3VisionTransformer
    return Idefics3VisionTransformer, Idefics3Connector


def export_pack(ctx: Context) -> dict:
    cfg = ctx.config
    vc = cfg.vision_config
    if ctx.layer is not None:
        raise Unsupported(f"{TITLE} reads the vision tower's last hidden state (after post_layernorm); it has no feature-layer setting, so --layer cannot apply")
    vision_cls, connector_cls = classes(cfg.model_type)
    side_px = tile_size(ctx)
    p, s = vc.patch_size, cfg.scale_factor
    if side_px % p or (side_px // p) % s:
        raise Unsupported(f"max_image_size {side_px} px is not a whole number of {s} × {s} groups of {p}-px patches; "
                          f"the connector's pixel shuffle needs (max_image_size / patch_size) divisible by scale_factor {s}")
    side = side_px // p
    ctx.progress("reading the vision tower", 0.1)
    vc._attn_implementation = "eager"
    vision = build(lambda: vision_cls._from_config(vc, attn_implementation="eager"), ctx, ("model.vision_model.",))
    tower = Tower(vision, side)
    ctx.progress("exporting the vision tower to ONNX", 0.3)
    export(tower, (torch.zeros(1, 3, side_px, side_px),), ctx.out / "vision_tower.onnx", ["pixel_values"], ["image_features"],
           {"pixel_values": {0: "views"}, "image_features": {0: "views"}})
    ctx.progress("reading the connector", 0.7)
    connector = build(lambda: connector_cls(cfg), ctx, ("model.connector.",))
    # The pixel shuffle takes the grid side from the token count, so the adapter is traced for one tile's tokens.
    export(connector, (torch.zeros(1, side * side, vc.hidden_size),), ctx.out / "adapter-original.onnx",
           ["image_features"], ["projected"], {"image_features": {0: "views"}, "projected": {0: "views"}})
    return {
        "imageEncoder": {"onnx": "vision_tower.onnx", "input": "pixel_values", "output": "image_features",
                         "prefixTokens": 0, "patchSize": p, "preprocessor": copy_processor(ctx),
                         "geometry": {"scaleFactor": s, "tileSize": side_px, "modelType": cfg.model_type}},
        "adapters": [{"name": "original", "description": "the checkpoint's own connector (pixel shuffle + modality projection)",
                      "onnx": "adapter-original.onnx"}],
        "featureLayer": None,
    }
