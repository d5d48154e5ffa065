"""The computations behind the site's explanations, against direct or closed-form answers."""

from statistics import NormalDist

import numpy as np
import pytest

from vae_tf import explain


def test_running_log_mean_exp_is_the_log_of_the_running_mean():
    log_w = np.random.default_rng(0).normal(-100.0, 5.0, size=50)
    counts = np.array([1, 2, 7, 50])
    expected = [np.log(np.mean(np.exp(log_w[:n] + 100.0))) - 100.0 for n in counts]  # shifted to avoid underflow
    np.testing.assert_allclose(explain.running_log_mean_exp(log_w, counts), expected, rtol=0, atol=1e-9)


def test_running_log_mean_exp_takes_a_column_per_image():
    log_w = np.random.default_rng(1).normal(-80.0, 3.0, size=(40, 3))
    counts = explain.sample_counts(40)
    both = explain.running_log_mean_exp(log_w, counts)
    assert both.shape == (len(counts), 3)
    for j in range(3):
        np.testing.assert_allclose(both[:, j], explain.running_log_mean_exp(log_w[:, j], counts))


def test_sample_counts_run_from_one_to_k():
    counts = explain.sample_counts(5_000)
    assert counts[0] == 1 and counts[-1] == 5_000 and np.all(np.diff(counts) > 0)


def test_a_shifted_digit_is_farther_than_a_damaged_one():
    x = np.zeros((28, 28), np.float32)
    x[6:22, 12:16] = 1.0  # a thick "1"
    shifted, erased = explain.shift(x, dx=1), explain.erase(x)
    assert shifted[6:22, 13:17].min() == 1.0 and shifted[:, 12].max() == 0.0
    assert explain.pixel_error(x, shifted) == 32.0  # one column lost, one gained, 16 rows each
    assert explain.pixel_error(x, erased) == 4 * 5  # the 4-wide stroke loses a 5-row square's overlap


def test_shift_moves_whole_pixels_either_way_and_fills_with_background():
    x = np.random.default_rng(3).uniform(size=(6, 5)).astype(np.float32)
    moved = explain.shift(x, dx=-2, dy=1)
    expected = np.zeros_like(x)
    expected[1:, :3] = x[:-1, 2:]
    assert moved.dtype == x.dtype
    np.testing.assert_array_equal(moved, expected)


def test_normal_quantile_grid_and_interpolation():
    grid = explain.normal_quantile_grid(3)
    q = NormalDist().inv_cdf(0.05)
    np.testing.assert_allclose(grid[0], [q, -q], rtol=1e-6)  # top left: z1 smallest, z2 largest
    np.testing.assert_allclose(grid[4], [0.0, 0.0], atol=1e-6)
    path = explain.interpolate(np.zeros(4, np.float32), np.ones(4, np.float32), 5)
    np.testing.assert_allclose(path[:, 0], [0.0, 0.25, 0.5, 0.75, 1.0])


def test_dimension_effects_find_the_dimensions_a_decoder_reads():
    def decode(codes):  # pixel 0 follows z_0 fully, pixel 1 follows z_2 a little, z_1 is ignored
        pixels = np.zeros((len(codes), 28, 28))
        pixels[:, 0, 0] = (codes[:, 0] + 3) / 6
        pixels[:, 0, 1] = 0.5 + 0.01 * codes[:, 2]
        return pixels

    effects = explain.dimension_effects(decode, np.array([0.5, 0.0, -1.0]))
    np.testing.assert_allclose(effects, [1.0, 0.0, 0.06], atol=1e-6)


def test_auroc_is_the_probability_of_ranking_a_pair_right():
    rng = np.random.default_rng(2)
    normal, unusual = rng.normal(0, 1, 200).round(1), rng.normal(1, 1, 150).round(1)  # rounded: ties count half
    pairs = (unusual[:, None] > normal[None]).mean() + 0.5 * (unusual[:, None] == normal[None]).mean()
    assert explain.auroc(normal, unusual) == pytest.approx(pairs, abs=1e-12)
    fpr, tpr = explain.roc_curve(normal, unusual)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)


def test_ellipse_is_the_radius_sigma_contour_in_data_units():
    mean, std = np.array([1.0, -2.0]), np.array([0.5, 0.1])
    for radius in (1.0, 2.0):
        path = explain.ellipse(mean, std, radius, points=40)
        assert path.shape == (41, 2) and np.allclose(path[0], path[-1])
        np.testing.assert_allclose(np.linalg.norm((path - mean) / std, axis=1), radius)
        np.testing.assert_allclose(path.max(0) - path.min(0), 2 * radius * std, rtol=0.01)


def test_nearest_labels_count_the_k_nearest_codes_labels():
    references = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 3.0], [0.0, -0.5], [10.0, 10.0]])
    labels = np.array([7, 1, 1, 4, 7, 9])
    # distances from (0, 0): 0, 1, 2, 4.2, 0.5, 14.1
    assert explain.nearest_labels(np.zeros(2), references, labels, k=4) == [(7, 2), (1, 2)]  # 7's are nearer
    assert explain.nearest_labels(np.zeros(2), references, labels, k=1) == [(7, 1)]
    # from (3, 3.1): the 4 at 0.1, then the 1's at 3.2 and 3.7: the majority first, the nearest label after it
    assert explain.nearest_labels(np.array([3.0, 3.1]), references, labels, k=3) == [(1, 2), (4, 1)]
    counts = explain.nearest_labels(np.zeros(2), references, labels, k=6)
    assert sum(c for _, c in counts) == 6 and dict(counts) == {7: 2, 1: 2, 4: 1, 9: 1}
    assert not explain.has_majority(counts) and not explain.has_majority([(7, 2), (1, 2)])
    assert explain.has_majority([(1, 2), (4, 1)]) and explain.has_majority([(3, 6), (5, 4)])
    assert not explain.has_majority([(3, 5), (5, 5)])


def test_similarity_to_nearest_is_the_best_pixel_correlation():
    rng = np.random.default_rng(2)
    refs = rng.uniform(size=(20, 28, 28))
    queries = np.stack([0.5 * refs[4] + 0.1, rng.uniform(size=(28, 28))])  # a fainter copy of #4, noise
    similarity, index = explain.similarity_to_nearest(queries, explain.unit_pixels(refs))
    assert index[0] == 4 and similarity[0] == pytest.approx(1.0, abs=1e-5)
    expected = max(np.corrcoef(queries[1].ravel(), r.ravel())[0, 1] for r in refs)
    assert similarity[1] == pytest.approx(expected, abs=1e-5) and similarity[1] < 0.5


def test_variety_is_the_mean_pairwise_rms_difference():
    images = np.array([np.zeros((2, 2)), np.ones((2, 2)), np.full((2, 2), 0.5)])
    assert explain.variety(images) == pytest.approx((1.0 + 0.5 + 0.5) / 3)
    assert explain.variety(np.repeat(images[:1], 4, axis=0)) == pytest.approx(0.0)


def test_map_domain_pads_the_extent_of_every_point():
    (x0, x1), (y0, y1) = explain.map_domain(np.array([[0.0, 1.0], [2.0, 5.0]]), pad=0.1)
    assert (x0, x1) == pytest.approx((-0.2, 2.2)) and (y0, y1) == pytest.approx((0.6, 5.4))


def test_trend_says_flat_only_where_the_curve_is_flat():
    counts = np.array([1, 3, 10, 30, 100, 300, 1000, 3000, 5000])
    flat = np.array([-300, -200, -150, -120, -100, -92.9, -92.8, -92.8, -92.8])
    assert explain.trend(counts, flat) == ("flat", 300, pytest.approx(0.0, abs=0.2))
    climbing = np.array([-300, -200, -150, -120, -100, -96, -93, -90, -88])
    verb, since, change = explain.trend(counts, climbing)
    assert (verb, since) == ("climbing", None) and change > 0
    assert explain.trend(counts, -climbing)[0] == "falling"
    # flat over its last two points only (3000 -> 5000, less than half a decade): not settled
    assert explain.settled_since(counts, [-9, -8, -7, -6, -5, -4, -3, -1, -1]) is None


def test_top_weight_share():
    log_w = np.log(np.array([[1.0, 1.0], [3.0, 1.0]]))
    np.testing.assert_allclose(explain.top_weight_share(log_w), [0.75, 0.5])


def test_iwae_against_k_is_the_mean_over_groups_of_the_log_mean_weight():
    log_w = np.random.default_rng(3).normal(-90.0, 2.0, size=(20, 3))
    bounds = explain.iwae_against_k(log_w, [1, 4, 20])
    np.testing.assert_allclose(bounds[0], log_w.mean(axis=0))
    groups = [np.log(np.mean(np.exp(log_w[i : i + 4] + 90.0), axis=0)) - 90.0 for i in range(0, 20, 4)]
    np.testing.assert_allclose(bounds[1], np.mean(groups, axis=0))
    np.testing.assert_allclose(bounds[2], np.log(np.mean(np.exp(log_w + 90.0), axis=0)) - 90.0)
    assert np.all(np.diff(bounds, axis=0) > -0.5)  # tighter with k, up to noise
    with pytest.raises(ValueError):
        explain.iwae_against_k(log_w, [3])


def test_factorised_bernoulli_nll():
    images = np.array([[1, 0], [1, 1], [1, 0], [1, 1]], np.float32)  # pixel 0 always on, pixel 1 half
    assert explain.factorised_bernoulli_nll(images) == pytest.approx(-np.log(1 - 0.125) + np.log(2), abs=1e-9)


def test_equal_elbo_lines_and_table_cells():
    rows = explain.equal_elbo_lines([100.0], (40.0, 150.0))
    assert [(r["distortion"], r["rate"]) for r in rows] == [(40.0, 60.0), (100.0, 0.0)]
    assert all(r["distortion"] + r["rate"] == 100.0 for r in rows)
    clipped = explain.equal_elbo_lines([100.0, 300.0], (40.0, 150.0), rate_max=20.0)
    assert [(r["distortion"], r["rate"]) for r in clipped] == [(80.0, 20.0), (100.0, 0.0)]  # 300 misses the region
    cells = [explain.cell(v, 2) for v in (None, float("nan"), 10000, 3.8149, 4.4)]
    assert cells == ["–", "–", "10,000", "3.81", "4.40"]
