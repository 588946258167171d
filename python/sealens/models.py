"""Mini-CLIP (ViT + text encoder), mini causal LM and the LLaVA mlp2x_gelu adapter.

All attention is written out by hand (no nn.MultiheadAttention) and GELU is the exact erf form,
so the models export to plain ONNX (opset 17) on torch 1.13 and run on torch 2.x.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, bias=None):
        B, T, C = x.shape
        h = self.heads
        qkv = self.qkv(x).reshape(B, T, 3, h, C // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(C // h))
        if bias is not None:
            att = att + bias
        att = att.softmax(dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(B, T, C)
        return self.out(y)


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        hid = int(dim * mlp_ratio)
        self.fc1 = nn.Linear(dim, hid)
        self.fc2 = nn.Linear(hid, dim)

    def forward(self, x, bias=None):
        x = x + self.attn(self.ln1(x), bias)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))  # exact (erf) GELU


@dataclass
class ClipConfig:
    image_size: int = 96
    patch_size: int = 12
    width: int = 128
    layers: int = 4
    heads: int = 4
    mlp_ratio: float = 2.0
    embed_dim: int = 64
    text_width: int = 96
    text_layers: int = 2
    text_heads: int = 4
    text_vocab: int = 1000
    max_text_len: int = 24
    # "patch": one linear patch embedding (a 12x12 conv, stride 12). "conv": an early-convolution stem (Xiao et
    # al. 2021, "Early convolutions help transformers see better"): 3x3/2, 3x3/2, 5x5/3 convolutions, so each
    # patch token starts from a 23-px view that includes its neighbours' edges — an object's outline, which is
    # what tells its shape, is then visible to the token and not only through attention.
    stem: str = "patch"


class VisionEncoder(nn.Module):
    """ViT. Outputs last_hidden_state [B,1+P,D] (CLS first, after the final LayerNorm),
    patch_embeds [B,P,E] (every patch token through the shared projection) and
    image_embeds [B,E] (mean of patch_embeds: patch-pooled, not CLS, so that patch tokens live in
    the joint space). patch_embeds are centred by `patch_center` (zero while training)."""

    def __init__(self, c: ClipConfig):
        super().__init__()
        self.c = c
        self.grid = c.image_size // c.patch_size
        if c.stem == "conv":
            if c.patch_size != 12:
                raise ValueError("the conv stem is built for 12-px patches (strides 2 * 2 * 3)")
            self.patch = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1), nn.GELU(), nn.Conv2d(32, 64, 3, 2, 1), nn.GELU(),
                                       nn.Conv2d(64, c.width, 5, 3, 1))
        elif c.stem == "patch":
            self.patch = nn.Conv2d(3, c.width, c.patch_size, c.patch_size)
        else:
            raise ValueError(f"unknown stem {c.stem!r} (patch or conv)")
        self.cls = nn.Parameter(torch.zeros(1, 1, c.width))
        self.pos = nn.Parameter(torch.randn(1, 1 + self.grid * self.grid, c.width) * 0.02)
        self.blocks = nn.ModuleList([Block(c.width, c.heads, c.mlp_ratio) for _ in range(c.layers)])
        self.ln = nn.LayerNorm(c.width)
        self.proj = nn.Linear(c.width, c.embed_dim, bias=False)
        # Image-side feature surgery: the mean projected patch token over unlabelled training images, set by the
        # build after training and baked into the export. Without it every patch shares a large common
        # component, so 7-9 of the 22 words score > 0 and threshold 0 prunes almost nothing.
        self.register_buffer("patch_center", torch.zeros(c.embed_dim))

    def forward(self, pixel_values):
        x = self.patch(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        for b in self.blocks:
            x = b(x)
        h = self.ln(x)
        patch_embeds = self.proj(h[:, 1:]) - self.patch_center
        image_embeds = patch_embeds.mean(dim=1)
        return h, image_embeds, patch_embeds


class TextEncoder(nn.Module):
    """Bidirectional transformer over word tokens. text_embeds = mean of projected token features over
    content tokens (stop words get weight 1e-3) minus the word-list centre; token_embeds = per-token
    projected features."""

    def __init__(self, c: ClipConfig, content_weight: torch.Tensor):
        super().__init__()
        self.c = c
        self.tok = nn.Embedding(c.text_vocab, c.text_width)
        self.pos = nn.Parameter(torch.randn(1, c.max_text_len, c.text_width) * 0.02)
        self.blocks = nn.ModuleList([Block(c.text_width, c.text_heads, 2.0) for _ in range(c.text_layers)])
        self.ln = nn.LayerNorm(c.text_width)
        self.proj = nn.Linear(c.text_width, c.embed_dim, bias=False)
        self.register_buffer("content_weight", content_weight.float())
        # Feature-surgery centre (CLIP Surgery): the mean text embedding of the labeling word list, subtracted
        # from every text embedding after training so that wrong words score below 0 (set by the build).
        self.register_buffer("center", torch.zeros(c.embed_dim))

    def forward(self, input_ids, attention_mask):
        T = input_ids.shape[1]
        x = self.tok(input_ids) + self.pos[:, :T]
        m = attention_mask.to(x.dtype)
        bias = ((1.0 - m) * -1e4)[:, None, None, :]
        for b in self.blocks:
            x = b(x, bias)
        tokens = self.proj(self.ln(x))
        w = m * (self.content_weight[input_ids] + 1e-3)
        text = (tokens * w[..., None]).sum(1) / w.sum(1, keepdim=True).clamp_min(1e-6)
        return text - self.center, tokens, w


class MiniCLIP(nn.Module):
    def __init__(self, c: ClipConfig, content_weight: torch.Tensor):
        super().__init__()
        self.vision = VisionEncoder(c)
        self.text = TextEncoder(c, content_weight)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))


@dataclass
class LMConfig:
    vocab: int = 1000
    width: int = 96
    layers: int = 3
    heads: int = 4
    max_len: int = 128


class MiniLM(nn.Module):
    """Causal transformer; input-embedding table `embed_tokens` tied with the output head."""

    def __init__(self, c: LMConfig):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab, c.width)
        nn.init.normal_(self.embed_tokens.weight, std=0.25)
        self.pos = nn.Parameter(torch.randn(1, c.max_len, c.width) * 0.02)
        self.blocks = nn.ModuleList([Block(c.width, c.heads, 4.0) for _ in range(c.layers)])
        self.ln = nn.LayerNorm(c.width)
        mask = torch.full((c.max_len, c.max_len), -1e4).triu(1)
        self.register_buffer("causal", mask[None, None], persistent=False)

    def forward(self, inputs_embeds, first: int = 0):
        """Logits [B, S - first, V] for positions first..S-1 (the caption loss needs no logits for the visual
        prefix, and the output head is a third of the work)."""
        S = inputs_embeds.shape[1]
        x = inputs_embeds + self.pos[:, :S]
        bias = self.causal[:, :, :S, :S]
        for b in self.blocks:
            x = b(x, bias)
        if first:   # (no slice at all for first = 0: the ONNX export traces that path and must stay one-input)
            x = x[:, first:]
        return F.linear(self.ln(x), self.embed_tokens.weight)


class Adapter(nn.Module):
    """LLaVA-1.5 mlp2x_gelu: Linear(D,H) - GELU(erf) - Linear(H,H). state_dict keys 0.* and 2.*"""

    def __init__(self, d_in: int, d_out: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d_in, d_out), nn.GELU(), nn.Linear(d_out, d_out))

    def forward(self, x):
        return self.net(x)

    def llava_state(self):
        return {f"model.mm_projector.{k}": v.detach().cpu().float().numpy() for k, v in self.net.state_dict().items()}

    def load_llava_state(self, sd):
        self.net.load_state_dict({k.replace("model.mm_projector.", ""): torch.as_tensor(v) for k, v in sd.items()})
