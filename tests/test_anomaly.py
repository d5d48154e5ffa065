"""vae_tf.anomaly (the reference sets, reasons, the honest-output check) and the anomaly figure."""

import numpy as np
import pytest

from vae_tf import anomaly, data, explain, figures, store
from vae_tf.figures import anomaly as figure


def test_transformed_digits_keep_their_ink_and_the_simple_images_are_simple(bundled):
    digits = bundled[0][:5]
    np.testing.assert_array_equal(anomaly.mirrored(digits)[:, :, 0], digits[:, :, -1])
    np.testing.assert_array_equal(anomaly.rotated(digits)[:, 27 - 3, :], digits[:, :, 3].reshape(5, 28))
    assert np.all(anomaly.erased(digits).sum(axis=(1, 2)) < digits.sum(axis=(1, 2)))
    assert anomaly.ink(anomaly.simple_images()).tolist() == [0.0, 16 / 784, 24 / 784]


def test_distance_is_zero_for_the_same_image_and_one_without_overlap():
    a = np.zeros((1, 28, 28))
    a[0, :10] = 1
    b = np.zeros((1, 28, 28))
    b[0, 20:] = 1
    assert anomaly.distance(a, a)[0] == 0 and anomaly.distance(a, b)[0] == 1
    assert anomaly.distance(np.zeros((1, 28, 28)), np.zeros((1, 28, 28)))[0] == 0


def test_shares_never_round_up_to_every_digit():
    reference = np.arange(10_000.0)
    assert anomaly.below(9_998.5, reference) == 99.9  # 99.99% is not "100.0%"
    assert anomaly.below(9_999.5, reference) == 100.0
    assert anomaly.above(-1.0, reference) == 100.0 and anomaly.above(9_999.0, reference) == 0.0


def test_the_check_calls_out_a_high_score_or_a_changed_digit():
    scores, distances = np.linspace(50, 150, 101), np.linspace(0.1, 0.3, 101)
    kept = anomaly.check_reconstruction(100.0, 0.2, scores, distances)
    assert kept.keeps_digit and kept.score_cut == pytest.approx(149.0)
    assert not anomaly.check_reconstruction(160.0, 0.2, scores, distances).keeps_digit
    changed = anomaly.check_reconstruction(100.0, 0.5, scores, distances)
    assert not changed.keeps_digit and changed.differs and not changed.score_high


class _Scores:
    """Stands in for an Inference: records what it is asked to score and answers a fixed -ELBO."""

    def __init__(self, neg_elbo: float):
        self.neg_elbo, self.asked = neg_elbo, []

    def elbo_terms(self, images, seed, draws):
        self.asked.append((images, seed, draws))
        terms = {"recon": self.neg_elbo - 20.0, "kl": 20.0, "neg_elbo": self.neg_elbo}
        return {name: np.array([value]) for name, value in terms.items()}


def test_an_upload_is_scored_binarized_once_and_checked_against_the_test_digits(bundled):
    digit = bundled[0][0]
    reference = {"mnist/neg_elbo": np.linspace(50, 150, 101), "mnist/distance": np.linspace(0.1, 0.3, 101)}
    served = _Scores(100.0)
    terms, check = anomaly.upload_check(served, digit, digit, reference, draws=7)
    images, seed, draws = served.asked[0]
    np.testing.assert_array_equal(images, data.binarize(digit, seed=0)[None])
    assert (seed, draws) == (0, 7) and terms["neg_elbo"][0] == 100.0
    assert check == anomaly.check_reconstruction(100.0, 0.0, reference["mnist/neg_elbo"], reference["mnist/distance"])
    assert check.keeps_digit
    _, lost = anomaly.upload_check(_Scores(160.0), digit, digit, reference)
    assert lost.score_high and not lost.keeps_digit
    _, changed = anomaly.upload_check(served, digit, np.zeros_like(digit), reference)
    assert changed.differs and not changed.score_high


def test_reasons_name_what_lies_outside_the_digits_range():
    reference = {
        "recon": np.linspace(40, 120, 101),
        "kl": np.linspace(10, 30, 101),
        "ink": np.linspace(0.05, 0.25, 101),
    }
    assert anomaly.reasons(80, 20, 0.1, reference) == []
    found = anomaly.reasons(5000, 25, 0.48, reference)
    assert [r.code for r in found] == ["recon_high", "ink_high"]
    assert found[1].value == 0.48 and found[1].high == pytest.approx(0.248)
    assert [r.code for r in anomaly.reasons(30, 5, 0.0, reference)] == ["ink_low"]


def test_the_shipped_figure_is_a_fresh_computation_and_teaches_something(served):
    shipped = figures.load(store.model_dir(store.SHIPPED["vae_main"]))[figure.NAME]
    vae = served["vae_main"]
    fresh = figure.compute(vae)
    assert sorted(shipped) == sorted(fresh)
    for key in fresh:
        np.testing.assert_allclose(shipped[key], fresh[key], rtol=1e-4, atol=1e-3, err_msg=key)
    normal = fresh["mnist/neg_elbo"]
    assert 0.6 < explain.auroc(normal, fresh["mirrored/neg_elbo"]) < 0.97  # not on the frame
    assert fresh["simple/neg_elbo"][0] < np.median(normal)  # the blank image looks "likely"
    assert figure.applies(vae.config) and not figure.applies(served["vae_2d"].config)
