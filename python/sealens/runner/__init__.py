"""The SEA fine-tuning run behind "SEA Lens: Train SEA Adapter…" and `sea-lens train`: features and labels
from a model pack (or Hugging Face models), a resumable, crash-safe training loop that reports JSON lines,
optional multi-process training, export of the adapter and a before/after evaluation.

    python -m sealens.runner --config RUN/config.json --run-dir RUN [--out DIR]
"""
