"""Tokenizers written in the real Hugging Face `tokenizer.json` format, plus Python encoders that give
the same ids (checked against @huggingface/tokenizers by python/tests/node/check_tokenizer.mjs).

* LLM tokenizer: Llama-style SentencePiece BPE — Metaspace pre-tokenizer (`▁`, prepend always),
  BPE merges, byte fallback (<0x00>..<0xFF>), <unk>=0 <s>=1 </s>=2 <pad>=3 marked special, and a
  TemplateProcessing post-processor that prepends <s> (like Llama). Selected world words are
  deliberately kept multi-token (their final merge is blocked) so Eq. 10's sub-token mean is exercised.
* Text-encoder tokenizer (mini-CLIP): WordLevel over whitespace/punctuation pieces.
"""
from __future__ import annotations

import collections
import json
import re
from typing import Dict, Iterable, List, Sequence, Tuple

SPACE = "\u2581"  # ▁
SPECIALS = ["<unk>", "<s>", "</s>", "<pad>"]
UNK, BOS, EOS, PAD = 0, 1, 2, 3
BASE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;!?'\"-()"
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]


def _words(text: str) -> List[str]:
    """Metaspace pre-tokenization (prepend_scheme=always, split=true)."""
    text = text.replace(" ", SPACE)
    if not text.startswith(SPACE):
        text = SPACE + text
    # split before every ▁ (the ▁ stays attached to the following piece)
    return [p for p in re.split(f"(?={SPACE})", text) if p]


class BPETokenizer:
    def __init__(self, vocab: Dict[str, int], merges: List[Tuple[str, str]]):
        self.vocab = vocab
        self.id_to_token = {i: t for t, i in vocab.items()}
        self.merges = merges
        self.ranks = {m: i for i, m in enumerate(merges)}
        self._cache: Dict[str, List[str]] = {}

    # -- training ---------------------------------------------------------------------------------
    @classmethod
    def train(cls, corpus: Iterable[str], keep_split: Sequence[str] = (), max_merges: int = 100000) -> "BPETokenizer":
        freqs: Dict[str, int] = collections.Counter()
        for line in corpus:
            for w in _words(line):
                freqs[w] += 1
        blocked = {SPACE + w for w in keep_split}
        words = {w: list(w) for w in sorted(freqs)}
        merges: List[Tuple[str, str]] = []
        while len(merges) < max_merges:
            pairs: Dict[Tuple[str, str], int] = collections.Counter()
            for w, syms in words.items():
                f = freqs[w]
                for a, b in zip(syms, syms[1:]):
                    ab = a + b
                    if not (ab[:1] == SPACE and any(ab.startswith(x) for x in blocked)):
                        pairs[(a, b)] += f
            if not pairs:
                break
            best = max(pairs.items(), key=lambda kv: (kv[1], [-ord(ch) for ch in kv[0][0] + " " + kv[0][1]]))[0]
            merges.append(best)
            a, b = best
            for w, syms in words.items():
                if len(syms) < 2:
                    continue
                i, out = 0, []
                while i < len(syms):
                    if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                        out.append(a + b)
                        i += 2
                    else:
                        out.append(syms[i])
                        i += 1
                words[w] = out
        vocab: Dict[str, int] = {}
        for t in SPECIALS + BYTE_TOKENS + [SPACE] + list(BASE_CHARS):
            vocab.setdefault(t, len(vocab))
        for ch in sorted({c for w in freqs for c in w}):
            vocab.setdefault(ch, len(vocab))
        for a, b in merges:
            vocab.setdefault(a + b, len(vocab))
        return cls(vocab, merges)

    # -- encoding ---------------------------------------------------------------------------------
    def _bpe(self, word: str) -> List[str]:
        if word in self._cache:
            return self._cache[word]
        syms = list(word)
        while len(syms) > 1:
            best, best_rank = None, None
            for i in range(len(syms) - 1):
                r = self.ranks.get((syms[i], syms[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = i, r
            if best is None:
                break
            syms = syms[:best] + [syms[best] + syms[best + 1]] + syms[best + 2:]
        self._cache[word] = syms
        return syms

    def encode(self, text: str, add_bos: bool = False) -> List[int]:
        ids = [BOS] if add_bos else []
        for w in _words(text):
            for piece in self._bpe(w):
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                else:  # byte fallback
                    ids.extend(self.vocab[f"<0x{b:02X}>"] for b in piece.encode("utf-8"))
        return ids

    def word_pieces(self, word: str) -> List[int]:
        """Sub-token ids of a word as it appears inside text (with its leading ▁, no BOS)."""
        return self.encode(word.strip())

    def decode(self, ids: Sequence[int]) -> str:
        out = bytearray()
        for i in ids:
            t = self.id_to_token[int(i)]
            if t in SPECIALS:
                continue
            m = re.fullmatch(r"<0x([0-9A-F]{2})>", t)
            out.extend(bytes([int(m.group(1), 16)]) if m else t.replace(SPACE, " ").encode("utf-8"))
        s = out.decode("utf-8", errors="replace")
        return s[1:] if s.startswith(" ") else s

    def __len__(self):
        return len(self.vocab)

    # -- Hugging Face format ----------------------------------------------------------------------
    def to_json(self) -> dict:
        added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for i, t in enumerate(SPECIALS)]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "Metaspace", "replacement": SPACE, "prepend_scheme": "always", "split": True},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [BOS], "tokens": ["<s>"]}},
            },
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": SPACE}, "content": " "},
                {"type": "ByteFallback"}, {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
            "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                      "vocab": self.vocab, "merges": [f"{a} {b}" for a, b in self.merges]},
        }

    @staticmethod
    def config_json() -> dict:
        return {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
                "unk_token": "<unk>", "pad_token": "<pad>", "model_max_length": 128, "legacy": False,
                "clean_up_tokenization_spaces": False, "tokenizer_class": "LlamaTokenizerFast"}

    @classmethod
    def from_json(cls, obj: dict) -> "BPETokenizer":
        m = obj["model"]
        merges = [tuple(x.split(" ")) if isinstance(x, str) else tuple(x) for x in m["merges"]]
        return cls(dict(m["vocab"]), merges)


# ------------------------------------------------------------------------------------------------
WORD_RE = re.compile(r"\w+|[^\w\s]+")


class WordTokenizer:
    """Word-level tokenizer for the mini-CLIP text encoder (HF WordLevel + Whitespace pre-tokenizer)."""

    def __init__(self, vocab: Dict[str, int]):
        self.vocab = vocab

    @classmethod
    def build(cls, words: Iterable[str]) -> "WordTokenizer":
        vocab = {"<pad>": 0, "<unk>": 1}
        for w in sorted(set(words)):
            vocab.setdefault(w, len(vocab))
        return cls(vocab)

    def encode(self, text: str) -> List[int]:
        return [self.vocab.get(w, 1) for w in WORD_RE.findall(text)]

    def batch(self, texts: Sequence[str], max_len: int):
        import numpy as np
        ids = np.zeros((len(texts), max_len), np.int64)
        mask = np.zeros((len(texts), max_len), np.int64)
        for i, t in enumerate(texts):
            e = self.encode(t)[:max_len]
            ids[i, :len(e)] = e
            mask[i, :len(e)] = 1
        return ids, mask

    def __len__(self):
        return len(self.vocab)

    def to_json(self) -> dict:
        return {
            "version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                              "normalized": False, "special": True} for t, i in (("<pad>", 0), ("<unk>", 1))],
            "normalizer": None, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None,
            "decoder": None, "model": {"type": "WordLevel", "vocab": self.vocab, "unk_token": "<unk>"},
        }

    @classmethod
    def from_json(cls, obj: dict) -> "WordTokenizer":
        return cls(dict(obj["model"]["vocab"]))


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)
