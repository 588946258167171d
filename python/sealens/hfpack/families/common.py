"""What every family's export shares: the context it runs in, building one sub-model of the checkpoint with
the model's own classes and only that sub-model's weights, cutting the tower at the layer the projector
reads, and writing the processor settings."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from ..checkpoint import Checkpoint
from ..errors import CheckpointInvalid, Unsupported


@dataclass
class Context:
    ckpt: Checkpoint
    config: object            # the transformers PretrainedConfig of the whole model
    out: Path                 # the (temporary) pack folder being written
    layer: int | None         # --layer: overrides the config's vision feature layer
    progress: Callable[[str, float], None]
    notes: list = field(default_factory=list)

    @property
    def mapping(self) -> dict:
        """The model class's checkpoint key conversion (old → current prefixes)."""
        return getattr(self.model_class, "_checkpoint_conversion_mapping", None) or {}

    @property
    def model_class(self):
        import transformers
        archs = getattr(self.config, "architectures", None) or []
        for a in archs:
            cls = getattr(transformers, a, None)
            if cls is not None:
                return cls
        from transformers import AutoModelForImageTextToText
        return AutoModelForImageTextToText._model_mapping[type(self.config)]


def build(module_factory, ctx: Context, prefixes: tuple[str, ...], strict: bool = True) -> torch.nn.Module:
    """A sub-model built with transformers' own class (no random init), loaded with the checkpoint tensors under
    the first prefix that has any (canonical key names), in float32."""
    from transformers.modeling_utils import no_init_weights
    with no_init_weights():
        module = module_factory()
    last = None
    for prefix in prefixes:
        try:
            sd = ctx.ckpt.state_dict(prefix, ctx.mapping)
        except CheckpointInvalid as e:
            last = e
            continue
        # assign: the checkpoint's float32 tensors become the parameters, instead of being copied into the
        # constructor's (never initialised) ones — one copy of the tower in memory, not two (pack init's peak).
        missing, unexpected = module.load_state_dict(sd, strict=False, assign=True)
        del sd
        # Buffers that checkpoints do not store (position ids) keep their constructor values.
        missing = [k for k in missing if k not in dict(module.named_buffers())]
        if strict and (missing or unexpected):
            raise CheckpointInvalid(f"{ctx.ckpt.dir}: the tensors under {prefix!r} do not fit {type(module).__name__}: "
                                    f"missing {missing[:5]}, unexpected {unexpected[:5]}")
        return module.float().eval()
    raise last or CheckpointInvalid(f"{ctx.ckpt.dir}: no tensors under {prefixes}")


def feature_layer_index(layer: int, num_layers: int) -> int:
    """hidden_states index (0 = embeddings, i = after layer i) of a possibly negative feature layer."""
    idx = layer if layer >= 0 else num_layers + 1 + layer
    if not 0 <= idx <= num_layers:
        raise Unsupported(f"feature layer {layer} does not exist in a {num_layers}-layer vision tower")
    return idx


def cut_layers(layers: torch.nn.ModuleList, keep: int) -> None:
    """Drop the layers after the one the projector reads: they never influence the export's output."""
    while len(layers) > keep:
        del layers[len(layers) - 1]


def copy_processor(ctx: Context) -> str:
    """The image processor's settings, as the model's own processor reads them (preprocessor_config.json)."""
    src = ctx.ckpt.dir / "preprocessor_config.json"
    if not src.is_file():
        raise CheckpointInvalid(f"{ctx.ckpt.dir}: no preprocessor_config.json — the image processor's settings are needed to reproduce its views")
    try:
        json.loads(src.read_text(encoding="utf-8"))
    except ValueError as e:
        raise CheckpointInvalid(f"{src}: not valid JSON ({e})") from None
    shutil.copyfile(src, ctx.out / "preprocessor_config.json")
    return "preprocessor_config.json"


def save_tensors(path: Path, tensors: dict) -> None:
    from safetensors.torch import save_file
    save_file({k: v.detach().contiguous().float() for k, v in tensors.items()}, str(path))
