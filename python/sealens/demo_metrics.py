"""Per-kind metrics of the demo world and the trivial predictors they are read against.

A demo patch's truth is either one word (a background patch: its material) or two (an object patch: its
colour, then its shape). Patch-word accuracy over all patches is dominated by the background (about 87 %
of the patches), where saying the image's material everywhere already scores high. So the demo reports,
per kind of word:

* ``background``: top-1 = the material, on background patches;
* ``colour`` / ``shape``: top-1 = the object's colour / shape, on object patches; ``object``: top-1 is
  either (``colour + shape = object``, since top-1 is one word: the two can never both be right, so the
  top-1 balanced score below is at most (1 + 1) / 3 ≈ 0.667 for any predictor);
* ``balanced`` = mean of background, colour and shape (each kind weighs the same, whatever its share);
* the same at rank R (R-precision): a patch with R true words scores each of them that is among its R
  best words (R = 1 on the background, 2 on objects). Here a perfect predictor scores 1 on every kind, so
  ``balancedR`` is the class-balanced score without the one-word ceiling; a predictor that names one word
  per patch can reach at most one of the two object words.

The trivial predictors see the truth or the pixels, never a model: they are the floor SEA is read against.
"""
from __future__ import annotations

from collections import Counter
from typing import Dict, List, Sequence

import numpy as np

Truth = List[List[List[str]]]          # [image][patch] -> true words (1 = background, 2 = colour, shape)
Ranked = List[List[List[str]]]         # [image][patch] -> predicted words, best first


def kind_rates(ranked: Ranked, truth: Truth) -> Dict[str, float]:
    n = Counter()
    h = Counter()
    for pi, ti in zip(ranked, truth):
        for pred, t in zip(pi, ti):
            top = pred[0] if pred else None
            if len(t) == 1:
                n["background"] += 1
                h["background"] += top == t[0]
            else:
                n["object"] += 1
                h["colour"] += top == t[0]
                h["shape"] += top == t[-1]
                h["object"] += top in t
                best = pred[:len(t)]
                h["colourR"] += t[0] in best
                h["shapeR"] += t[-1] in best
    bg = h["background"] / max(1, n["background"])
    r = {"background": bg}
    for k in ("colour", "shape", "object", "colourR", "shapeR"):
        r[k] = h[k] / max(1, n["object"])
    r["balanced"] = (r["background"] + r["colour"] + r["shape"]) / 3
    r["balancedR"] = (r["background"] + r["colourR"] + r["shapeR"]) / 3
    r["backgroundPatches"] = n["background"]
    r["objectPatches"] = n["object"]
    return r


def material_everywhere(truth: Truth, materials: Sequence[str]) -> Ranked:
    """Says the image's material (its background word) on every patch."""
    out = []
    for ti in truth:
        mat = Counter(t[0] for t in ti if len(t) == 1 and t[0] in materials)
        word = mat.most_common(1)[0][0] if mat else materials[0]
        out.append([[word] for _ in ti])
    return out


def image_majority(truth: Truth) -> Ranked:
    """Says the image's most frequent true word (counting every word of every patch) on every patch."""
    out = []
    for ti in truth:
        c = Counter(w for t in ti for w in t)
        word = c.most_common(1)[0][0]
        out.append([[word] for _ in ti])
    return out


def patch_colour_stats(images: np.ndarray, patch: int) -> np.ndarray:
    """[N, H, W, 3] uint8 -> [N, P, 6]: per patch the mean and standard deviation of R, G, B (row-major)."""
    N, H, W, _ = images.shape
    g = images.astype(np.float32).reshape(N, H // patch, patch, W // patch, patch, 3).transpose(0, 1, 3, 2, 4, 5)
    g = g.reshape(N, (H // patch) * (W // patch), patch * patch, 3)
    return np.concatenate([g.mean(2), g.std(2)], axis=-1)


class ColourStatsClassifier:
    """Nearest class mean on a patch's colour statistics (mean and spread of R, G, B, standardised), fitted
    on training patches to predict the patch's FIRST true word: its material on the background, its colour
    on an object. Stronger than a material-only classifier (it also names object colours), so SEA is read
    against the harder floor."""

    def fit(self, images: np.ndarray, truth: Truth, patch: int) -> "ColourStatsClassifier":
        x = patch_colour_stats(images, patch).reshape(-1, 6)
        y = [t[0] for ti in truth for t in ti]
        self.mu, self.sd = x.mean(0), x.std(0) + 1e-6
        z = (x - self.mu) / self.sd
        self.words = sorted(set(y))
        yi = np.array([self.words.index(w) for w in y])
        self.centres = np.stack([z[yi == k].mean(0) for k in range(len(self.words))])
        return self

    def predict(self, images: np.ndarray, patch: int) -> Ranked:
        x = (patch_colour_stats(images, patch) - self.mu) / self.sd
        d = ((x[:, :, None, :] - self.centres[None, None]) ** 2).sum(-1)
        order = d.argsort(-1)
        return [[[self.words[k] for k in order[i, p, :2]] for p in range(order.shape[1])] for i in range(order.shape[0])]


def trivial_predictors(truth: Truth, images: np.ndarray, train_images: np.ndarray, train_truth: Truth,
                       materials: Sequence[str], patch: int) -> Dict[str, Dict[str, float]]:
    clf = ColourStatsClassifier().fit(train_images, train_truth, patch)
    return {
        "materialEverywhere": kind_rates(material_everywhere(truth, materials), truth),
        "imageMajorityWord": kind_rates(image_majority(truth), truth),
        "colourStatsClassifier": kind_rates(clf.predict(images, patch), truth),
    }


def per_kind_table(renderers: Dict[str, dict]) -> str:
    """The per-kind results ({renderer: {predictor: rates, "trivial": {name: rates}}}) as a text table."""
    lines = ["renderer predictor            background colour        shape          object  balanced (rank R)"]
    for rn, r in renderers.items():
        rows = [(k, v) for k, v in r.items() if k != "trivial"] + list(r.get("trivial", {}).items())
        for k, m in rows:
            lines.append(f"{rn:8s} {k:21s} {m['background']:.3f}     {m['colour']:.3f} ({m['colourR']:.3f}) "
                         f"{m['shape']:.3f} ({m['shapeR']:.3f}) {m['object']:.3f}   {m['balanced']:.3f} ({m['balancedR']:.3f})")
    return "\n".join(lines)
