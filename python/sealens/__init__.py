"""SEA Lens Python package: procedural world, mini-CLIP, mini-LM, SEA reference implementation, pack builder."""
__all__ = ["world", "sea", "models", "train", "evaluate", "export", "pack", "safetensors_io", "tokenizers", "tokenmap"]
