"""The environment these tests run in is the one python/requirements-hf.txt pins: a stale .venv (the file
changed, ensure-python did not run) fails here by name instead of somewhere obscure."""
from importlib.metadata import version

import torch
import transformers


def test_installed_versions_match_the_pins(pinned_versions):
    pins = pinned_versions
    assert {"torch", "transformers", "onnx"} <= set(pins), f"requirements-hf.txt lost a core pin: {sorted(pins)}"
    wrong = {name: (version(name), want) for name, want in pins.items() if version(name).split("+")[0] != want}
    assert not wrong, f"installed ≠ pinned (installed, pinned): {wrong}; run `node scripts/ensure-python.mjs`"


def test_torch_and_transformers_work_together():
    # A tiny randomly initialised BERT: exercises transformers' modelling code on this torch, no download.
    config = transformers.BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    model = transformers.BertModel(config).eval()
    with torch.no_grad():
        out = model(input_ids=torch.tensor([[1, 5, 7, 2]]))
    assert out.last_hidden_state.shape == (1, 4, 16)
    assert torch.isfinite(out.last_hidden_state).all()
