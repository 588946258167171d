"""Qwen2-VL and Qwen2.5-VL (Qwen2VLForConditionalGeneration, Qwen2_5_VLForConditionalGeneration): a ViT over
14×14 patches of a dynamically resized image (`model.visual`), with 2-D rotary position embeddings, ending in the
PatchMerger that folds every 2×2 group of patches into one visual token in the LLM's space.

The pack splits the model's `visual` at the merger: the encoder is the tower without it (patches → [N, D]), the
adapter is the merger ([1, N, D] → [1, N/4, H]), so adapters can be swapped and compared like LLaVA projectors.

The tower's sizes depend on the image, so the encoder takes what the graph cannot derive from shapes alone as
inputs, computed by the engine (src/engine/families/qwen2-vl/geometry.ts):
- pixel_values [N, C·T·14·14]: the patches in the image processor's order (2×2 merge windows, row-major);
- pos_ids [N, 2] int64: each patch's (row, col), which the model's rot_pos_emb computes from grid_thw;
- window_ids [N] int64 (Qwen2.5-VL only): the attention window of each patch.

Qwen2.5-VL's window reordering: the model permutes whole 2×2 merge units so that each window is contiguous for its
cu_seqlens chunked attention, then un-permutes after the merger. The export computes window attention with a mask
(patches attend only within their window id) instead, which gives the same attention in the processor's order;
the permutation was only an implementation detail of the chunking, so nothing needs reordering and the merger
stays a plain per-2×2 adapter.
"""
from __future__ import annotations

import json

import torch

from ..errors import CheckpointInvalid, Unsupported
from ..onnx_out import export
from .common import Context, build, copy_processor, cut_layers, feature_layer_index

ID = "qwen2-vl"
TITLE = "Qwen2-VL / Qwen2.5-VL"
MODEL_TYPES = ("qwen2_vl", "qwen2_5_vl")


def _attention(attn, x, cos, sin, rotary, outside):
    """The block's attention with its own weights and rotary function; `outside` [N, N] masks other windows."""
    n = x.shape[0]
    q, k, v = attn.qkv(x).reshape(n, 3, attn.num_heads, -1).permute(1, 0, 2, 3).unbind(0)
    q, k = rotary(q, k, cos, sin)
    q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
    scores = torch.matmul(q, k.transpose(1, 2)) * attn.scaling
    if outside is not None:
        scores = scores.masked_fill(outside, float("-inf"))
    probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
    out = torch.matmul(probs, v).transpose(0, 1).reshape(n, -1)
    return attn.proj(out)


class Tower(torch.nn.Module):
    """(pixel_values [N, K], pos_ids [N, 2][, window_ids [N]]) → the hidden states the merger reads, [N, D]."""

    def __init__(self, visual, windowed: set[int], rotary):
        super().__init__()
        self.patch_embed, self.blocks, self.windowed, self.rotary = visual.patch_embed, visual.blocks, windowed, rotary
        self.register_buffer("inv_freq", visual.rotary_pos_emb.inv_freq.detach().clone(), persistent=False)

    def forward(self, pixel_values, pos_ids, window_ids=None):
        x = self.patch_embed(pixel_values)
        # rot_pos_emb: outer(arange(max), inv_freq)[pos_ids].flatten(1), i.e. position × inv_freq per axis.
        freqs = (pos_ids.to(self.inv_freq.dtype).unsqueeze(-1) * self.inv_freq).flatten(1)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        outside = None if window_ids is None else window_ids.unsqueeze(1) != window_ids.unsqueeze(0)
        for i, blk in enumerate(self.blocks):
            x = x + _attention(blk.attn, blk.norm1(x), cos, sin, self.rotary, outside if i in self.windowed else None)
            x = x + blk.mlp(blk.norm2(x))
        return x


class Merger(torch.nn.Module):
    """The PatchMerger on the adapter contract: [1, N, D] → [1, N/4, H]."""

    def __init__(self, merger):
        super().__init__()
        self.merger = merger

    def forward(self, image_features):
        return self.merger(image_features[0]).unsqueeze(0)


def _classes(model_type: str):
    if model_type == "qwen2_5_vl":
        from transformers.models.qwen2_5_vl import modeling_qwen2_5_vl as m
        return m.Qwen2_5_VisionTransformerPretrainedModel, m.apply_rotary_pos_emb_vision
    from transformers.models.qwen2_vl import modeling_qwen2_vl as m
    return m.Qwen2VisionTransformerPretrainedModel, m.apply_rotary_pos_emb_vision


def processor_geometry(ctx: Context, vc, file: str) -> dict:
    """The processor's sizes as Qwen2VLImageProcessor reads them (min/max_pixels over size), checked against the
    vision tower's."""
    pp = json.loads((ctx.out / file).read_text(encoding="utf-8"))
    size = pp.get("size") if isinstance(pp.get("size"), dict) else {}
    geo = {
        "minPixels": pp.get("min_pixels", size.get("shortest_edge", 56 * 56)),
        "maxPixels": pp.get("max_pixels", size.get("longest_edge", 28 * 28 * 1280)),
        "patchSize": pp.get("patch_size", 14),
        "mergeSize": pp.get("merge_size", 2),
        "temporalPatchSize": pp.get("temporal_patch_size", 2),
    }
    tower = {"patchSize": vc.patch_size, "mergeSize": vc.spatial_merge_size, "temporalPatchSize": vc.temporal_patch_size}
    for k, v in tower.items():
        if geo[k] != v:
            raise CheckpointInvalid(f"{ctx.ckpt.dir / 'preprocessor_config.json'}: {k} {geo[k]} does not match the vision "
                                    f"tower's {v} (config.json vision_config); the patches would not fit the tower")
    return geo


def export_pack(ctx: Context) -> dict:
    cfg = ctx.config
    vc = cfg.vision_config
    # config.json's model_type: the loaded config answers `model_type` from its text_config ("qwen2_5_vl_text").
    model_type = ctx.ckpt.config_json.get("model_type")
    cls, rotary = _classes(model_type)
    preprocessor = copy_processor(ctx)
    geo = processor_geometry(ctx, vc, preprocessor)
    ctx.progress("reading the vision tower", 0.1)
    visual = build(lambda: cls._from_config(vc), ctx, ("model.visual.",))
    depth = len(visual.blocks)
    layer = ctx.layer if ctx.layer is not None else -1
    keep = feature_layer_index(layer, depth)
    cut_layers(visual.blocks, keep)
    windowed: set[int] = set()
    inputs = ["pixel_values", "pos_ids"]
    if model_type == "qwen2_5_vl":
        full = set(vc.fullatt_block_indexes)
        windowed = {i for i in range(keep) if i not in full}
        if vc.window_size % (vc.patch_size * vc.spatial_merge_size):
            raise Unsupported(f"vision_config.window_size {vc.window_size} is not a multiple of patch × merge "
                              f"{vc.patch_size * vc.spatial_merge_size}")
        geo["windowMergeUnits"] = vc.window_size // vc.spatial_merge_size // vc.patch_size
        inputs.append("window_ids")
    tower = Tower(visual, windowed, rotary).eval()

    ctx.progress("exporting the vision tower to ONNX", 0.3)
    # A 4 × 6 patch example (2 × 3 merge units) so no size is a constant the tracer could fold.
    k = vc.in_channels * vc.temporal_patch_size * vc.patch_size ** 2
    rows, cols = 4, 6
    pos = torch.tensor([[r, c] for br in range(rows // 2) for bc in range(cols // 2) for r in (2 * br, 2 * br + 1)
                        for c in (2 * bc, 2 * bc + 1)], dtype=torch.int64)
    args = [torch.zeros(rows * cols, k), pos]
    axes = {"pixel_values": {0: "patches"}, "pos_ids": {0: "patches"}, "image_features": {0: "patches"}}
    if "window_ids" in inputs:
        args.append((pos[:, 1] // 4 >= 1).to(torch.int64))
        axes["window_ids"] = {0: "patches"}
    export(tower, tuple(args), ctx.out / "vision_tower.onnx", inputs, ["image_features"], axes)

    ctx.progress("exporting the merger (the adapter) to ONNX", 0.7)
    d = visual.merger.ln_q.weight.shape[0]
    export(Merger(visual.merger), (torch.zeros(1, 8, d),), ctx.out / "adapter-original.onnx", ["image_features"], ["projected"],
           {"image_features": {1: "patches"}, "projected": {1: "tokens"}})
    if keep != depth:
        ctx.notes.append(f"the merger reads block {keep} of {depth} (--layer {layer}), not the model's last block")
    return {
        "imageEncoder": {"onnx": "vision_tower.onnx", "input": "pixel_values", "output": "image_features",
                         "prefixTokens": 0, "patchSize": vc.patch_size, "preprocessor": preprocessor,
                         "geometry": geo},
        "adapters": [{"name": "original", "description": "the checkpoint's own PatchMerger (2×2 merge + MLP)",
                      "onnx": "adapter-original.onnx"}],
        "featureLayer": layer if ctx.layer is not None else None,
    }
