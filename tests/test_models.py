"""The distributions' shapes, the KL term, and the loss Keras trains against the explicit -ELBO."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras as tfk

from tests.conftest import closed_form_kl
from vae_tf import models, priors
from vae_tf.config import ModelConfig

tfd = tfp.distributions
tfpl = tfp.layers


def test_distribution_shapes(tiny_vae, binary_test_images):
    x = binary_test_images[:3]
    q = models.q_z_given_x(tiny_vae, x)
    assert q.event_shape == (2,) and q.batch_shape == (3,)
    p = models.p_x_given_z(tiny_vae, q.sample(seed=(1, 2)))
    assert p.event_shape == (28, 28, 1) and p.batch_shape == (3,)
    assert models.p_x_given_z(tiny_vae, q.sample(4, seed=(1, 2))).batch_shape == (4, 3)
    prior = tiny_vae.prior.distribution()
    assert prior.event_shape == (2,) and prior.batch_shape == ()
    through_layers = tiny_vae(x)
    assert through_layers.event_shape == (28, 28, 1) and through_layers.batch_shape == (3,)
    assert p.log_prob(x).shape == (3,)


def test_ae_has_the_same_trunks_and_a_deterministic_code(tiny_vae, tiny_ae, binary_test_images):
    assert [w.shape for w in tiny_ae.decoder_net.weights] == [w.shape for w in tiny_vae.decoder_net.weights]
    mean, std = models.encode(tiny_ae, binary_test_images[:3])
    assert mean.shape == (3, 2) and np.all(std.numpy() == 0)
    assert np.all(models.kl_divergence(tiny_ae, binary_test_images[:3]).numpy() == 0)


def test_regulariser_kl_equals_closed_form(tiny_vae, binary_test_images):
    x = binary_test_images[:5]
    tiny_vae(x)
    (batch_mean_kl,) = tiny_vae.losses  # exactly one term: counted once
    mean, std = (t.numpy() for t in models.encode(tiny_vae, x))
    expected = closed_form_kl(mean, std)
    np.testing.assert_allclose(float(batch_mean_kl), expected.mean(), rtol=1e-5)
    np.testing.assert_allclose(models.kl_divergence(tiny_vae, x).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(models.kl_per_dimension(tiny_vae, x).numpy().sum(-1), expected, rtol=1e-5)


def test_plain_independent_normal_counts_the_kl_twice():
    """Why models.GaussianPosterior exists; if TFP fixes this, the subclass can go."""
    prior = priors.StandardNormal(2).distribution()
    layer = tfpl.IndependentNormal(2, activity_regularizer=tfpl.KLDivergenceRegularizer(prior, use_exact_kl=True))
    params = tf.constant([[0.5, -1.0, 0.3, 0.2]])
    layer(params)
    kl = tfd.kl_divergence(tfpl.IndependentNormal.new(params, (2,)), prior)
    np.testing.assert_allclose(float(tf.add_n(layer.losses)), 2 * float(kl[0]), rtol=1e-5)


def test_training_loss_equals_explicit_neg_elbo(tiny_vae, binary_test_images):
    x = binary_test_images
    loss, p_x_given_z = tiny_vae.keras_loss(x)
    explicit = -p_x_given_z.log_prob(x) + models.kl_divergence(tiny_vae, x)
    np.testing.assert_allclose(float(loss), float(tf.reduce_mean(explicit)), rtol=1e-5)


def test_beta_vae_training_loss_is_recon_plus_beta_kl(binary_test_images):
    model = models.build(ModelConfig(kind="vae", latent_size=2, widths=(32,), beta=3.0))
    x = binary_test_images
    loss, p_x_given_z = model.keras_loss(x)
    recon, kl = -p_x_given_z.log_prob(x), models.kl_divergence(model, x)  # exact KL: N(0, I)
    np.testing.assert_allclose(float(loss), float(tf.reduce_mean(recon + 3.0 * kl)), rtol=1e-5)
    model.compile(optimizer=tfk.optimizers.Adam(1e-3))
    logs = model.fit(x, batch_size=len(x), epochs=1, verbose=0).history
    assert abs(logs["loss"][0] - logs["recon"][0] - 3.0 * logs["kl"][0]) < 1e-3
    assert abs(logs["neg_elbo"][0] - logs["recon"][0] - logs["kl"][0]) < 1e-3  # reported with beta = 1
    assert logs["kl"][0] > 0.1  # so that the two checks tell beta = 3 from beta = 1


def test_one_training_step_reports_loss_equal_to_neg_elbo(binary_test_images):
    model = models.build(ModelConfig(kind="vae", latent_size=3, widths=(16,)))
    model.compile(optimizer=tfk.optimizers.Adam(1e-3))
    logs = model.fit(binary_test_images, batch_size=len(binary_test_images), epochs=1, verbose=0).history
    assert abs(logs["loss"][0] - logs["neg_elbo"][0]) < 1e-3
    assert abs(logs["neg_elbo"][0] - logs["recon"][0] - logs["kl"][0]) < 1e-3


def test_elbo_terms_add_up(tiny_vae, binary_test_images):
    terms = models.elbo_terms(tiny_vae, binary_test_images, seed=tf.constant([3, 4]))
    assert all(t.shape == (16,) for t in terms.values())
    np.testing.assert_allclose(terms["neg_elbo"], terms["recon"] + terms["kl"], rtol=1e-6)
    assert np.all(terms["recon"].numpy() > 0) and np.all(terms["kl"].numpy() >= 0)


@pytest.mark.parametrize("name", ["tiny_vae", "tiny_vamp"])
def test_iwae_log_weights_bound_the_elbo(name, binary_test_images, request):
    model = request.getfixturevalue(name)
    x = binary_test_images[:4]
    log_w = models.iwae_log_weights(model, x, 2000, seed=tf.constant([5, 6])).numpy()  # (k, B)
    assert log_w.shape == (2000, 4)
    iwae = np.log(np.mean(np.exp(log_w - log_w.max(0)), 0)) + log_w.max(0)
    assert np.all(iwae >= log_w.mean(0))  # Jensen, on the same draws
    # k = 1: E[log w] is the ELBO = E_q[log p(x|z)] - KL, as elbo_terms computes it (400 draws per
    # image in one call: each row of a batch draws its own z)
    repeated = np.tile(x, (400, 1, 1, 1))
    draws = -models.elbo_terms(model, repeated, tf.constant([0, 9]))["neg_elbo"].numpy().reshape(400, len(x))
    stderr = np.hypot(log_w.std(0) / np.sqrt(len(log_w)), draws.std(0) / np.sqrt(len(draws)))
    assert np.all(np.abs(log_w.mean(0) - draws.mean(0)) < 4 * stderr)


def test_vamp_prior_is_a_mixture_over_the_pseudo_inputs(tiny_vamp):
    prior = tiny_vamp.prior.distribution()
    assert prior.event_shape == (2,) and prior.batch_shape == ()
    assert prior.components_distribution.batch_shape == (5,)
    mean, std = (t.numpy() for t in models.encode(tiny_vamp, tf.sigmoid(tiny_vamp.pseudo_inputs)))
    means, stds = (t.numpy() for t in tiny_vamp.prior.components())
    np.testing.assert_allclose(means, mean, rtol=1e-6)
    np.testing.assert_allclose(stds, std, rtol=1e-6)


@pytest.mark.parametrize("name", ["tiny_vae", "tiny_vamp"])
def test_fast_log_prior_equals_tfp_log_prob(name, request):
    model = request.getfixturevalue(name)
    z = tf.random.stateless_normal((7, 3, 2), seed=(1, 2)) * 2.0
    np.testing.assert_allclose(
        model.prior.log_prob(z).numpy(), model.prior.distribution().log_prob(z).numpy(), rtol=1e-4, atol=1e-4
    )


def test_log_likelihood_of_every_pair_equals_tfp_log_prob(tiny_vae, binary_test_images):
    x = tf.constant(binary_test_images[:5])
    z = tf.random.stateless_normal((7, 2), seed=(3, 4))
    fast = models.log_likelihood(tiny_vae, x, z).numpy()  # (codes, images)
    p_x_given_z = models.p_x_given_z(tiny_vae, z)  # batch (7,), event (28, 28, 1)
    expected = np.stack([p_x_given_z.log_prob(x[b]).numpy() for b in range(5)], axis=1)
    assert fast.shape == (7, 5)
    np.testing.assert_allclose(fast, expected, rtol=1e-5, atol=1e-3)


def test_vamp_regulariser_kl_is_log_q_minus_log_p_at_the_decoded_code(tiny_vamp, binary_test_images):
    x = binary_test_images[:5]
    layer = tiny_vamp.q_z_given_x_layer
    q_z_given_x = layer(tiny_vamp.encoder_net(x))
    z = tf.convert_to_tensor(q_z_given_x)  # the code the decoder would get
    (batch_mean_kl,) = layer.losses  # one term (counted once), divided by the batch size by Keras
    expected = q_z_given_x.log_prob(z) - tiny_vamp.prior.log_prob(z)
    np.testing.assert_allclose(float(batch_mean_kl), float(tf.reduce_mean(expected)), rtol=1e-4, atol=1e-5)


def test_vamp_training_loss_equals_explicit_neg_elbo_in_expectation(tiny_vamp, binary_test_images):
    # 1,200 draws each way: 30 batches of the 4 images repeated 10 times (each row draws its own z),
    # so the batch means are independent estimates of the same expectation.
    batch = np.tile(binary_test_images[:4], (10, 1, 1, 1))
    losses = np.array([float(tiny_vamp.keras_loss(batch)[0]) for _ in range(30)])
    explicit = models.elbo_terms(tiny_vamp, np.tile(batch, (30, 1, 1, 1)), tf.constant([0, 1]))["neg_elbo"].numpy()
    explicit = explicit.reshape(30, len(batch)).mean(axis=1)
    stderr = np.hypot(losses.std(), explicit.std()) / np.sqrt(30)
    assert abs(losses.mean() - explicit.mean()) < 4 * stderr


def test_one_dimensional_vamp_kl_per_dimension_is_the_kl(binary_test_images):
    model = models.build(ModelConfig(kind="vae", latent_size=1, widths=(8,), prior="vamp", pseudo_inputs=3))
    x = binary_test_images[:6]
    seed = tf.constant([7, 8])
    np.testing.assert_allclose(
        models.kl_per_dimension(model, x, seed).numpy()[:, 0],
        models.kl_divergence(model, x, seed).numpy(),
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.parametrize("name", ["tiny_vae", "tiny_vamp"])
def test_iwae_draws_of_an_image_do_not_depend_on_its_batch(name, binary_test_images, request):
    model = request.getfixturevalue(name)
    x, seed = binary_test_images[:6], tf.constant([5, 6])
    together = models.iwae_log_weights(model, x, 30, seed).numpy()  # (k, 6)
    apart = np.concatenate(
        [models.iwae_log_weights(model, x[i : i + 4], 30, seed, first=i).numpy() for i in (0, 4)], axis=1
    )
    np.testing.assert_allclose(apart, together, rtol=1e-5, atol=1e-4)
    same_image = models.iwae_log_weights(model, np.repeat(x[:1], 2, axis=0), 30, seed).numpy()
    assert np.all(same_image[:, 0] != same_image[:, 1])  # each index has its own draws
