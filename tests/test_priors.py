"""The prior objects against TFP's own distributions and closed forms."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tests.conftest import closed_form_kl
from vae_tf import models, priors

tfd = tfp.distributions


def _mixture(k=4, latent_size=3):
    """A fixed mixture with distinct components, and the same as a `tfd.MixtureSameFamily`."""
    means = tf.random.stateless_normal((k, latent_size), seed=(1, 1)) * 2.0
    stds = tf.exp(tf.random.stateless_normal((k, latent_size), seed=(1, 2)) * 0.5)
    tfp_mixture = tfd.MixtureSameFamily(tfd.Categorical(logits=tf.zeros(k)), tfd.MultivariateNormalDiag(means, stds))
    return priors.GaussianMixture(means, stds), tfp_mixture


def _vamp_components(model):
    """q(z|u_k) of each pseudo-input, by the model's encoder: means and stds (K, L)."""
    return models.encode(model, tf.sigmoid(model.pseudo_inputs))


def test_standard_normal_log_prob_is_tfps():
    z = tf.random.stateless_normal((7, 3, 2), seed=(1, 2)) * 2.0
    expected = tfd.MultivariateNormalDiag(tf.zeros(2), tf.ones(2)).log_prob(z)
    np.testing.assert_allclose(priors.StandardNormal(2).log_prob(z), expected, rtol=1e-6)
    mixture_of_one = priors.GaussianMixture(tf.zeros((1, 2)), tf.ones((1, 2)))  # the generic path
    np.testing.assert_allclose(mixture_of_one.log_prob(z), expected, rtol=1e-5)


def test_mixture_log_prob_is_tfps():
    prior, expected = _mixture()
    z = tf.random.stateless_normal((5, 6, 3), seed=(2, 3)) * 3.0
    assert prior.log_prob(z).shape == (5, 6)
    np.testing.assert_allclose(prior.log_prob(z), expected.log_prob(z), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(prior.distribution().log_prob(z), expected.log_prob(z), rtol=1e-5, atol=1e-5)


def test_vamp_prior_log_prob_is_the_mixture_of_the_encoders_posteriors(tiny_vamp):
    means, stds = _vamp_components(tiny_vamp)
    expected = tfd.MixtureSameFamily(tfd.Categorical(logits=tf.zeros(5)), tfd.MultivariateNormalDiag(means, stds))
    z = tf.random.stateless_normal((7, 3, 2), seed=(1, 2)) * 2.0
    np.testing.assert_allclose(tiny_vamp.prior.log_prob(z), expected.log_prob(z), rtol=1e-4, atol=1e-4)
    for a, b in zip(tiny_vamp.prior.components(), (means, stds), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_marginal_log_prob_is_a_one_dimensional_mixtures():
    prior, _ = _mixture()
    means, stds = prior.components()
    z = tf.random.stateless_normal((6, 3), seed=(4, 5)) * 3.0
    for j in range(3):
        marginal = tfd.MixtureSameFamily(tfd.Categorical(logits=tf.zeros(4)), tfd.Normal(means[:, j], stds[:, j]))
        np.testing.assert_allclose(prior.marginal_log_prob(z)[:, j], marginal.log_prob(z[:, j]), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(priors.StandardNormal(3).marginal_log_prob(z), tfd.Normal(0.0, 1.0).log_prob(z))


def test_vamp_marginal_log_prob_is_a_one_dimensional_mixtures(tiny_vamp):
    means, stds = _vamp_components(tiny_vamp)
    z = tf.random.stateless_normal((6, 2), seed=(4, 6)) * 2.0
    marginal = tfd.MixtureSameFamily(tfd.Categorical(logits=tf.zeros(5)), tfd.Normal(means[:, 1], stds[:, 1]))
    np.testing.assert_allclose(
        tiny_vamp.prior.marginal_log_prob(z)[:, 1], marginal.log_prob(z[:, 1]), rtol=1e-5, atol=1e-5
    )


def test_standard_normal_kl_per_dimension_is_the_closed_form_and_sums_to_the_kl(tiny_vae, binary_test_images):
    x = binary_test_images[:5]
    mean, std = (t.numpy() for t in models.encode(tiny_vae, x))
    per_dimension = models.kl_per_dimension(tiny_vae, x).numpy()  # (B, L)
    textbook = 0.5 * (mean**2 + std**2 - 1.0 - 2.0 * np.log(std))
    np.testing.assert_allclose(per_dimension, textbook, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(per_dimension.sum(-1), models.kl_divergence(tiny_vae, x), rtol=1e-5)
    np.testing.assert_allclose(per_dimension.sum(-1), closed_form_kl(mean, std), rtol=1e-5)


def test_mixture_kl_is_log_q_minus_log_p_at_the_draw():
    prior, tfp_mixture = _mixture(latent_size=2)
    q = tfd.Independent(tfd.Normal([[0.5, -1.0], [2.0, 0.0]], [[0.3, 0.8], [1.0, 0.5]]), 1)
    z = q.sample(seed=(7, 7))
    np.testing.assert_allclose(prior.kl(q, z), q.log_prob(z) - tfp_mixture.log_prob(z), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_samples_have_the_mixtures_mean_and_spread(temperature):
    prior, _ = _mixture()
    means, stds = (t.numpy() for t in prior.components())
    n = 40_000
    z = prior.sample(n, tf.constant([3, 4]), temperature).numpy()  # (n, L)
    assert z.shape == (n, 3)
    mean = means.mean(0)  # a mixture's moments from its components'
    variance = (temperature**2 * stds**2 + means**2).mean(0) - mean**2
    # 5 standard errors from the sample size: the mean's sqrt(var / n), the variance's sqrt((m4 - var^2) / n)
    np.testing.assert_array_less(np.abs(z.mean(0) - mean), 5 * np.sqrt(variance / n))
    fourth = ((z - z.mean(0)) ** 4).mean(0)
    np.testing.assert_array_less(np.abs(z.var(0) - variance), 5 * np.sqrt((fourth - variance**2) / n))


def test_standard_normal_samples_at_a_temperature():
    n, temperature = 40_000, 0.7
    z = priors.StandardNormal(4).sample(n, tf.constant([5, 6]), temperature).numpy()
    np.testing.assert_array_less(np.abs(z.mean(0)), 5 * temperature / np.sqrt(n))
    np.testing.assert_array_less(np.abs(z.std(0) - temperature), 5 * temperature / np.sqrt(2 * n))
    np.testing.assert_array_equal(z, priors.StandardNormal(4).sample(n, tf.constant([5, 6]), temperature))
