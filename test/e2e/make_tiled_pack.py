"""A tiny random-weight LLaVA-NeXT checkpoint (transformers' own classes, sharded safetensors, the processor's
config, a real tokenizer) and its pack through `python -m sealens.hfpack init`, for the tiled-model scenario
of the real-VS-Code tests. Usage: make_tiled_pack.py OUT_DIR TOKENIZER_DIR → OUT_DIR/{ckpt,pack}."""
import shutil
import subprocess
import sys
from pathlib import Path

import torch
from transformers import CLIPVisionConfig, LlamaConfig, LlavaNextConfig, LlavaNextForConditionalGeneration
from transformers.models.llava_next.image_processing_llava_next import LlavaNextImageProcessor

out, tok = Path(sys.argv[1]), Path(sys.argv[2])
root = Path(__file__).resolve().parents[2]
pinpoints = [[32, 64], [64, 32], [64, 64]]
torch.manual_seed(0)
vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, image_size=32, patch_size=8, projection_dim=32)
text = LlamaConfig(vocab_size=32064, hidden_size=64, intermediate_size=128, num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=4)
model = LlavaNextForConditionalGeneration(LlavaNextConfig(vision_config=vision, text_config=text, image_grid_pinpoints=pinpoints,
                                                          vision_feature_select_strategy="default", image_token_index=32000)).eval()
shutil.rmtree(out, ignore_errors=True)
model.save_pretrained(str(out / "ckpt"), safe_serialization=True, max_shard_size="2MB")
LlavaNextImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}, image_grid_pinpoints=pinpoints).save_pretrained(str(out / "ckpt"))
for f in ("tokenizer.json", "tokenizer_config.json"):
    shutil.copyfile(tok / f, out / "ckpt" / f)
r = subprocess.run([sys.executable, "-m", "sealens.hfpack", "init", "--src", str(out / "ckpt"), "--out", str(out / "pack"), "--name", "tiny-llava-next"],
                   env={"PYTHONPATH": str(root / "python"), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
sys.stderr.write(r.stderr[-2000:])
sys.exit(r.returncode)
