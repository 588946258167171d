import math

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from sealens import sea


def test_topn_and_threshold():
    p = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    w = torch.tensor([[1.0, 0.0], [0.6, 0.8], [-1.0, -0.1], [0.0, -1.0]])
    idx, sc = sea.topn_labels(p, w, n=3, threshold=0.0)
    assert idx.tolist() == [[0, 1, 3], [1, 0, 2]]
    assert torch.allclose(sc, torch.tensor([[1.0, 0.6, 0.0], [0.8, 0.0, 0.0]]))   # -cos and 0 dropped
    idx, sc = sea.topn_labels(p, w, n=10, sign=-1)                                  # n capped at q
    assert idx[0, 0] == 2 and idx.shape[-1] == 4


def test_sampling_is_linear_in_scores_chisquare():
    g = torch.Generator().manual_seed(0)
    scores = torch.tensor([[0.5, 0.3, 0.15, 0.05, 0.0]])
    idx = torch.tensor([[10, 11, 12, 13, 14]])
    N = 20000
    draws = sea.sample_labels(idx.expand(N, -1), scores.expand(N, -1), g)
    counts = np.bincount(draws.numpy() - 10, minlength=5)
    assert counts[4] == 0                                         # zero score never sampled
    exp = scores[0, :4].numpy() / scores[0, :4].sum().item() * N
    assert chisquare(counts[:4], exp).pvalue > 0.001
    # a softmax sampler would be rejected by the same test
    soft = torch.softmax(scores[0, :4] / 0.1, 0).numpy() * N
    assert chisquare(counts[:4], soft).pvalue < 1e-6


def test_sampling_skips_patches_without_positive_label():
    g = torch.Generator().manual_seed(0)
    out = sea.sample_labels(torch.tensor([[1, 2], [3, 4]]), torch.tensor([[0.0, 0.0], [0.2, 0.0]]), g)
    assert out.tolist() == [-1, 3]


@pytest.mark.parametrize("rows,cols", [(8, 8), (7, 5), (1, 1), (3, 8)])
def test_window_sampling_one_per_window_and_edges(rows, cols):
    g = torch.Generator().manual_seed(1)
    k = 2
    n_win = math.ceil(rows / k) * math.ceil(cols / k)
    seen = set()
    for _ in range(300):
        p = sea.window_sample(rows, cols, k, g)
        assert p.numel() == n_win
        wins = {((int(i) // cols) // k, (int(i) % cols) // k) for i in p}
        assert len(wins) == n_win                                 # exactly one patch per window
        seen.update(int(i) for i in p)
    assert seen == set(range(rows * cols))                        # edge patches are reachable too


def test_dedup_keeps_one_per_label():
    g = torch.Generator().manual_seed(0)
    labels = torch.tensor([3, 5, 3, -1, 5, 7, 3])
    keep = sea.dedup(labels, g)
    kept = labels[keep].tolist()
    assert sorted(kept) == [3, 5, 7] and -1 not in kept


def test_subtoken_mean():
    E = torch.arange(12, dtype=torch.float32).view(4, 3)
    t = sea.subtoken_mean(E, [[1], [0, 2, 3]])
    assert torch.allclose(t[0], E[1]) and torch.allclose(t[1], (E[0] + E[2] + E[3]) / 3)


def test_symmetric_infonce_hand_computed():
    x = torch.tensor([[2.0, 0.0], [0.0, 3.0]])                  # normalised inside
    t = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    r = 1 / math.sqrt(2)
    row = 0.5 * (-math.log(math.e / (math.e + math.exp(r))) - math.log(math.exp(r) / (1 + math.exp(r))))
    col = 0.5 * (-math.log(math.e / (math.e + 1)) - math.log(0.5))
    got = sea.symmetric_infonce(x, t, torch.tensor(1.0))
    assert abs(float(got) - 0.5 * (row + col)) < 1e-6


def test_logit_scale_gets_gradients_and_clamps():
    s = sea.LogitScale()
    assert abs(float(s()) - 1 / 0.07) < 1e-4
    loss = sea.symmetric_infonce(torch.randn(4, 8), torch.randn(4, 8), s())
    loss.backward()
    assert s.log_scale.grad is not None and s.log_scale.grad.abs() > 0
    with torch.no_grad():
        s.log_scale.fill_(10.0)
    assert abs(float(s()) - 100.0) < 1e-3


def test_sea_pairs_batch():
    g = torch.Generator().manual_seed(0)
    B, P, n = 4, 64, 10
    idx = torch.randint(0, 30, (B, P, n))
    sc = torch.rand(B, P, n)
    bi, pi, wi = sea.sea_pairs(idx, sc, 8, 8, g)
    assert len(set(wi.tolist())) == wi.numel()                    # de-duplicated
    for b, p, w in zip(bi, pi, wi):
        assert int(w) in idx[b, p].tolist()


def test_oracle_labels_for_the_diagnostic_run_score_only_true_words():
    from sealens.build_pack import oracle_labels
    words = ["red", "blue", "star", "grass", "sand"]
    truth = [[["red", "star"], ["grass"]]]
    idx, sc = oracle_labels(truth, words, 4)
    assert idx.shape == (1, 2, 4) and sc.shape == (1, 2, 4)
    for p in range(2):
        picked = {words[int(i)] for i, s in zip(idx[0, p], sc[0, p]) if s > 0}
        assert picked == set(truth[0][p])
        assert len(set(idx[0, p].tolist())) == 4          # no word repeated in a top-n row
    # the sampler only ever draws a true word from them
    g = torch.Generator().manual_seed(0)
    draws = {words[int(sea.sample_labels(idx[0], sc[0], g)[0])] for _ in range(50)}
    assert draws == {"red", "star"}


def test_caption_tags_are_whole_words_of_the_caption():
    from sealens.train import caption_tags
    t = caption_tags(["a red circle on the grass.", "redder sand, Blue star."], ["red", "blue", "grass", "sand", "star"])
    assert t.tolist() == [[1, 0, 1, 0, 0], [0, 1, 0, 1, 1]]   # "redder" is not "red"; case-insensitive


def test_dense_tag_loss_hand_computed():
    from sealens.train import dense_tag_loss
    # 1 image, 2 patches, 2 words along the axes; word 0 is in the caption, word 1 is not
    patch = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    words = torch.eye(2)
    tags = torch.tensor([[1.0, 0.0]])
    s = 10.0
    # logits: patch0 -> (10, 0), patch1 -> (0, 10)
    sp = lambda x: math.log1p(math.exp(x))
    neg = (sp(0.0) + sp(10.0)) / 2                       # word 1 at both patches
    pooled = math.log(math.exp(10.0) + math.exp(0.0)) - math.log(2)
    want = neg + sp(-pooled)
    got = float(dense_tag_loss(patch, words, tags, s))
    assert got == pytest.approx(want, rel=1e-6)


def test_dense_tag_loss_decision_boundary_is_cosine_zero():
    from sealens.train import dense_tag_loss
    # gradient descent on the patch alone: the absent word ends below cosine 0, the present one above it
    torch.manual_seed(0)
    patch = torch.randn(1, 3, 8, requires_grad=True)
    words = torch.randn(4, 8)
    tags = torch.tensor([[1.0, 0.0, 0.0, 1.0]])
    opt = torch.optim.SGD([patch], lr=0.5)
    for _ in range(300):
        opt.zero_grad()
        dense_tag_loss(patch, words, tags, 10.0).backward()
        opt.step()
    cos = torch.nn.functional.normalize(patch, dim=-1)[0] @ torch.nn.functional.normalize(words, dim=-1).t()
    assert (cos[:, [1, 2]] < 0).all()                    # absent words: no patch scores above 0
    assert (cos[:, [0, 3]].max(0).values > 0).all()      # present words: some patch scores above 0


def test_label_precision_splits_background_and_object_patches():
    from sealens.evaluate import label_precision
    words = ["red", "star", "grass"]
    idx = torch.tensor([[[2, 0, 1], [0, 2, 1]]])
    sc = torch.tensor([[[0.6, 0.2, 0.0], [0.5, 0.5, 0.0]]])
    truth = [[["grass"], ["red", "star"]]]
    r = label_precision(idx, sc, words, truth)
    assert r["top1Background"] == 1.0 and r["top1Object"] == 1.0
    assert r["expected"] == pytest.approx((0.6 / 0.8 + 0.5 / 1.0) / 2)
    assert r["meanPositive"] == 2.0


def test_dense_tag_loss_pooling_variants():
    from sealens.train import dense_tag_loss
    patch = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]])      # logits for word 0: 10, 0, -10
    words = torch.eye(2)
    tags = torch.tensor([[1.0, 0.0]])
    sp = lambda x: math.log1p(math.exp(x))
    neg = (sp(0.0) + sp(10.0) + sp(0.0)) / 3                          # word 1 at the three patches
    lme = sp(-(math.log(math.exp(10) + 1 + math.exp(-10)) - math.log(3)))
    top2 = (sp(-10.0) + sp(0.0)) / 2
    assert float(dense_tag_loss(patch, words, tags, 10.0, "max")) == pytest.approx(neg + sp(-10.0), rel=1e-6)
    assert float(dense_tag_loss(patch, words, tags, 10.0, "top2")) == pytest.approx(neg + top2, rel=1e-6)
    assert float(dense_tag_loss(patch, words, tags, 10.0, "lme+top2")) == pytest.approx(neg + lme + top2, rel=1e-6)
    with pytest.raises(ValueError, match="unknown pooling 'mean'"):
        dense_tag_loss(patch, words, tags, 10.0, "mean")
