"""What a run trains against, read from a model pack: the frozen vision encoder (patch tokens for the
adapter, joint-space patch features for SEA labels), the labeling word list with its text embeddings,
the LLM's input-embedding table and tokenizer, and the LLM decoder for the caption loss L_g.
The ONNX graphs run through onnx_torch so L_g back-propagates through the frozen decoder."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import List, Optional

import numpy as np
import torch
import torch.nn as nn

from ..pack import Pack, PackError, load_pack
from ..safetensors_io import SafetensorsError, load_file
from .onnx_torch import OnnxModule


class SourceError(ValueError):
    pass


# A manifest without imageEncoder.prefixTokens means one CLS token, as in the engine (packLoader.ts) and
# docs/model-pack.md: the trainer must drop the same tokens the engine drops.
DEFAULT_PREFIX_TOKENS = 1


class DecoderLM(nn.Module):
    """Duck-types train.caption_loss's `lm`: `.embed_tokens` and `lm(inputs_embeds, first) -> logits` of
    positions first.. ."""

    def __init__(self, decoder: OnnxModule, embed: torch.Tensor, input_name: str, output_name: str):
        super().__init__()
        self.decoder, self.input_name, self.output_name = decoder, input_name, output_name
        self.embed_tokens = nn.Embedding.from_pretrained(embed, freeze=True)
        self.head = decoder.final_matmul(output_name)

    def forward(self, inputs_embeds, first: int = 0):
        feeds = {self.input_name: inputs_embeds}
        if self.head is None:
            return self.decoder(**feeds)[self.output_name][:, first:]
        # The caption loss reads the logits of the caption positions only: the LM head (the widest matrix of a
        # small LM) is applied to those rows, not to the visual tokens' (a third of a demo-pack step).
        k, hidden, weight = self.head
        return torch.matmul(self.decoder.run(feeds, stop=k)[hidden][:, first:], self.decoder.consts[weight])


@dataclass
class Sources:
    pack: Pack
    preprocessor: dict
    vision: OnnxModule
    vision_input: str
    vision_output: str
    patch_output: Optional[str]
    prefix_tokens: int
    words: List[str]
    word_embeds: Optional[torch.Tensor]      # [Q, E] text-encoder embeddings of the word list
    sign: int
    top_n: int
    threshold: float
    embed: torch.Tensor                      # [V, H] LLM input embeddings
    tokenizer: object
    lm: Optional[DecoderLM]
    bos: int
    eos: int
    pad: int
    hidden_dim: int                          # adapter input D
    identity: str = ""                      # Hugging Face models in use (keys the feature/label cache)


def from_pack(pack_dir, device) -> Sources:
    try:
        pack = load_pack(pack_dir)
        m = pack.manifest
        enc = m["imageEncoder"]
        pre_path = pack.path(enc["preprocessor"], "image preprocessor config")
        preprocessor = json.loads(pre_path.read_text())
        vision = OnnxModule(pack.path(enc["onnx"], "image encoder ONNX")).to_device(device)
        embed = torch.from_numpy(pack.embeddings()).to(device)
        tok = pack.llm_tokenizer()
        lab = m.get("labeling")
        words, word_embeds, sign, top_n, thr = [], None, 1, 10, 0.0
        if lab:
            words = pack.word_list()
            we = lab["wordEmbeddings"]
            sd = load_file(str(pack.path(we["file"], "labeling word embeddings")))
            if we["tensor"] not in sd:
                raise SourceError(f"{pack.root / we['file']}: tensor {we['tensor']!r} not found (have {sorted(sd)})")
            word_embeds = torch.from_numpy(sd[we["tensor"]].astype(np.float32))
            if word_embeds.shape[0] != len(words):
                raise SourceError(f"{pack.root / we['file']}: {word_embeds.shape[0]} embeddings for "
                                  f"{len(words)} words in {lab['wordList']}")
            sign, top_n, thr = int(lab.get("sign", 1)), int(lab.get("topN", 10)), float(lab.get("threshold", 0))
        dec = m["llm"].get("decoder")
        lm = None
        if dec:
            d = OnnxModule(pack.path(dec["onnx"], "LLM decoder ONNX")).to_device(device)
            lm = DecoderLM(d, embed, dec.get("inputsEmbeds", "inputs_embeds"), dec.get("output", "logits")).to(device)
        v = tok.vocab
        a = pack.adapter(m.get("defaultAdapter"))
    except (PackError, SafetensorsError, OSError, KeyError, json.JSONDecodeError) as e:
        raise SourceError(f"{pack_dir}: cannot train against this pack: {e}") from None
    return Sources(pack, preprocessor, vision, enc.get("input", vision.input_names[0]), enc.get("output", "last_hidden_state"),
                   enc.get("patchEmbedsOutput"), int(enc.get("prefixTokens", DEFAULT_PREFIX_TOKENS)), words, word_embeds, sign, top_n, thr,
                   embed, tok, lm, v.get("<s>", 1), v.get("</s>", 2), v.get("<pad>", 3), int(a[0].shape[1]))
