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
    """Stands in for an Inference: records what it is asked to score and answers a fixed -ELBO per image."""

    def __init__(self, neg_elbo: float):
        self.neg_elbo, self.asked, self.iwae_asked = neg_elbo, [], []

    def elbo_terms(self, images, seed, draws):
        self.asked.append((images, seed, draws))
        n = len(images)
        return {
            "recon": np.full(n, self.neg_elbo - 20.0),
            "kl": np.full(n, 20.0),
            "neg_elbo": np.full(n, self.neg_elbo),
        }

    def iwae(self, images, k, seed):
        self.iwae_asked.append((images, k, seed))
        return np.full(len(images), -self.neg_elbo + 3.0)


def test_the_score_binarizes_once_averages_its_draws_and_adds_iwae_and_complexity(bundled):
    images = bundled[0][:45]
    served = _Scores(100.0)
    found = anomaly.score(served, images, k=9, draws=7)
    binary = data.binarize(images, 0)
    np.testing.assert_array_equal(np.concatenate([a[0] for a in served.asked]), binary)
    assert [len(a[0]) for a in served.asked] == [20, 20, 5] and {a[1:] for a in served.asked} == {(0, 7)}
    np.testing.assert_array_equal(served.iwae_asked[0][0], binary)
    assert served.iwae_asked[0][1:] == (9, 0)
    assert set(found) == {"recon", "kl", "neg_elbo", "iwae", "complexity"} and found["iwae"][0] == 97.0
    np.testing.assert_array_equal(found["complexity"], anomaly.complexity(binary))
    assert "iwae" not in anomaly.score(_Scores(100.0), images[:2], k=0)


def test_complexity_is_a_code_length_in_nats_that_grows_with_what_is_drawn(bundled):
    blank, dot, bar = anomaly.complexity(anomaly.simple_images())
    noise = anomaly.complexity(data.binarize(anomaly.noise_images(5), 0))
    digits = anomaly.complexity(data.binarize(bundled[0][:50], 0))
    assert blank < dot and blank < bar and blank < digits.min() and digits.max() < noise.min()
    assert noise.min() > 784 * np.log(2) * 0.9  # random bits barely compress: about 1 bit a pixel
    bytes_ = anomaly.complexity(anomaly.simple_images()) / (8 * np.log(2))
    np.testing.assert_allclose(bytes_, np.round(bytes_))  # whole bytes, 8 ln 2 nats each


def test_an_upload_is_scored_as_the_reference_sets_are_and_checked_against_the_test_digits(bundled):
    digit = bundled[0][0]
    reference = {"mnist/neg_elbo": np.linspace(50, 150, 101), "mnist/distance": np.linspace(0.1, 0.3, 101)}
    served = _Scores(100.0)
    terms, check = anomaly.upload_check(served, digit, digit, reference)
    images, seed, draws = served.asked[0]
    np.testing.assert_array_equal(images, data.binarize(digit, seed=0)[None])
    assert (seed, draws) == (0, anomaly.DRAWS) and terms["neg_elbo"][0] == 100.0
    assert terms["neg_elbo"][0] == anomaly.score(_Scores(100.0), digit[None])["neg_elbo"][0]
    assert check == anomaly.check_reconstruction(100.0, 0.0, reference["mnist/neg_elbo"], reference["mnist/distance"])
    assert check.keeps_digit
    _, lost = anomaly.upload_check(_Scores(160.0), digit, digit, reference)
    assert lost.score_high and not lost.keeps_digit
    _, changed = anomaly.upload_check(served, digit, np.zeros_like(digit), reference)
    assert changed.differs and not changed.score_high


def test_one_verdict_per_image_with_its_reasons():
    reference = {
        "score": np.linspace(50, 150, 101),  # 95th percentile 145, 99th 149
        "recon": np.linspace(40, 120, 101),
        "kl": np.linspace(10, 30, 101),
        "ink": np.linspace(0.05, 0.25, 101),
    }
    digit = anomaly.judge(90.0, 70.0, 20.0, 0.15, reference)
    assert digit.code == "digit" and digit.reasons == () and digit.below == 39.6  # 40 of 101 lie below
    assert (digit.borderline, digit.cut) == pytest.approx((145.0, 149.0))
    assert anomaly.judge(147.0, 120.0, 27.0, 0.15, reference).code == "borderline"
    mixed = anomaly.judge(100.0, 70.0, 20.0, 0.4, reference)
    assert mixed.code == "mixed" and [r.code for r in mixed.reasons] == ["ink_high"]
    unusual = anomaly.judge(5000.0, 4900.0, 20.0, 0.5, reference)
    assert unusual.code == "unusual" and [r.code for r in unusual.reasons] == ["recon_high", "ink_high"]
    assert unusual.below == 100.0
    empty = anomaly.judge(30.0, 25.0, 5.0, 0.0, reference)  # a blank: low score, the known failure
    assert empty.code == "empty" and "ink_low" in [r.code for r in empty.reasons]


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
    np.testing.assert_array_equal(
        fresh["mnist/complexity"], anomaly.complexity(data.binarize(figure.reference_sets()["mnist"], 0))
    )


def test_the_model_of_clothes_scores_digits_as_more_likely_and_the_correction_turns_it(served):
    shipped = figures.load(store.model_dir(store.SHIPPED["vae_fashion"]))[figure.NAME]
    sets = figure.reference_sets()
    for name in ("fashion", "mnist"):  # a fresh scoring of each set's first batch equals the shipped one
        fresh = anomaly.score(served["vae_fashion"], sets[name][: anomaly.BATCH])
        for key in ("neg_elbo", "iwae", "complexity"):
            np.testing.assert_allclose(shipped[f"{name}/{key}"][: anomaly.BATCH], fresh[key], rtol=1e-4, atol=1e-3)
    for kind in ("neg_elbo", "iwae"):
        own, digits = shipped[f"fashion/{kind}"], shipped[f"mnist/{kind}"]
        assert np.median(digits) < np.median(own)  # Nalisnick et al. (2019): the reverse
        assert explain.auroc(own, digits) < 0.45
        corrected = explain.auroc(own - shipped["fashion/complexity"], digits - shipped["mnist/complexity"])
        assert corrected > 0.8
    assert np.median(shipped["mnist/complexity"]) < np.median(shipped["fashion/complexity"])
