#!/usr/bin/python3
"""PyTorch eager reference of the engine's pipeline for the benchmark: encoder → adapter (mlp2x_gelu) →
cosine top-k against the same candidate rows, on the same preprocessed pixels. Rebuilds the encoder as an
ordinary torch module: fixture packs from encoder/arch.json + encoder/weights.safetensors (no pickle); packs
that ship the encoder as ONNX only (the demo pack) as python/sealens/models.py's VisionEncoder with the ONNX
initializers as its weights, so the reference is real eager PyTorch, not a graph interpreter.
Usage: torch_reference.py PACK_DIR PIXELS.f32 CANDIDATES.json K REPEATS  → prints JSON timings (ms) and the
top-1 candidate index per patch (the caller checks it against the engine's before trusting the ratio)."""
import json
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "fixtures"))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from make_packs import Mlp2xGelu, TinyViT  # noqa: E402

DT = {"F32": np.float32, "F16": np.float16, "BF16": None}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for k, v in header.items():
            if k == "__metadata__":
                continue
            a, b = v["data_offsets"]
            f.seek(base + a)
            raw = f.read(b - a)
            if v["dtype"] == "BF16":
                arr = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
            else:
                arr = np.frombuffer(raw, DT[v["dtype"]]).astype(np.float32)
            out[k] = torch.from_numpy(arr.reshape(v["shape"]).copy())
        return out


def vision_encoder_from_onnx(path):
    """models.VisionEncoder with the weights of its own ONNX export (torch.onnx.export names the LayerNorm,
    bias, cls/pos and conv initializers after the module, but stores every nn.Linear weight transposed under
    an anonymous MatMul name: those are taken in graph order, four per block then the projection). Returns
    (module, image size, output names). Raises ValueError naming what does not fit."""
    import onnx
    from onnx import numpy_helper
    from sealens.models import ClipConfig, VisionEncoder

    g = onnx.load(path).graph
    init = {t.name: torch.from_numpy(np.array(numpy_helper.to_array(t), dtype=np.float32)) for t in g.initializer}
    named = {k[2:]: v for k, v in init.items() if k.startswith("v.")}
    need = ("patch.weight", "cls", "pos", "ln.weight")
    if not all(k in named for k in need):
        raise ValueError(f"{path}: not an export of sealens.models.VisionEncoder (missing v.{'/v.'.join(need)} initializers)")
    width, _, patch, _ = named["patch.weight"].shape
    grid = int(round((named["pos"].shape[1] - 1) ** 0.5))
    layers = len({k.split(".")[1] for k in named if k.startswith("blocks.")})
    matmuls = [n.input[1] for n in g.node if n.op_type == "MatMul" and n.input[1] in init and not n.input[1].startswith("v.")]
    if len(matmuls) != 4 * layers + 1:
        raise ValueError(f"{path}: expected {4 * layers + 1} Linear weights for {layers} blocks, found {len(matmuls)}")
    # Head count is not a weight: read it from the attention scale 1/sqrt(width/heads) that multiplies q·kᵀ.
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in g.node if n.op_type == "Constant" and n.attribute}
    soft = next(n for n in g.node if n.op_type == "Softmax")
    mul = next(n for n in g.node if n.op_type == "Mul" and soft.input[0] in n.output)
    scale = float(next(consts[i] for i in mul.input if i in consts))
    heads = int(round(width * scale * scale))
    hidden = init[matmuls[2]].shape[1]
    c = ClipConfig(image_size=grid * patch, patch_size=patch, width=width, layers=layers, heads=heads,
                   mlp_ratio=hidden / width, embed_dim=init[matmuls[-1]].shape[1])
    enc = VisionEncoder(c)
    sd = dict(named)
    for b in range(layers):
        for j, name in enumerate(("attn.qkv", "attn.out", "fc1", "fc2")):
            sd[f"blocks.{b}.{name}.weight"] = init[matmuls[4 * b + j]].t().contiguous()
    sd["proj.weight"] = init[matmuls[-1]].t().contiguous()
    missing, unexpected = enc.load_state_dict(sd, strict=False)
    # patch_center (newer exports) only shifts patch_embeds, which the explain pipeline does not read; older
    # exports lack it. Any other missing or extra tensor means the mapping above is wrong.
    if unexpected or set(missing) - {"patch_center"}:
        raise ValueError(f"{path}: weights do not fit sealens.models.VisionEncoder (missing {missing}, unexpected {unexpected})")
    enc.eval()
    return enc, c.image_size, ["last_hidden_state", "image_embeds", "patch_embeds"]


def main():
    pack, pixels, cands, k, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    # BENCH_THREADS: one thread count, or several ("1,2"). With several, the reps alternate between them and
    # warm_ms is the best median: PyTorch gets its own best thread count, as the engine picks its own by size.
    thread_counts = [int(t) for t in os.environ.get("BENCH_THREADS", "2").split(",")]
    torch.set_num_threads(thread_counts[-1])
    # BENCH_DEVICE=cuda: the same eager pipeline on the GPU (timed with synchronisation), for the GPU bench.
    device = torch.device(os.environ.get("BENCH_DEVICE", "cpu"))
    m = json.load(open(os.path.join(pack, "manifest.json")))
    enc = m["imageEncoder"]
    arch_file = os.path.join(pack, "encoder", "arch.json")
    if os.path.exists(arch_file):
        arch = json.load(open(arch_file))
        vit = TinyViT(arch["img"], arch["patch"], arch["dim"], arch["layers"], arch["heads"], arch["prefix"], arch["proj_dim"], arch["outputs"])
        vit.load_state_dict(read_safetensors(os.path.join(pack, "encoder", "weights.safetensors")))
        vit.eval().to(device)
        img = arch["img"]
        source = "arch.json + safetensors"
    else:
        ve, img, ve_names = vision_encoder_from_onnx(os.path.join(pack, enc["onnx"]))
        ve.to(device)
        # Same calling convention as TinyViT: (outputs, names).
        vit = lambda px: (ve(px), ve_names)  # noqa: E731
        source = "sealens.models.VisionEncoder + ONNX initializers"
    a = next((x for x in m["adapters"] if x["name"] == m.get("defaultAdapter")), m["adapters"][0])
    sd = read_safetensors(os.path.join(pack, a["safetensors"]))
    l1 = next(p for p in ("model.mm_projector.0", "mm_projector.0", "multi_modal_projector.linear_1") if f"{p}.weight" in sd)
    l2 = {"model.mm_projector.0": "model.mm_projector.2", "mm_projector.0": "mm_projector.2"}.get(l1, "multi_modal_projector.linear_2")
    w1 = sd[f"{l1}.weight"]
    mlp = Mlp2xGelu(w1.shape[1], w1.shape[0])
    mlp.load_state_dict({"l1.weight": w1, "l1.bias": sd[f"{l1}.bias"], "l2.weight": sd[f"{l2}.weight"], "l2.bias": sd[f"{l2}.bias"]})
    mlp.eval().to(device)
    emb = read_safetensors(os.path.join(pack, m["llm"]["embeddings"]["file"]))[m["llm"]["embeddings"]["tensor"]]
    ids = json.load(open(cands))
    table = torch.stack([emb[i].mean(0) for i in (torch.tensor(x) for x in ids)])
    table = F.normalize(table, dim=-1).to(device)
    h, w = img, img
    x = torch.from_numpy(np.fromfile(pixels, dtype="<f4").reshape(1, 3, h, w)).to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    prefix = enc.get("prefixTokens", 1)

    @torch.no_grad()
    def run():
        outs, names = vit(x)
        out_i = names.index(enc["output"]) if enc["output"] in names else None
        if "hiddenStateIndex" in enc:
            if out_i is not None:
                feats = outs[out_i][enc["hiddenStateIndex"]][0]
            else:
                per = [n for n in names if n.startswith(enc["output"] + ".")]
                feats = outs[names.index(per[enc["hiddenStateIndex"]])][0]
        else:
            feats = outs[names.index(enc["output"])][0]
        feats = feats[prefix:]
        proj = mlp(feats)
        r = (F.normalize(proj, dim=-1) @ table.t()).topk(k, dim=-1)
        sync()
        return r

    t0 = time.perf_counter()
    first = run()
    cold = (time.perf_counter() - t0) * 1000
    if device.type == "cuda":
        thread_counts = thread_counts[-1:]  # CPU threads do not matter on the GPU
    times = {t: [] for t in thread_counts}
    for _ in range(reps):
        for t in thread_counts:
            torch.set_num_threads(t)
            t0 = time.perf_counter()
            run()
            times[t].append((time.perf_counter() - t0) * 1000)
    medians = {t: statistics.median(v) for t, v in times.items()}
    best = min(medians, key=medians.get)
    print(json.dumps({"cold_ms": cold, "warm_ms": medians[best], "warm_ms_by_threads": medians, "top1": first.indices[:, 0].tolist(),
                      "threads": best, "torch": torch.__version__, "encoder": source, "device": str(device),
                      "adapter": a["name"]}))


if __name__ == "__main__":
    main()
