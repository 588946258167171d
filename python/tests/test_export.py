"""Export round trip: ONNX (run by onnxruntime-node) vs PyTorch within 1e-4; safetensors keys/shapes/dtypes."""
import numpy as np
import onnx
import torch

from nodecheck import run_onnx
from sealens import export
from sealens.models import Adapter, ClipConfig, LMConfig, MiniCLIP, MiniLM
from sealens.safetensors_io import load_file, save_file

C = ClipConfig(text_vocab=50)


def _models():
    torch.manual_seed(0)
    clip = MiniCLIP(C, (torch.arange(50) % 3 != 0).float()).eval()
    with torch.no_grad():
        clip.text.center.normal_()
    lm = MiniLM(LMConfig(vocab=70, width=32, layers=2, heads=2, max_len=40)).eval()
    ad = Adapter(C.width, 32).eval()
    return clip, lm, ad


def _check_graph(path, opset_ok=(14, 17)):
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    assert opset_ok[0] <= max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")) <= opset_ok[1]
    assert all(i.data_location != onnx.TensorProto.EXTERNAL for i in m.graph.initializer)
    ops = {n.op_type for n in m.graph.node}
    return m, ops


def test_vision_onnx_matches_torch(tmp_path):
    clip, _, _ = _models()
    p = tmp_path / "v.onnx"
    export._onnx(export._Vision(clip.vision), (torch.zeros(1, 3, 96, 96),), p, ["pixel_values"],
                 ["last_hidden_state", "image_embeds", "patch_embeds"],
                 {"pixel_values": {0: "b"}, "last_hidden_state": {0: "b"}, "image_embeds": {0: "b"}, "patch_embeds": {0: "b"}})
    _, ops = _check_graph(p)
    assert "Erf" in ops                                    # exact GELU
    x = torch.randn(3, 3, 96, 96)                          # batch 3 != export batch 1: dynamic axis
    out = run_onnx(p, {"pixel_values": x.numpy()}, tmp_path / "run")
    with torch.no_grad():
        h, ie, pe = clip.vision(x)
    assert out["last_hidden_state"].shape == (3, 65, C.width)
    for a, b in ((out["last_hidden_state"], h), (out["image_embeds"], ie), (out["patch_embeds"], pe)):
        assert np.abs(a - b.numpy()).max() < 1e-4


def test_text_onnx_matches_torch(tmp_path):
    clip, _, _ = _models()
    p = tmp_path / "t.onnx"
    export._onnx(export._Text(clip.text), (torch.ones(2, 24, dtype=torch.long), torch.ones(2, 24, dtype=torch.long)), p,
                 ["input_ids", "attention_mask"], ["text_embeds"],
                 {"input_ids": {0: "b", 1: "s"}, "attention_mask": {0: "b", 1: "s"}, "text_embeds": {0: "b"}})
    ids = torch.randint(2, 50, (4, 10))
    mask = torch.ones(4, 10, dtype=torch.long)
    mask[1, 6:] = 0
    out = run_onnx(p, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}, tmp_path / "run")
    with torch.no_grad():
        ref = clip.text(ids, mask)[0]
    assert np.abs(out["text_embeds"] - ref.numpy()).max() < 1e-4


def test_adapter_and_decoder_onnx_match_torch_and_safetensors(tmp_path):
    _, lm, ad = _models()
    p = tmp_path / "a.onnx"
    export._onnx(ad.net, (torch.zeros(1, 64, C.width),), p, ["image_features"], ["visual_tokens"],
                 {"image_features": {0: "b", 1: "p"}, "visual_tokens": {0: "b", 1: "p"}})
    x = torch.randn(2, 64, C.width)
    out = run_onnx(p, {"image_features": x.numpy()}, tmp_path / "ra")
    with torch.no_grad():
        assert np.abs(out["visual_tokens"] - ad(x).numpy()).max() < 1e-4
    st = tmp_path / "a.safetensors"
    save_file(ad.llava_state(), str(st))
    sd = load_file(str(st))
    assert sorted(sd) == ["model.mm_projector.0.bias", "model.mm_projector.0.weight",
                          "model.mm_projector.2.bias", "model.mm_projector.2.weight"]
    assert sd["model.mm_projector.0.weight"].shape == (32, C.width) and sd["model.mm_projector.2.weight"].shape == (32, 32)
    assert all(v.dtype == np.float32 for v in sd.values())
    ad2 = Adapter(C.width, 32)
    ad2.load_llava_state(sd)
    with torch.no_grad():
        assert torch.allclose(ad2(x), ad(x))
    pd = tmp_path / "d.onnx"
    export._onnx(lm, (torch.zeros(1, 8, 32),), pd, ["inputs_embeds"], ["logits"],
                 {"inputs_embeds": {0: "b", 1: "s"}, "logits": {0: "b", 1: "s"}})
    e = torch.randn(2, 13, 32)
    out = run_onnx(pd, {"inputs_embeds": e.numpy()}, tmp_path / "rd")
    with torch.no_grad():
        assert np.abs(out["logits"] - lm(e).numpy()).max() < 1e-4
