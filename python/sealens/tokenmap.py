"""TokenMap: what each visual token of an image means (nearest LLM words after the adapter), as JSON for
SEA Lens. In Jupyter: `display_tokenmap(tokenmap(pack_dir, "image.png"))` publishes MIME
`application/vnd.sealens.tokenmap+json` (rendered by the SEA Lens notebook renderer)."""
from __future__ import annotations

MIME = "application/vnd.sealens.tokenmap+json"


def tokenmap(pack_dir, image, adapter=None, top_k=5):
    """Compute a TokenMap with the reference PyTorch path from a pack whose models were built by sealens
    (needs the .pt-free pack only: adapter safetensors + embeddings; image features via the build's ViT are
    not in the pack, so pass `features` [P, D] as `image` when you have them)."""
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
    return {"version": 1, "adapter": adapter or pack.manifest.get("defaultAdapter"),
            "grid": {"rows": side, "cols": P // side},
            "tokens": [{"row": i // side, "col": i % side,
                        "words": [{"word": names[int(j)], "score": round(float(s), 4)}
                                  for s, j in zip(top.values[i], top.indices[i])]} for i in range(P)]}


def display_tokenmap(tm: dict):
    """Publish a TokenMap to Jupyter as application/vnd.sealens.tokenmap+json (IPython optional)."""
    try:
        from IPython.display import display
    except ImportError:  # outside Jupyter: return the bundle so callers can still use it
        return {MIME: tm, "text/plain": f"<SEA Lens TokenMap {tm.get('grid')}>"}
    display({MIME: tm, "text/plain": f"<SEA Lens TokenMap {tm.get('grid')}>"}, raw=True)
