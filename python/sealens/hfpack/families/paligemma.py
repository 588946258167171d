"""PaliGemma and Gemma 3: a SigLIP tower whose last hidden state (post-layernorm) feeds the projector; PaliGemma's
projector is one linear layer followed by the model's division by √H, Gemma 3's average-pools the patch grid to
mm_tokens_per_image tokens, RMS-normalises and projects. Both projectors are exported to ONNX as the adapter."""
from __future__ import annotations

import torch

from ..errors import Unsupported
from ..onnx_out import export
from .common import Context, build, copy_processor

ID = "paligemma"
TITLE = "PaliGemma / Gemma 3"
MODEL_TYPES = ("paligemma", "gemma3")


class Tower(torch.nn.Module):
    def __init__(self, vision):
        super().__init__()
        self.vision = vision

    def forward(self, pixel_values):
        return self.vision(pixel_values=pixel_values).last_hidden_state


class PaliGemmaAdapter(torch.nn.Module):
    """The projector and get_image_features' scaling by 1/√H (which a cosine ignores, kept for exact tokens)."""

    def __init__(self, projector, hidden: int):
        super().__init__()
        self.projector, self.scale = projector, float(hidden) ** -0.5

    def forward(self, image_features):
        return self.projector(image_features) * self.scale


def export_pack(ctx: Context) -> dict:
    from transformers import AutoModel
    cfg = ctx.config
    if ctx.layer is not None:
        raise Unsupported(f"{TITLE}: the projector reads the tower's last hidden state; --layer is not supported")
    vc = cfg.vision_config
    ctx.progress("reading the vision tower", 0.1)
    vision = build(lambda: AutoModel.from_config(vc), ctx, ("model.vision_tower.",))
    ctx.progress("exporting the vision tower to ONNX", 0.3)
    export(Tower(vision), (torch.zeros(1, 3, vc.image_size, vc.image_size),), ctx.out / "vision_tower.onnx",
           ["pixel_values"], ["image_features"], {"pixel_values": {0: "views"}, "image_features": {0: "views"}})
    ctx.progress("exporting the projector to ONNX", 0.7)
    n = (vc.image_size // vc.patch_size) ** 2
    if cfg.model_type == "gemma3":
        from transformers.models.gemma3.modeling_gemma3 import Gemma3MultiModalProjector
        adapter = build(lambda: Gemma3MultiModalProjector(cfg), ctx, ("model.multi_modal_projector.",))
        name, family = "Gemma 3", "gemma3"
    else:
        from transformers.models.paligemma.modeling_paligemma import PaliGemmaMultiModalProjector
        adapter = PaliGemmaAdapter(build(lambda: PaliGemmaMultiModalProjector(cfg), ctx, ("model.multi_modal_projector.",)),
                                   cfg.text_config.hidden_size)
        name, family = "PaliGemma", "paligemma"
    # Gemma 3's pooling needs the whole patch grid: the token count is fixed by the tower's input size.
    export(adapter, (torch.zeros(1, n, vc.hidden_size),), ctx.out / "adapter-original.onnx", ["image_features"], ["projected"],
           {"image_features": {0: "views"}, "projected": {0: "views"}})
    return {
        "family": family,
        "imageEncoder": {"onnx": "vision_tower.onnx", "input": "pixel_values", "output": "image_features",
                         "prefixTokens": 0, "patchSize": vc.patch_size, "preprocessor": copy_processor(ctx)},
        "adapters": [{"name": "original", "description": f"the checkpoint's own {name} projector", "onnx": "adapter-original.onnx"}],
    }
