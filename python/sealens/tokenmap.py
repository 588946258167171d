"""TokenMap: what each visual token of an image means (nearest LLM words after the adapter), as JSON for
SEA Lens. The contract is schemas/tokenmap.schema.json (version 2: every token with its box on the image);
`tokenmap()` builds one and `validate()` checks any map against that same schema file. In Jupyter:
`display_tokenmap(tokenmap(pack_dir, features, image_size=(w, h)))` publishes MIME
`application/vnd.sealens.tokenmap+json` (rendered by the SEA Lens notebook renderer)."""
from __future__ import annotations

import json
from pathlib import Path

MIME = "application/vnd.sealens.tokenmap+json"
SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "tokenmap.schema.json"


def validate(tm: dict) -> dict:
    """Raises ValueError naming the field when `tm` breaks the TokenMap schema or a box leaves the image."""
    import jsonschema
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(tm), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        raise ValueError(f"TokenMap /{'/'.join(map(str, e.absolute_path))}: {e.message}")
    W, H = tm["imageSize"]["width"], tm["imageSize"]["height"]
    for i, p in enumerate(tm["patches"]):
        b = p.get("box")
        if b and (b["x"] + b["w"] > W + 1e-6 or b["y"] + b["h"] > H + 1e-6):
            raise ValueError(f"TokenMap /patches/{i}/box {b} leaves the {W}x{H} image")
    return tm


def tokenmap(pack_dir, image, adapter=None, top_k=5, image_size=None, image_name="features"):
    """A TokenMap computed with the reference PyTorch path from a grid pack (adapter safetensors + embeddings):
    pass the encoder's patch features [P, D] as `image` (the pack's ViT is ONNX, not run here) and, for real
    boxes, the image's size (w, h); the grid then covers the whole image."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    from .evaluate import candidates
    from .pack import load_pack
    pack = load_pack(pack_dir)
    w0, b0, w2, b2 = (torch.from_numpy(a) for a in pack.adapter(adapter))
    feats = torch.as_tensor(np.asarray(image, dtype=np.float32))
    vis = F.linear(F.gelu(F.linear(feats, w0, b0)), w2, b2)
    names, cand = candidates(pack.llm_tokenizer(), torch.from_numpy(pack.embeddings()), pack.word_list())
    cos = F.normalize(vis, dim=-1) @ F.normalize(cand, dim=-1).t()
    top = cos.topk(top_k, dim=-1)
    P = vis.shape[0]
    side = int(round(P ** 0.5))
    rows, cols = side, P // side
    W, H = image_size or (cols, rows)
    cw, ch = W / cols, H / rows
    patches = [{"kind": "patch", "tile": 0, "row": i // cols, "col": i % cols,
                "box": {"x": (i % cols) * cw, "y": (i // cols) * ch, "w": cw, "h": ch},
                "words": [{"word": names[int(j)], "score": round(float(s), 4)} for s, j in zip(top.values[i], top.indices[i])]}
               for i in range(P)]
    tm = {"version": 2, "image": image_name, "pack": pack.manifest.get("name", str(pack_dir)),
          "adapter": adapter or pack.manifest.get("defaultAdapter") or pack.manifest["adapters"][0]["name"],
          "device": "cpu", "imageSize": {"width": int(W), "height": int(H)}, "grid": {"rows": rows, "cols": cols},
          "views": [{"id": "image", "label": "image", "rect": {"x": 0, "y": 0, "w": W, "h": H}, "grid": {"rows": rows, "cols": cols}}],
          "patches": patches, "timings": {}}
    return validate(tm)


def display_tokenmap(tm: dict):
    """Publish a TokenMap to Jupyter as application/vnd.sealens.tokenmap+json (IPython optional)."""
    text = f"<SEA Lens TokenMap: {len(tm.get('patches', []))} visual tokens>"
    try:
        from IPython.display import display
    except ImportError:  # outside Jupyter: return the bundle so callers can still use it
        return {MIME: tm, "text/plain": text}
    display({MIME: tm, "text/plain": text}, raw=True)
