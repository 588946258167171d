"""LLaVA-1.5 (LlavaForConditionalGeneration): a CLIP/SigLIP tower read at `vision_feature_layer`, the CLS token
dropped by the `default` select strategy, and a 2-layer GELU projector (mlp2x_gelu), which the engine builds
itself from safetensors in every key layout; other projectors are exported to ONNX."""
from __future__ import annotations

import gc

import torch

from ..onnx_out import export
from .common import Context, build, copy_processor, cut_layers, feature_layer_index, save_tensors

ID = "llava"
TITLE = "LLaVA-1.5"
MODEL_TYPES = ("llava",)


class Tower(torch.nn.Module):
    """pixel_values [B, 3, H, W] → the hidden states the projector reads, [B, N, D] (several layers concatenated
    when vision_feature_layer is a list, as the model does)."""

    def __init__(self, vision, indices: list[int], drop_cls: bool):
        super().__init__()
        self.vision, self.indices, self.drop_cls = vision, indices, drop_cls

    def forward(self, pixel_values):
        hs = self.vision(pixel_values, output_hidden_states=True).hidden_states
        feats = [hs[i][:, 1:] if self.drop_cls else hs[i] for i in self.indices]
        return torch.cat(feats, dim=-1) if len(feats) > 1 else feats[0]


def vision_tower(ctx: Context, layers_cfg, select: str, prefixes=("model.vision_tower.",)):
    """The config's vision tower, cut after its deepest feature layer, wrapped to return what the projector reads."""
    from transformers import AutoModel
    vc = ctx.config.vision_config
    vision = build(lambda: AutoModel.from_config(vc), ctx, prefixes)
    n = vc.num_hidden_layers
    layers = layers_cfg if isinstance(layers_cfg, (list, tuple)) else [layers_cfg]
    indices = [feature_layer_index(l, n) for l in layers]
    cut_layers(vision.vision_model.encoder.layers, max(indices))
    return Tower(vision, indices, select == "default"), vc


def export_tower(ctx: Context, tower, vc, size: int) -> None:
    ctx.progress("exporting the vision tower to ONNX", 0.3)
    x = torch.zeros(1, 3, size, size)
    export(tower, (x,), ctx.out / "vision_tower.onnx", ["pixel_values"], ["image_features"],
           {"pixel_values": {0: "views"}, "image_features": {0: "views", 1: "tokens"}})


def projector_entry(ctx: Context, projector, name="original") -> dict:
    """mlp2x_gelu → safetensors the engine (and the SEA trainer) reads; anything else → ONNX."""
    l1, l2 = getattr(projector, "linear_1", None), getattr(projector, "linear_2", None)
    act = type(getattr(projector, "act", None)).__name__
    desc = "the checkpoint's own projector"
    if isinstance(l1, torch.nn.Linear) and isinstance(l2, torch.nn.Linear) and act == "GELUActivation" \
            and len(list(projector.children())) == 3:
        t = {"multi_modal_projector.linear_1.weight": l1.weight, "multi_modal_projector.linear_2.weight": l2.weight}
        if l1.bias is not None:
            t["multi_modal_projector.linear_1.bias"] = l1.bias
        if l2.bias is not None:
            t["multi_modal_projector.linear_2.bias"] = l2.bias
        save_tensors(ctx.out / f"adapter-{name}.safetensors", t)
        return {"name": name, "description": desc, "safetensors": f"adapter-{name}.safetensors"}
    d = l1.in_features if isinstance(l1, torch.nn.Linear) else None
    export(projector, (torch.zeros(1, 4, d),), ctx.out / f"adapter-{name}.onnx", ["image_features"], ["projected"],
           {"image_features": {0: "views", 1: "tokens"}, "projected": {0: "views", 1: "tokens"}})
    return {"name": name, "description": desc, "onnx": f"adapter-{name}.onnx"}


def export_pack(ctx: Context) -> dict:
    from transformers.models.llava.modeling_llava import LlavaMultiModalProjector
    cfg = ctx.config
    layer = ctx.layer if ctx.layer is not None else cfg.vision_feature_layer
    select = cfg.vision_feature_select_strategy
    ctx.progress("reading the vision tower", 0.1)
    tower, vc = vision_tower(ctx, layer, select, ("model.vision_tower.",))
    export_tower(ctx, tower, vc, vc.image_size)
    del tower   # free the tower's weights before the projector is read (peak memory)
    gc.collect()
    ctx.progress("reading the projector", 0.7)
    projector = build(lambda: LlavaMultiModalProjector(cfg), ctx, ("model.multi_modal_projector.",))
    adapter = projector_entry(ctx, projector)
    return {
        "imageEncoder": {"onnx": "vision_tower.onnx", "input": "pixel_values", "output": "image_features",
                         "prefixTokens": 0 if select == "default" else 1, "patchSize": vc.patch_size, "preprocessor": copy_processor(ctx),
                         "geometry": {"selectStrategy": select}},
        "adapters": [adapter],
        "featureLayer": layer if isinstance(layer, int) else None,
    }
