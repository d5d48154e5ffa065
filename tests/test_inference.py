"""Serving inference: shapes, agreement with the model, save/load, and many threads at once."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import closed_form_kl
from vae_tf import models, store
from vae_tf.inference import Inference


@pytest.fixture(scope="module")
def served(tiny_vae):
    return Inference(tiny_vae)


def test_shapes_and_ranges(served, binary_test_images):
    mean, std = served.encode(binary_test_images[:5])
    assert mean.shape == std.shape == (5, 2) and np.all(std > 0)
    probs = served.decode(mean)
    assert probs.shape == (5, 28, 28) and probs.min() >= 0 and probs.max() <= 1
    for a, b in zip(served.reconstruct(binary_test_images[:5]), (mean, std, probs), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert served.sample_prior(7, seed=3).shape == (7, 2)
    np.testing.assert_array_equal(served.sample_prior(4, seed=3), served.sample_prior(4, seed=3))
    assert served.sample_posterior(binary_test_images[0], 6, seed=1).shape == (6, 2)


def test_elbo_terms_match_closed_form_kl(served, binary_test_images):
    terms = served.elbo_terms(binary_test_images, seed=0)
    mean, std = served.encode(binary_test_images)
    np.testing.assert_allclose(terms["kl"], closed_form_kl(mean, std), rtol=1e-5)
    np.testing.assert_allclose(terms["neg_elbo"], terms["recon"] + terms["kl"], rtol=1e-6)


def test_iwae_is_at_least_the_elbo(served, binary_test_images):
    x = binary_test_images[:6]
    draws = -np.array([served.elbo_terms(x, seed=s)["neg_elbo"] for s in range(50)])  # (50, 6)
    elbo, stderr = draws.mean(axis=0), draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    bound = served.iwae(x, k=1000, seed=0, chunk=300)
    # Both are estimates: E[IWAE_k] >= ELBO holds in expectation. For the untrained (randomly
    # initialised) model the gap can be a thousandth of a nat, so allow the ELBO's own noise.
    assert bound.shape == (6,) and np.all(bound > elbo - 4 * stderr) and bound.mean() > elbo.mean()
    with pytest.raises(ValueError):
        Inference(models.build(served.config.__class__(kind="ae", latent_size=2, widths=(8,)))).iwae(x, 5)


def test_iwae_does_not_depend_on_how_memory_splits_the_images(served, binary_test_images):
    same_twice = np.repeat(binary_test_images[:1], 2, axis=0)
    together = served.iwae(same_twice, k=50, seed=3, chunk=50)  # one batch: independent draws per image
    apart = served.iwae(same_twice, k=50, seed=3, chunk=50, max_codes=50)  # a batch per image
    assert together[0] != together[1]
    np.testing.assert_allclose(apart, together, rtol=1e-6)
    x = binary_test_images[:7]
    bounds = [served.iwae(x, k=60, seed=1, chunk=20, max_codes=m) for m in (20, 60, 10_000)]
    for bound in bounds[1:]:
        np.testing.assert_allclose(bound, bounds[0], rtol=1e-6)
    assert np.all(served.iwae(x, k=60, seed=2, chunk=20) != bounds[0])  # the seed still decides the draws


def test_save_and_load_give_identical_outputs(tiny_vae, binary_test_images, tmp_path):
    store.save(tiny_vae, tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.weights.h5"]
    before, after = Inference(tiny_vae), Inference(store.load(tmp_path / "m"))
    for a, b in zip(before.encode(binary_test_images), after.encode(binary_test_images), strict=True):
        np.testing.assert_array_equal(a, b)
    z = before.sample_prior(5, seed=0)
    np.testing.assert_array_equal(before.decode(z), after.decode(z))


def test_missing_and_damaged_model_files_say_how_to_remake_them(tiny_vae, tmp_path):
    with pytest.raises(store.ModelFilesError, match="python -m vae_tf.train"):
        store.load(tmp_path / "nothing")
    store.save(tiny_vae, tmp_path / "m")
    (tmp_path / "m" / store.WEIGHTS).write_bytes(b"not hdf5")
    with pytest.raises(store.ModelFilesError, match="could not be read"):
        store.load(tmp_path / "m")
    (tmp_path / "m" / store.CONFIG).write_text("{")
    with pytest.raises(store.ModelFilesError, match="damaged"):
        store.load(tmp_path / "m")


def test_vamp_prior_samples_come_from_its_components(tiny_vamp):
    served = Inference(tiny_vamp)
    assert served.prior_means.shape == served.prior_stds.shape == (5, 2)
    at_zero = served.sample_prior(50, seed=0, temperature=0.0)  # no spread: the components' means
    assert {tuple(z) for z in at_zero.round(5)} <= {tuple(m) for m in served.prior_means.round(5)}
    z = served.sample_prior(20_000, seed=1)
    np.testing.assert_allclose(z.mean(0), served.prior_means.mean(0), atol=0.05)
    np.testing.assert_array_equal(
        served.sample_prior(30, seed=4, temperature=0.5), served.sample_prior(30, seed=4, temperature=0.5)
    )


def test_a_fitted_q_has_a_lower_neg_elbo_than_the_encoders(mnist_small):
    """Fitting q(z|x) to each test digit narrows the amortization gap (scored with other draws than the fit's)."""
    from vae_tf import data

    served = Inference(store.load(store.model_dir(store.SHIPPED["vae_main"])))
    x = data.binarize(mnist_small["test"].x[:32], seed=0)
    mean, std, reconstruction = served.fit(x, seed=0)
    assert mean.shape == std.shape == (32, 32) and np.all(std > 0) and reconstruction.shape == (32, 28, 28)
    np.testing.assert_allclose(reconstruction, served.decode(mean), rtol=1e-5, atol=1e-6)
    encoder = served.elbo_terms(x, seed=7, draws=200)["neg_elbo"]
    fitted = served.elbo_terms(x, seed=7, draws=200, posterior=(mean, std))["neg_elbo"]
    gap = encoder - fitted
    assert gap.mean() > 1.0 and (gap > 0).mean() >= 0.8, gap


def test_fitting_an_image_does_not_depend_on_the_others_or_the_run(served, binary_test_images):
    alone = served.fit(binary_test_images[3:4], seed=2)
    together = served.fit(binary_test_images, seed=2)
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_allclose(a[0], b[3], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(served.fit(binary_test_images, seed=2)[0], together[0])
    assert not np.allclose(served.fit(binary_test_images, seed=3)[0], together[0])


def test_no_fitting_steps_leave_the_encoders_q(tiny_vamp, binary_test_images):
    x = tf.constant(binary_test_images[..., None])
    mean, std = models.fitted_q_z_given_x(tiny_vamp, x, tf.constant([0, 0]), steps=0)
    for a, b in zip((mean, std), models.encode(tiny_vamp, x), strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_elbo_terms_at_the_encoders_own_posterior_are_the_encoders(served, binary_test_images):
    x = binary_test_images[:5]
    at = served.elbo_terms(x, seed=3, draws=4, posterior=served.encode(x))
    for name, value in served.elbo_terms(x, seed=3, draws=4).items():
        np.testing.assert_allclose(at[name], value, rtol=1e-5)


def test_an_ae_has_no_q_to_fit(tiny_ae, binary_test_images):
    with pytest.raises(ValueError, match="needs a VAE"):
        Inference(tiny_ae).fit(binary_test_images[:2])


@pytest.mark.parametrize("name", ["tiny_vae", "tiny_vamp"])
def test_many_threads_at_once_match_serial(name, binary_test_images, request):
    """The TFP layers fail when shared across threads; the served path must not, from its first call on."""
    served = Inference(request.getfixturevalue(name))
    images = [binary_test_images[i % 16 : i % 16 + 3] for i in range(64)]

    def work(i):
        x = images[i]
        mean, std = served.encode(x)
        terms, prior_codes = served.elbo_terms(x, seed=1), served.sample_prior(4, seed=3, temperature=0.8)
        out = mean, std, served.decode(mean), terms["neg_elbo"], served.iwae(x, 20, seed=2), prior_codes
        # A fit is 80% of a call's time: every fourth call fits (16 fits a run, in 8 threads, tracing in the first).
        return out + (served.fit(x, seed=4)[0],) if i % 4 == 0 else out

    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = [list(pool.map(work, range(len(images)))) for _ in range(3)]  # the first run traces every function
    serial = [work(i) for i in range(len(images))]
    for parallel in runs:
        for s, p in zip(serial, parallel, strict=True):
            for a, b in zip(s, p, strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
