"""`sea-lens pack init`: a SEA Lens model pack from a Hugging Face MLLM checkpoint.

The vision tower is exported to ONNX with the hidden state the model really feeds its projector, the
projector is kept as safetensors where the engine builds it (LLaVA's mlp2x_gelu) and exported to ONNX
otherwise, the processor settings are copied as the model's own image processor reads them, and the LLM's
input-embedding table is referenced in place in the checkpoint. Each model family is one module in
`families/` and one entry in `registry.py`; its geometry (views, token boxes) lives in the engine's
`src/engine/families/<family>/`.
"""
