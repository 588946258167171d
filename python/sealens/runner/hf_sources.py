"""Hugging Face models as what a run trains against (needs `transformers`; config keys `labelModel`,
`llm`, `allowDownload`). The pack stays the frame: its word list, labeling settings and adapters, and the
overlay pack the run writes; the Hugging Face models replace the pack's own encoder / decoder for training.

* `labelModel` — a CLIP or SigLIP model (folder or hub id) is the vision tower, as in LLaVA: the adapter
  reads its penultimate-layer patch tokens (LLaVA's `mm_vision_select_layer = -2`, CLS dropped), and SEA
  labels come from its last-layer patch tokens in the joint image–text space (CLIP: post-layernorm +
  visual projection; SigLIP, which has no per-patch projection: the post-layernormed tokens) scored against
  the text tower's embeddings of the pack's word list (`labeling.promptTemplate`).
* `llm` — a causal LM (folder or hub id): L_g back-propagates through it (frozen) and its input-embedding
  table and tokenizer give the label embeddings (Eq. 10).

Both must match the pack (adapter input width, embedding table shape), or the trained adapter could not be
used with the pack's ONNX graphs; the check fails before any work. Nothing is downloaded unless the config
says `"allowDownload": true` (`local_files_only=True` otherwise), weights load only from safetensors
(`use_safetensors=True`: never pickle), and remote code is never run. Word-list text embeddings are cached
on disk (keyed by model identity, words and prompt); patch labels are cached with the features
(features.py, keyed by the same model identity).
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import numpy as np
import torch
import torch.nn as nn

from ..safetensors_io import load_file_with_metadata, save_file
from .config import ConfigError
from .sources import SourceError, Sources, from_pack

VISION_SELECT_LAYER = -2   # LLaVA-1.5's mm_vision_select_layer


def require_transformers():
    try:
        import transformers
    except ImportError:
        raise ConfigError(f"llm/labelModel: Hugging Face models need the `transformers` package, which {sys.executable} "
                          f"cannot import. Install it (`{sys.executable} -m pip install transformers`) or remove these "
                          f"keys to train against the pack's own encoder and decoder") from None
    return transformers


def resolve_name(cfg, name: str) -> str:
    """A folder relative to the config (if it exists), else a hub id as written."""
    p = cfg.resolve(name)
    return str(p) if p.is_dir() else name


def _load(what: str, name: str, allow_download: bool, fn, **kw):
    try:
        return fn(name, local_files_only=not allow_download, **kw)
    except (OSError, ValueError) as e:
        hint = "" if allow_download else (" — downloads are off: use a local folder, pre-fetch the model into the Hugging "
                                          "Face cache, or set \"allowDownload\": true in the run config")
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SourceError(f"{what} {name!r}: cannot load it ({first}){hint}") from None


def model_identity(name: str, allow_download: bool) -> str:
    """What the label cache is keyed by: the resolved config.json (path + content) and the weight files' sizes
    and mtimes, so a changed or re-downloaded model never reuses stale labels."""
    from transformers.utils import cached_file
    cfg_path = Path(_load("model", name, allow_download, lambda n, **kw: cached_file(n, "config.json", **kw)))
    h = hashlib.sha256(str(cfg_path.resolve()).encode() + cfg_path.read_bytes())
    for f in sorted(cfg_path.parent.glob("*.safetensors")):
        st = f.stat()
        h.update(f"{f.name}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _features(out, key: str) -> torch.Tensor:
    """get_text_features returns a tensor in transformers 4.x and a model output in 5.x."""
    if torch.is_tensor(out):
        return out
    for k in (key, "pooler_output"):
        v = getattr(out, k, None)
        if v is not None:
            return v
    raise SourceError(f"unexpected output of get_text_features: {type(out).__name__}")


class HFVision(nn.Module):
    """pixel_values -> {"features": adapter input [B, P, D], "patch_embeds": joint-space patch tokens [B, P, E]}."""

    def __init__(self, model, kind: str):
        super().__init__()
        self.model, self.kind = model, kind

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.vision_config.hidden_size)

    def forward(self, pixel_values):
        vm = self.model.vision_model
        # The layer's output is caught with a hook: transformers ≥ 4.54 no longer fills `hidden_states` when the
        # inner vision transformer is called on its own (only the outer model's decorator collects them).
        caught = []
        hook = vm.encoder.layers[VISION_SELECT_LAYER].register_forward_hook(
            lambda _m, _inp, o: caught.append(o[0] if isinstance(o, tuple) else o))
        try:
            last = vm(pixel_values=pixel_values).last_hidden_state
        finally:
            hook.remove()
        hs = caught[-1]
        if self.kind == "clip":   # CLS first; last_hidden_state is before post_layernorm
            return {"features": hs[:, 1:], "patch_embeds": self.model.visual_projection(vm.post_layernorm(last[:, 1:]))}
        return {"features": hs, "patch_embeds": last}   # SigLIP: no CLS, last_hidden_state is post-layernormed


class HFLM(nn.Module):
    """Duck-types train.caption_loss's `lm`: `.embed_tokens` and `lm(inputs_embeds, first) -> logits` of
    positions first.. ."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.embed_tokens = model.get_input_embeddings()
        # The LM head is a large share of the step (vocabulary × width per position); the caption loss needs no
        # logits for the visual prefix, so where the model can skip them (transformers' `logits_to_keep`, formerly
        # `num_logits_to_keep`: the last k positions) it does. Older models compute all and are sliced.
        params = inspect.signature(model.forward).parameters
        self.keep_arg = next((a for a in ("logits_to_keep", "num_logits_to_keep") if a in params), None)

    def forward(self, inputs_embeds, first: int = 0):
        if first and self.keep_arg:
            keep = {self.keep_arg: inputs_embeds.shape[1] - first}
            return self.model(inputs_embeds=inputs_embeds, use_cache=False, **keep).logits
        return self.model(inputs_embeds=inputs_embeds, use_cache=False).logits[:, first:]


class HFTokenizer:
    """The slice of BPETokenizer the runner and evaluation use, over a Hugging Face tokenizer."""

    def __init__(self, tok):
        self.tok = tok
        self.vocab = tok.get_vocab()

    def encode(self, text: str) -> List[int]:
        return list(self.tok(text, add_special_tokens=False)["input_ids"])

    def word_pieces(self, word: str) -> List[int]:
        ids = self.encode(word.strip())
        if not ids:
            raise SourceError(f"the LLM tokenizer encodes the label word {word!r} to no tokens")
        return ids

    def decode(self, ids) -> str:
        return self.tok.decode(list(ids), skip_special_tokens=True)

    def __len__(self):
        return len(self.vocab)


def _load_model(transformers, what: str, name: str, allow: bool, auto_cls):
    model = _load(what, name, allow, auto_cls.from_pretrained, use_safetensors=True, trust_remote_code=False,
                  dtype=torch.float32)
    return model.float().eval().requires_grad_(False)


@torch.no_grad()
def text_embeddings(model, tok, words: List[str], template: str, kind: str, cache_dir: Path, identity: str,
                    batch: int = 256) -> torch.Tensor:
    key = hashlib.sha256(json.dumps([identity, template, words]).encode()).hexdigest()
    f = cache_dir / f"word-embeds-{key[:24]}.safetensors"
    if f.is_file():
        try:
            t, meta = load_file_with_metadata(str(f))
            if meta and meta.get("key") == key:
                return torch.from_numpy(t["text_embeds"].copy())
        except ValueError:
            pass   # a damaged cache is recomputed, never trusted
    prompts = [template.format(w) if "{}" in template else f"{template} {w}" for w in words]
    pad = {"padding": "max_length", "max_length": 64} if kind == "siglip" else {"padding": True}
    outs = []
    for i in range(0, len(prompts), batch):
        enc = tok(prompts[i:i + batch], truncation=True, return_tensors="pt", **pad)
        outs.append(_features(model.get_text_features(**enc), "text_embeds").float())
    emb = torch.cat(outs)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".{f.name}.{os.getpid()}"
    save_file({"text_embeds": emb.numpy()}, str(tmp), {"key": key})
    os.replace(tmp, f)
    return emb


def preprocessor_config(name: str, allow: bool) -> dict:
    from transformers.utils import cached_file
    p = _load("labelModel", name, allow, lambda n, **kw: cached_file(n, "preprocessor_config.json", **kw))
    try:
        return json.loads(Path(p).read_text())
    except (OSError, ValueError) as e:
        raise SourceError(f"{p}: unreadable image preprocessor config ({e})") from None


def from_hf(cfg, device, cache_dir: Path) -> Sources:
    transformers = require_transformers()
    src = from_pack(cfg.resolve(cfg.pack), device)
    allow = bool(cfg.allow_download)
    ids = []
    if cfg.label_model:
        name = resolve_name(cfg, cfg.label_model)
        model = _load_model(transformers, "labelModel", name, allow, transformers.AutoModel)
        kind = getattr(model.config, "model_type", "")
        kind = "clip" if kind == "clip" else "siglip" if kind.startswith("siglip") else kind
        if kind not in ("clip", "siglip") or not hasattr(model, "vision_model") or not hasattr(model, "text_model"):
            raise SourceError(f"labelModel {name!r} is a {kind or 'unknown'} model; a CLIP or SigLIP model "
                              f"(vision and text towers) is expected")
        lab = src.pack.manifest.get("labeling")
        if not lab or not src.words:
            raise SourceError(f"{src.pack.root / 'manifest.json'}: labelModel needs the pack's labeling.wordList "
                              f"(the words to label patches with)")
        vision = HFVision(model, kind).to(device)
        d_pack = src.hidden_dim
        if vision.hidden_size != d_pack:
            raise SourceError(f"labelModel {name!r} gives {vision.hidden_size}-wide patch tokens but the adapters of "
                              f"{src.pack.root} take {d_pack}: the trained adapter would not fit the pack's encoder. "
                              f"Use the model the pack's encoder was exported from")
        identity = model_identity(name, allow)
        ids.append(f"labelModel={identity}")
        tok = _load("labelModel tokenizer", name, allow, transformers.AutoTokenizer.from_pretrained)
        src.word_embeds = text_embeddings(model, tok, src.words, lab.get("promptTemplate", "a photo of {}."), kind,
                                          cache_dir, identity)
        src.vision, src.vision_input, src.vision_output, src.patch_output = vision, "pixel_values", "features", "patch_embeds"
        src.prefix_tokens = 0
        src.preprocessor = preprocessor_config(name, allow)
    if cfg.llm:
        name = resolve_name(cfg, cfg.llm)
        model = _load_model(transformers, "llm", name, allow, transformers.AutoModelForCausalLM)
        tok = _load("llm tokenizer", name, allow, transformers.AutoTokenizer.from_pretrained)
        lm = HFLM(model).to(device)
        embed = lm.embed_tokens.weight.detach()
        if tuple(embed.shape) != tuple(src.embed.shape):
            raise SourceError(f"llm {name!r} has a {tuple(embed.shape)} input-embedding table but the pack "
                              f"{src.pack.root} has {tuple(src.embed.shape)}: use the LLM the pack was built from")
        ids.append(f"llm={model_identity(name, allow)}")
        src.lm, src.embed, src.tokenizer = lm, embed, HFTokenizer(tok)
        eos = tok.eos_token_id if tok.eos_token_id is not None else 0
        src.bos = tok.bos_token_id if tok.bos_token_id is not None else eos
        src.eos = eos
        # no pad token (Llama): unk, as LLaVA does; pad positions are masked out of L_g either way
        src.pad = next((t for t in (tok.pad_token_id, tok.unk_token_id) if t is not None), eos)
    src.identity = ";".join(ids)
    return src
