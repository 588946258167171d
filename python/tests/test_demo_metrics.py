"""The demo's per-kind metrics, its trivial predictors and the second (evaluation-only) renderer."""
import numpy as np
import pytest

from sealens import demo_metrics as dm
from sealens import world

TRUTH = [[["grass"], ["grass"], ["red", "circle"], ["red", "circle"]]]


def test_kind_rates_counts_each_kind_and_the_one_word_ceiling():
    ranked = [[["grass", "x"], ["sand", "grass"], ["red", "circle"], ["circle", "red"]]]
    r = dm.kind_rates(ranked, TRUTH)
    assert r["background"] == 0.5
    assert r["colour"] == 0.5 and r["shape"] == 0.5 and r["object"] == 1.0
    assert r["colour"] + r["shape"] <= r["object"] + 1e-9          # top-1 is one word
    assert r["balanced"] == pytest.approx((0.5 + 0.5 + 0.5) / 3)
    assert r["colourR"] == 1.0 and r["shapeR"] == 1.0                 # both object words within the best 2
    assert r["balancedR"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert (r["backgroundPatches"], r["objectPatches"]) == (2, 2)


def test_kind_rates_perfect_ranking_scores_one_at_rank_r():
    ranked = [[["grass"], ["grass"], ["red", "circle"], ["circle", "red"]]]
    r = dm.kind_rates(ranked, TRUTH)
    assert r["balancedR"] == 1.0 and r["balanced"] < 0.7


def test_trivial_predictors_material_and_majority():
    truth = [[["sand"], ["blue", "star"], ["blue", "star"], ["blue", "star"]]]
    me = dm.kind_rates(dm.material_everywhere(truth, world.MATERIALS), truth)
    assert me["background"] == 1.0 and me["object"] == 0.0
    maj = dm.kind_rates(dm.image_majority(truth), truth)   # blue and star tie at 3; either is an object word
    assert maj["background"] == 0.0 and maj["object"] == 1.0


def test_colour_stats_classifier_learns_colours_not_shapes():
    tr_img, _, tr_truth = world.render_batch(11, "train", 0, 96)
    te_img, _, te_truth = world.render_batch(11, "test", 0, 32)
    clf = dm.ColourStatsClassifier().fit(tr_img, tr_truth, world.PATCH_SIZE)
    r = dm.kind_rates(clf.predict(te_img, world.PATCH_SIZE), te_truth)
    assert r["background"] > 0.6 and r["colour"] > 0.4     # colour statistics find materials and colours
    assert r["shape"] == 0.0                               # and never a shape: it only names first words


def test_patch_colour_stats_shape_and_values():
    img = np.zeros((1, 24, 24, 3), np.uint8)
    img[0, :12, :12] = (255, 0, 0)
    s = dm.patch_colour_stats(img, 12)
    assert s.shape == (1, 4, 6)
    assert s[0, 0, :3].tolist() == [255, 0, 0] and s[0, 1, :3].tolist() == [0, 0, 0]


def test_second_renderer_keeps_the_scene_and_its_truth_but_not_the_pixels():
    for i in range(6):
        a, b = world.render_scene(3, "test", i), world.render_scene(3, "test", i, "flat")
        assert a.caption == b.caption and a.patch_words == b.patch_words
        assert (a.label_map == b.label_map).all()
        assert np.abs(a.image.astype(int) - b.image.astype(int)).mean() > 5
    with pytest.raises(ValueError, match="unknown renderer"):
        world.render_scene(3, "test", 0, "pastel")


def test_second_renderer_draws_flat_objects_without_noise():
    s = world.render_scene(4, "test", 1, "flat")
    for k, o in enumerate(s.objects):
        px = s.image[s.label_map == k]
        assert (px == np.array(world.COLOURS[o.colour], np.uint8)).all()
