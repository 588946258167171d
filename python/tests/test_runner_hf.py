"""The Hugging Face model path of the fine-tuning run (config keys labelModel / llm / allowDownload), on tiny
randomly initialised models saved with save_pretrained into a temp folder and loaded back the way a user's
local model folder is: a CLIP or SigLIP model as the vision tower and label source, a Llama as the LLM
(its tokenizer is the tiny pack's tokenizer.json, its embedding table the pack's, as for a pack built from
that LLM). Tests that need `transformers` skip with the reason when it is missing.

    PYTHONPATH=python python3 -m pytest python/tests/test_runner_hf.py -q
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import ROOT, write_run_config
from sealens.runner.config import ConfigError
from sealens.runner.tinypack import WORDS, build
from sealens.safetensors_io import load_file

try:
    import transformers
except ImportError:
    transformers = None

needs_tf = pytest.mark.skipif(transformers is None, reason=(
    f"SKIPPED: transformers is not importable in {sys.executable}; the Hugging Face model path (labelModel / llm) "
    f"is only tested where it is installed (pip install transformers)"))

# No test may reach the network: the hub client is told it is offline and gets an empty cache.
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


@pytest.fixture(autouse=True)
def offline_hub(tmp_path, monkeypatch):
    for k, v in OFFLINE.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build(tmp_path_factory.mktemp("tiny-hf"))


def word_tokenizer(words, eos="[EOS]"):
    """A word-level fast tokenizer (the `tokenizers` library, a dependency of transformers) for the tiny
    text towers: enough to encode the prompts, with an end token the text model pools on."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", eos] + sorted(set(words)))}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.post_processor = processors.TemplateProcessing(single=f"$A {eos}", special_tokens=[(eos, vocab[eos])])
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="[PAD]", unk_token="[UNK]", eos_token=eos), vocab


def save_vision_tower(d: Path, kind: str, hidden: int = 32) -> Path:
    torch.manual_seed(1)
    tok, vocab = word_tokenizer(["a", "photo", "of", "."] + WORDS)
    vision = dict(image_size=32, patch_size=8, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=2,
                  num_attention_heads=2)
    if kind == "clip":
        text = dict(vocab_size=len(vocab), hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                    max_position_embeddings=32, eos_token_id=vocab["[EOS]"], pad_token_id=0, bos_token_id=vocab["[EOS]"])
        model = transformers.CLIPModel(transformers.CLIPConfig(text_config=text, vision_config=vision, projection_dim=16))
        proc = transformers.CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32},
                                               image_mean=[0.5] * 3, image_std=[0.25] * 3)
    else:
        text = dict(vocab_size=len(vocab), hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=1,
                    num_attention_heads=2, max_position_embeddings=64, pad_token_id=0, eos_token_id=vocab["[EOS]"])
        model = transformers.SiglipModel(transformers.SiglipConfig(text_config=text, vision_config=vision))
        proc = transformers.SiglipImageProcessor(size={"height": 32, "width": 32})
    model.save_pretrained(d)
    tok.save_pretrained(d)
    proc.save_pretrained(d)
    return d


def save_llm(d: Path, pack: Path) -> Path:
    """A tiny Llama whose vocabulary and input embeddings are the pack's (the pack was 'built from' it)."""
    emb = load_file(str(pack / "llm/embed_tokens.safetensors"))["model.embed_tokens.weight"]
    tok = transformers.PreTrainedTokenizerFast(tokenizer_file=str(pack / "llm/tokenizer.json"), bos_token="<s>",
                                               eos_token="</s>", unk_token="<unk>", pad_token="<pad>")
    assert len(tok) == emb.shape[0], "the pack's tokenizer.json and embedding table disagree"
    torch.manual_seed(2)
    cfg = transformers.LlamaConfig(vocab_size=emb.shape[0], hidden_size=emb.shape[1], intermediate_size=48,
                                   num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                                   max_position_embeddings=64, bos_token_id=tok.bos_token_id,
                                   eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    model = transformers.LlamaForCausalLM(cfg)
    with torch.no_grad():
        model.get_input_embeddings().weight.copy_(torch.from_numpy(emb))
    model.save_pretrained(d)
    tok.save_pretrained(d)
    return d


def write_config(d: Path, tiny: Path, **over) -> Path:
    return write_run_config(d, tiny, **{"outputName": "hf", "epochs": 2, "checkpointEvery": 2, **over})


def test_without_transformers_the_hf_keys_fail_with_what_to_install(monkeypatch):
    from sealens.runner import hf_sources
    monkeypatch.setitem(sys.modules, "transformers", None)   # makes `import transformers` raise ImportError
    with pytest.raises(ConfigError, match=r"llm/labelModel: Hugging Face models need the `transformers` package.*"
                                          r"pip install transformers.*or remove these keys"):
        hf_sources.require_transformers()


@needs_tf
def test_clip_labels_and_llama_llm_train_end_to_end(tiny, tmp_path):
    clip = save_vision_tower(tmp_path / "clip", "clip")
    llm = save_llm(tmp_path / "llama", tiny / "pack")
    run = tmp_path / "run"
    # relative model folders resolve against the config's folder, like every other path
    cfg = write_config(tmp_path, tiny, labelModel="clip", llm="llama")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "OMP_NUM_THREADS": "1", **OFFLINE,
           "HF_HOME": str(tmp_path / "hf-home")}
    r = subprocess.run([sys.executable, "-m", "sealens.runner", "--config", str(cfg), "--run-dir", str(run), "--threads", "1"],
                       env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
    ev = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    assert ev[0]["event"] == "environment" and ev[0]["transformers"]
    start = next(e for e in ev if e["event"] == "start")
    assert start["lossG"] and start["lossA"], start
    steps = [e for e in ev if e["event"] == "step"]
    assert len(steps) == 6 and all(np.isfinite(e["loss"]) and e["lossG"] > 0 and e["lossA"] > 0 for e in steps)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "done" and summary["pairsPerSecond"] > 0
    sd = load_file(str(run / "out" / "adapter.safetensors"))
    assert sd["model.mm_projector.0.weight"].shape == (24, 32) and sd["model.mm_projector.2.weight"].shape == (24, 24)
    # labels and word embeddings were precomputed once and cached on disk, keyed by the models
    assert json.loads((run / "cache" / "features" / "meta.json").read_text())["done"]
    assert len(list((run / "cache").glob("word-embeds-*.safetensors"))) == 1
    assert json.loads((run / "pack" / "manifest.json").read_text())["defaultAdapter"] == "hf"


@needs_tf
def test_siglip_vision_tower_features_labels_and_cached_text_embeddings(tiny, tmp_path):
    from sealens.runner import config, features, hf_sources
    from sealens.runner.dataset import load as load_dataset
    save_vision_tower(tmp_path / "siglip", "siglip")
    c = config.load(write_config(tmp_path, tiny, labelModel=str(tmp_path / "siglip")))
    src = hf_sources.from_hf(c, torch.device("cpu"), tmp_path / "cache")
    assert src.word_embeds.shape == (len(WORDS), 32) and src.identity.startswith("labelModel=")
    ds = load_dataset(c.resolve(c.dataset), src.preprocessor)
    assert ds.pixels.shape[1:] == (3, 32, 32)
    t = features.compute(src, ds, torch.device("cpu"))
    assert t["features"].shape == (12, 16, 32)          # 4×4 patches, no CLS in SigLIP, width 32
    assert t["label_idx"].shape == (12, 16, src.top_n) and (t["label_idx"] < len(WORDS)).all()
    # the text embeddings come from the disk cache the second time: the text tower is not asked again
    calls = []
    model = src.vision.model
    real = model.get_text_features
    model.get_text_features = lambda **kw: calls.append(1) or real(**kw)
    tok = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "siglip"), local_files_only=True)
    again = hf_sources.text_embeddings(model, tok, src.words, "a photo of {}.", "siglip", tmp_path / "cache", src.identity.split("=", 1)[1])
    assert calls == [] and torch.allclose(again, src.word_embeds)
    hf_sources.text_embeddings(model, tok, src.words, "a picture of {}.", "siglip", tmp_path / "cache", "other")
    assert calls, "a different prompt or model must not reuse the cache"


@needs_tf
def test_hf_models_are_never_downloaded_unless_allowed(tiny, tmp_path):
    from sealens.runner import config, hf_sources
    from sealens.runner.sources import SourceError
    c = config.load(write_config(tmp_path, tiny, labelModel="sealens-tests/not-a-local-model"))
    with pytest.raises(SourceError, match=r"labelModel 'sealens-tests/not-a-local-model': cannot load it .*downloads are off.*allowDownload"):
        hf_sources.from_hf(c, torch.device("cpu"), tmp_path / "cache")


@needs_tf
def test_hf_models_that_do_not_fit_the_pack_are_refused_before_training(tiny, tmp_path):
    from sealens.runner import config, hf_sources
    from sealens.runner.sources import SourceError
    save_vision_tower(tmp_path / "wide", "clip", hidden=48)
    c = config.load(write_config(tmp_path, tiny, labelModel=str(tmp_path / "wide")))
    with pytest.raises(SourceError, match=r"gives 48-wide patch tokens but the adapters of .* take 32"):
        hf_sources.from_hf(c, torch.device("cpu"), tmp_path / "cache")


@needs_tf
def test_hf_lm_computes_caption_logits_only_and_equal_to_the_full_forward(tiny, tmp_path):
    """HFLM(first=P) asks the model for the last S − P positions (`logits_to_keep`), which must equal the full
    forward's logits sliced at P: the caption loss and its gradients do not change, only the work does."""
    from sealens.runner.hf_sources import HFLM
    model = transformers.LlamaForCausalLM.from_pretrained(str(save_llm(tmp_path / "llm", tiny / "pack"))).eval()
    lm = HFLM(model)
    assert lm.keep_arg in ("logits_to_keep", "num_logits_to_keep"), "this transformers can skip the prefix's logits"
    x = torch.randn(2, 9, model.config.hidden_size)
    with torch.no_grad():
        full = model(inputs_embeds=x, use_cache=False).logits
        for first in (0, 1, 4, 8):
            got = lm(x, first=first)
            assert got.shape == (2, 9 - first, model.config.vocab_size)
            assert torch.allclose(got, full[:, first:], atol=1e-5), f"first={first}"
