"""Procedural world: shapes on textured backgrounds, captions and per-patch ground truth.

Every image is a pure function of (seed, split, index): ``render_scene(seed, split, i)``.
Splits are separated by seed streams (train=0, validation=1, test=2), never by shuffling.
Ground truth is used for evaluation only; training never reads it.
"""
from __future__ import annotations

import copy

from dataclasses import dataclass, field
from typing import List, Tuple

import numpy as np

IMAGE_SIZE = 96
PATCH_SIZE = 12
GRID = IMAGE_SIZE // PATCH_SIZE  # 8 x 8 patches

COLOURS = {
    "red": (215, 30, 30), "green": (40, 175, 50), "blue": (35, 70, 225), "yellow": (240, 220, 35),
    "purple": (135, 45, 185), "orange": (250, 135, 20), "pink": (250, 135, 195), "white": (245, 245, 245),
}
SHAPES = ["circle", "square", "triangle", "star", "heart", "cross", "diamond", "hexagon"]
MATERIALS = ["grass", "water", "sand", "sky", "brick", "wood"]
SIZES = {"small": 26, "large": 42}
SPLITS = {"train": 0, "validation": 1, "test": 2}

BACKGROUND_PHRASES = {
    "grass": ["on grass", "on the grass", "on green grass"],
    "water": ["on water", "on the water", "floating on water"],
    "sand": ["on sand", "on the sand", "lying on sand"],
    "sky": ["in the sky", "against the sky", "in a blue sky"],
    "brick": ["on a brick wall", "in front of brick", "on brick"],
    "wood": ["on wood", "on a wood table", "on the wood"],
}

# World variants. "v1" is the world of the shipped demo pack (its default). "v2" (`build_pack --world v2`)
# changes what the issue of object shapes points at: larger objects, so that a 12-px patch inside an object
# sees its outline through a few neighbours (a shape belongs to the object, not to one patch's pixels); no
# size words in captions and no other content noun beside the material ("brick wall" would make "wall" a
# label word that no truth has), so every content word of a caption is a colour, a shape or the material
# ("green grass" / "a blue sky" stay: the caption noise of web data).
WORLDS = {
    "v1": {"sizes": SIZES, "size_words": True, "phrases": BACKGROUND_PHRASES},
    "v2": {"sizes": {"small": 32, "large": 46}, "size_words": False, "phrases": {
        "grass": ["on grass", "on the grass", "on green grass"],
        "water": ["on water", "on the water", "floating on water"],
        "sand": ["on sand", "on the sand", "lying on sand"],
        "sky": ["in the sky", "against the sky", "in a blue sky"],
        "brick": ["on brick", "in front of brick", "against the brick"],
        "wood": ["on wood", "on the wood", "lying on wood"]}},
}


@dataclass
class SceneObject:
    shape: str
    colour: str
    size: str
    cx: float
    cy: float


@dataclass
class Scene:
    image: np.ndarray            # uint8 [H, W, 3]
    caption: str
    material: str
    objects: List[SceneObject]
    label_map: np.ndarray        # int16 [H, W]: -1 background, k = object index (visible pixels)
    patch_words: List[List[str]] = field(default_factory=list)  # row-major, GRID*GRID entries


def world_words() -> List[str]:
    return list(COLOURS) + SHAPES + MATERIALS


# ----------------------------------------------------------------------------- textures
def _smooth_noise(rng, size, cells):
    g = rng.random((cells + 1, cells + 1))
    xs = np.linspace(0, cells, size, endpoint=False)
    i = xs.astype(int)
    f = xs - i
    f = f * f * (3 - 2 * f)
    a = g[i][:, i] * (1 - f)[None, :] + g[i][:, i + 1] * f[None, :]
    b = g[i + 1][:, i] * (1 - f)[None, :] + g[i + 1][:, i + 1] * f[None, :]
    return a * (1 - f)[:, None] + b * f[:, None]


def texture(material: str, rng: np.random.Generator, size: int = IMAGE_SIZE) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    n = rng.normal(0, 1, (size, size)).astype(np.float32)
    sm = _smooth_noise(rng, size, 6).astype(np.float32)
    if material == "grass":
        base = np.array([70, 135, 45], np.float32)
        blades = np.sin(xx * rng.uniform(1.2, 1.8) + rng.uniform(0, 6) + 3 * sm) * 18
        img = base[None, None] + (blades + n * 14 + sm * 30)[..., None] * np.array([0.5, 1.0, 0.3])
    elif material == "water":
        base = np.array([30, 85, 160], np.float32)
        waves = np.sin(yy * rng.uniform(0.4, 0.7) + 2 * np.sin(xx * 0.15 + rng.uniform(0, 6))) * 22
        img = base[None, None] + (waves + n * 6 + sm * 20)[..., None] * np.array([0.6, 0.8, 1.0])
    elif material == "sand":
        base = np.array([215, 190, 135], np.float32)
        img = base[None, None] + (n * 16 + sm * 25 + np.sin(yy * 0.3 + 3 * sm) * 6)[..., None] * np.array([1, 0.95, 0.8])
    elif material == "sky":
        base = np.array([120, 175, 235], np.float32)
        grad = (yy / size) * 45
        cloud = np.clip(_smooth_noise(rng, size, 3).astype(np.float32) * 1.8 - 1.0, 0, 1) * 120
        img = base[None, None] + grad[..., None] * np.array([0.6, 0.4, 0.1]) + cloud[..., None] + n[..., None] * 3
    elif material == "brick":
        bh, bw = 10, 20
        off = ((yy // bh) % 2) * (bw // 2)
        mortar = ((yy % bh) < 2) | (((xx + off) % bw) < 2)
        base = np.array([160, 70, 50], np.float32)
        tint = sm * 35
        img = base[None, None] + (tint + n * 8)[..., None] * np.array([1, 0.5, 0.4])
        img[mortar] = np.array([185, 180, 170], np.float32) + n[mortar][:, None] * 6
    elif material == "wood":
        base = np.array([145, 100, 60], np.float32)
        rings = np.sin(xx * 0.05 + yy * 0.9 / (3 + 2 * sm) * 0 + (yy + 12 * sm) * 0.55) * 20
        img = base[None, None] + (rings + n * 6 + sm * 15)[..., None] * np.array([1, 0.75, 0.5])
    else:
        raise ValueError(f"unknown material {material!r}")
    return np.clip(img, 0, 255)


def texture_flat(material: str, rng: np.random.Generator, size: int = IMAGE_SIZE) -> np.ndarray:
    """The second renderer's backgrounds, used only for evaluation: its own patterns and tones, no noise,
    no shading, no clouds, and another brick bond (long bricks, each course shifted by a third)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    ph = float(rng.integers(0, 24))      # a pattern phase, so images differ; no per-pixel noise
    img = np.zeros((size, size, 3), np.float32)
    if material == "grass":              # flat green with darker vertical blades every 5 px
        img[:] = (75, 150, 55)
        img[((xx + ph) % 5) < 2] = (50, 118, 38)
    elif material == "water":            # flat blue with straight light ripples every 8 px
        img[:] = (40, 95, 175)
        img[((yy + ph) % 8) < 1] = (95, 150, 215)
    elif material == "sand":             # flat sand with a lattice of darker grains
        img[:] = (222, 196, 142)
        img[(((xx + ph) % 6) < 1) & (((yy + ph) % 6) < 1)] = (180, 150, 100)
    elif material == "sky":              # a clean vertical gradient, no clouds
        t = (yy / size)[..., None]
        img[:] = (1 - t) * np.array([105, 165, 235], np.float32) + t * np.array([165, 205, 245], np.float32)
    elif material == "brick":            # 8 x 24 px bricks, each course shifted by a third, 1 px mortar
        bh, bw = 8, 24
        off = ((yy // bh) % 3) * (bw // 3) + ph
        img[:] = (150, 62, 44)
        img[((yy % bh) < 1) | (((xx + off) % bw) < 1)] = (192, 186, 176)
    elif material == "wood":             # horizontal planks in two tones with dark seams, no rings
        plank = ((yy + ph) // 16) % 2
        img[:] = (150, 104, 62)
        img[plank == 1] = (128, 88, 52)
        img[((yy + ph) % 16) < 1] = (85, 55, 30)
    else:
        raise ValueError(f"unknown material {material!r}")
    return img


RENDERERS = ("main", "flat")


# ----------------------------------------------------------------------------- shapes
def shape_mask(shape: str, cx: float, cy: float, diameter: float, size: int = IMAGE_SIZE) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    x = (xx + 0.5 - cx) / (diameter / 2)
    y = (yy + 0.5 - cy) / (diameter / 2)
    if shape == "circle":
        return x * x + y * y <= 1
    if shape == "square":
        return (np.abs(x) <= 0.8) & (np.abs(y) <= 0.8)
    if shape == "triangle":
        return (y <= 0.8) & (y >= -1.0 + 2 * np.abs(x) / 1.0 * 0.9) & (np.abs(x) <= 1)
    if shape == "star":
        r = np.sqrt(x * x + y * y)
        th = np.arctan2(y, x) + np.pi / 2
        k = np.cos(5 * th) * 0.5 + 0.5
        return r <= 0.45 + 0.55 * k ** 3
    if shape == "heart":
        X, Y = x * 1.15, -(y * 1.15) + 0.15
        return (X * X + Y * Y - 1) ** 3 - X * X * Y ** 3 <= 0
    if shape == "cross":
        w = 0.33
        return ((np.abs(x) <= w) & (np.abs(y) <= 1)) | ((np.abs(y) <= w) & (np.abs(x) <= 1))
    if shape == "diamond":
        return np.abs(x) + np.abs(y) <= 1
    if shape == "hexagon":
        ax, ay = np.abs(x), np.abs(y)
        return (ay <= 0.866) & (0.866 * ax + 0.5 * ay <= 0.866)
    raise ValueError(f"unknown shape {shape!r}")


# ----------------------------------------------------------------------------- scenes
def _caption(rng, objs: List[SceneObject], material: str, spec: dict = WORLDS["v1"]) -> str:
    if not objs:   # background-only close-up
        return f"{material}." if rng.random() < 0.5 else f"a picture of {material}."
    phrases = []
    for o in objs:
        if spec["size_words"] and rng.random() < 0.7:
            phrases.append(f"a {o.size} {o.colour} {o.shape}")
        else:
            phrases.append(f"{'an' if o.colour[0] in 'aeiou' else 'a'} {o.colour} {o.shape}")
    if len(phrases) == 1:
        objs_txt = phrases[0]
    elif len(phrases) == 2:
        objs_txt = f"{phrases[0]} and {phrases[1]}"
    else:
        objs_txt = ", ".join(phrases[:-1]) + f" and {phrases[-1]}"
    bg = spec["phrases"][material][rng.integers(len(spec["phrases"][material]))]
    t = rng.random()
    if t < 0.45:
        return f"{objs_txt} {bg}."
    if t < 0.65:
        return f"a picture of {objs_txt} {bg}."
    if t < 0.8:
        return f"there is {objs_txt} {bg}."
    terse = ", ".join(f"{o.colour} {o.shape}" for o in objs)
    return f"{terse}, {material}."


def patch_truth(label_map: np.ndarray, objs: List[SceneObject], material: str, patch: int = PATCH_SIZE) -> List[List[str]]:
    """Words that truly describe each patch: the label covering most of its pixels (row-major)."""
    rows, cols = label_map.shape[0] // patch, label_map.shape[1] // patch
    out = []
    for r in range(rows):
        for c in range(cols):
            block = label_map[r * patch:(r + 1) * patch, c * patch:(c + 1) * patch].ravel().astype(np.int64) + 1
            counts = np.bincount(block, minlength=len(objs) + 1)
            k = int(np.argmax(counts)) - 1  # ties -> lowest label (background first)
            out.append([material] if k < 0 else [objs[k].colour, objs[k].shape])
    return out


def render_scene(seed: int, split: str, index: int, renderer: str = "main", variant: str = "v1") -> Scene:
    """`renderer` "flat" draws the same scene (objects, caption, truth) with the second renderer (texture_flat,
    flat object colours): for evaluation only, never for training. `variant`: a key of WORLDS."""
    rng = np.random.default_rng([int(seed), SPLITS[split], int(index)])
    return _render(rng, None, renderer, variant)


def render_closeup(seed: int, split: str, index: int, variant: str = "v1") -> Scene:
    """A close-up view of the same world, like the close-ups in web image–caption data: 60 % show only the
    background material (caption "grass." / "a picture of grass."), 40 % one object on it (caption as for a
    scene). Same scale and textures as the scenes; its own seed stream (never equal to a scene)."""
    rng = np.random.default_rng([int(seed), SPLITS[split], int(index), 7])
    return _render(rng, 0 if rng.random() < 0.6 else 1, "main", variant)


def _render(rng: np.random.Generator, n_obj, renderer: str = "main", variant: str = "v1") -> Scene:
    if renderer not in RENDERERS:
        raise ValueError(f"unknown renderer {renderer!r} (one of {', '.join(RENDERERS)})")
    if variant not in WORLDS:
        raise ValueError(f"unknown world {variant!r} (one of {', '.join(WORLDS)})")
    spec = WORLDS[variant]
    flat = renderer == "flat"
    material = MATERIALS[rng.integers(len(MATERIALS))]
    # The second renderer draws every random number the main one draws and discards the main pixels, so both lay
    # out the same scene (objects, caption, truth) and the main renderer stays the world the pack was built on.
    img = texture(material, rng)
    if flat:
        img = texture_flat(material, copy.deepcopy(rng))
    label_map = np.full((IMAGE_SIZE, IMAGE_SIZE), -1, np.int16)
    if n_obj is None:
        n_obj = int(rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3]))
    objs: List[SceneObject] = []
    colour_names = list(COLOURS)
    for _ in range(n_obj):
        for _try in range(25):
            size = "small" if rng.random() < 0.5 else "large"
            d = spec["sizes"][size] * rng.uniform(0.9, 1.1)
            cx = rng.uniform(d / 2 - 2, IMAGE_SIZE - d / 2 + 2)
            cy = rng.uniform(d / 2 - 2, IMAGE_SIZE - d / 2 + 2)
            shape = SHAPES[rng.integers(len(SHAPES))]
            colour = colour_names[rng.integers(len(colour_names))]
            m = shape_mask(shape, cx, cy, d)
            # partial overlaps allowed, but every earlier object keeps >= 60 % of its visible pixels
            ok = True
            for k in range(len(objs)):
                vis = label_map == k
                if (vis & m).sum() > 0.4 * vis.sum():
                    ok = False
                    break
            if ok:
                break
        else:
            continue
        k = len(objs)
        objs.append(SceneObject(shape, colour, size, float(cx), float(cy)))
        rgb = np.array(COLOURS[colour], np.float32) + rng.normal(0, 8, 3)
        shade = 1.0 + 0.08 * ((np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE][0] - cy) / d)
        obj_px = np.clip(rgb[None, None] * shade[..., None] + rng.normal(0, 5, (IMAGE_SIZE, IMAGE_SIZE, 1)), 0, 255)
        img[m] = np.array(COLOURS[colour], np.float32) if flat else obj_px[m]
        label_map[m] = k
    # keep only objects that remain visible
    caption = _caption(rng, objs, material, spec)
    scene = Scene(img.astype(np.uint8), caption, material, objs, label_map)
    scene.patch_words = patch_truth(label_map, objs, material)
    return scene


def _render_one(args):
    fn, seed, split, i, renderer, variant = args
    s = render_closeup(seed, split, i, variant) if fn == "closeup" else render_scene(seed, split, i, renderer, variant)
    return s.image, s.caption, s.patch_words


def render_batch(seed: int, split: str, start: int, count: int, closeups: bool = False, workers: int = 1,
                 renderer: str = "main", variant: str = "v1"):
    """Images uint8 [N, H, W, 3], captions, patch truth. Every item is a pure function of its index, so
    rendering in `workers` processes gives the same arrays as rendering in one."""
    jobs = [("closeup" if closeups else "scene", seed, split, i, renderer, variant) for i in range(start, start + count)]
    if workers > 1 and count >= 256:
        import multiprocessing as mp
        # spawn, not fork: callers have torch's (and the test runner's) threads running, and a forked child can
        # inherit a lock another thread held at the fork and wait on it forever
        with mp.get_context("spawn").Pool(workers) as pool:
            res = pool.map(_render_one, jobs, chunksize=64)
    else:
        res = [_render_one(j) for j in jobs]
    return np.stack([r[0] for r in res]), [r[1] for r in res], [r[2] for r in res]
