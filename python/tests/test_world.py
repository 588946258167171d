import numpy as np

from sealens import world


def test_deterministic_from_seed():
    a, b = world.render_scene(3, "train", 7), world.render_scene(3, "train", 7)
    assert np.array_equal(a.image, b.image) and a.caption == b.caption and a.patch_words == b.patch_words


def test_splits_and_seeds_differ():
    a = world.render_scene(0, "train", 0).image
    assert not np.array_equal(a, world.render_scene(0, "test", 0).image)
    assert not np.array_equal(a, world.render_scene(0, "validation", 0).image)
    assert not np.array_equal(a, world.render_scene(1, "train", 0).image)


def test_world_size():
    assert len(world.SHAPES) >= 8 and len(world.COLOURS) >= 8 and len(world.MATERIALS) >= 5
    assert len(world.SIZES) == 2 and world.GRID >= 8 and 96 <= world.IMAGE_SIZE <= 128


def test_ground_truth_matches_label_map():
    for i in range(30):
        s = world.render_scene(0, "test", i)
        assert s.image.shape == (world.IMAGE_SIZE, world.IMAGE_SIZE, 3) and s.image.dtype == np.uint8
        assert len(s.patch_words) == world.GRID ** 2
        P = world.PATCH_SIZE
        for k, words in enumerate(s.patch_words):
            r, c = divmod(k, world.GRID)
            block = s.label_map[r * P:(r + 1) * P, c * P:(c + 1) * P]
            counts = {lab: int((block == lab).sum()) for lab in np.unique(block)}
            best = max(counts, key=lambda l: (counts[l], -l))
            if best < 0:
                assert words == [s.material]
            else:
                o = s.objects[best]
                assert words == [o.colour, o.shape]
        for o in s.objects:
            assert o.colour in s.caption and o.shape in s.caption
        assert s.material in s.caption


def test_patch_truth_majority_rule():
    lm = np.full((24, 24), -1, np.int16)
    lm[:12, :7] = 0        # 84 of 144 pixels of patch (0,0) are object 0
    objs = [world.SceneObject("star", "red", "small", 0, 0)]
    t = world.patch_truth(lm, objs, "sand", patch=12)
    assert t == [["red", "star"], ["sand"], ["sand"], ["sand"]]


def test_overlaps_happen_and_objects_stay_visible():
    overl = 0
    for i in range(150):
        s = world.render_scene(0, "train", i)
        for k, o in enumerate(s.objects):
            full = world.shape_mask(o.shape, o.cx, o.cy, world.SIZES[o.size] * 0.9)
            vis = (s.label_map == k).sum()
            assert vis > 0
            if vis < full.sum() * 0.95:
                overl += 1
    assert overl > 0


def test_closeups_show_background_or_one_object_and_caption_it():
    kinds = set()
    for i in range(40):
        s = world.render_closeup(0, "train", i)
        assert s.image.shape == (world.IMAGE_SIZE, world.IMAGE_SIZE, 3) and len(s.objects) <= 1
        assert s.material in s.caption
        if not s.objects:
            kinds.add("background")
            assert s.caption in (f"{s.material}.", f"a picture of {s.material}.")
            assert all(w == [s.material] for w in s.patch_words)
        else:
            kinds.add("object")
            o = s.objects[0]
            assert o.colour in s.caption and o.shape in s.caption
    assert kinds == {"background", "object"}
    # its own seed stream: never a copy of the scene with the same index, and deterministic
    assert not np.array_equal(world.render_closeup(0, "train", 3).image, world.render_scene(0, "train", 3).image)
    assert np.array_equal(world.render_closeup(0, "train", 3).image, world.render_closeup(0, "train", 3).image)


def test_render_batch_is_the_same_with_worker_processes():
    a = world.render_batch(0, "validation", 0, 260, workers=2)
    b = world.render_batch(0, "validation", 0, 260, workers=1)
    assert np.array_equal(a[0], b[0]) and a[1] == b[1] and a[2] == b[2]
