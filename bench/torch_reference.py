#!/usr/bin/python3
"""PyTorch eager reference of the engine's pipeline for the benchmark: encoder → adapter (mlp2x_gelu) →
cosine top-k against the same candidate rows, on the same preprocessed pixels. Rebuilds the fixture
encoder from encoder/arch.json + encoder/weights.safetensors (no pickle).
Usage: torch_reference.py PACK_DIR PIXELS.f32 CANDIDATES.json K REPEATS  → prints JSON timings (ms)."""
import json
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "fixtures"))
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


def main():
    pack, pixels, cands, k, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    m = json.load(open(os.path.join(pack, "manifest.json")))
    arch = json.load(open(os.path.join(pack, "encoder", "arch.json")))
    vit = TinyViT(arch["img"], arch["patch"], arch["dim"], arch["layers"], arch["heads"], arch["prefix"], arch["proj_dim"], arch["outputs"])
    vit.load_state_dict(read_safetensors(os.path.join(pack, "encoder", "weights.safetensors")))
    vit.eval()
    a = m["adapters"][0]
    sd = read_safetensors(os.path.join(pack, a["safetensors"]))
    l1 = next(p for p in ("model.mm_projector.0", "mm_projector.0", "multi_modal_projector.linear_1") if f"{p}.weight" in sd)
    l2 = {"model.mm_projector.0": "model.mm_projector.2", "mm_projector.0": "mm_projector.2"}.get(l1, "multi_modal_projector.linear_2")
    w1 = sd[f"{l1}.weight"]
    mlp = Mlp2xGelu(w1.shape[1], w1.shape[0])
    mlp.load_state_dict({"l1.weight": w1, "l1.bias": sd[f"{l1}.bias"], "l2.weight": sd[f"{l2}.weight"], "l2.bias": sd[f"{l2}.bias"]})
    mlp.eval()
    emb = read_safetensors(os.path.join(pack, m["llm"]["embeddings"]["file"]))[m["llm"]["embeddings"]["tensor"]]
    ids = json.load(open(cands))
    table = torch.stack([emb[i].mean(0) for i in (torch.tensor(x) for x in ids)])
    table = F.normalize(table, dim=-1)
    enc = m["imageEncoder"]
    h, w = arch["img"], arch["img"]
    x = torch.from_numpy(np.fromfile(pixels, dtype="<f4").reshape(1, 3, h, w))
    names = vit(x)[1]
    out_i = names.index(enc["output"]) if enc["output"] in names else None
    prefix = enc.get("prefixTokens", 1)

    @torch.no_grad()
    def run():
        outs = vit(x)[0]
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
        return (F.normalize(proj, dim=-1) @ table.t()).topk(k, dim=-1)

    t0 = time.perf_counter()
    first = run()
    cold = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"cold_ms": cold, "warm_ms": statistics.median(times), "top1": first.indices[:, 0].tolist(),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
