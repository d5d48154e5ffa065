"""Fast, thread-safe inference for serving: encode, decode, sample, ELBO and IWAE.

The site serves every browser session from its own thread, sharing one model. TFP's
distribution layers are not safe to call from several threads at once (their `__call__`
keeps per-call state), so nothing here goes through them: each method is a `tf.function`
over the plain Keras trunks, and the distributions are built with the layers' own pure
`new` rules (see `vae_tf.models`). Each function is traced once, with a fixed input signature,
at its first call (one trace at a time in the process, behind a lock), so later calls from many
threads only run the traced graphs, never `predict`, and a page traces only what it uses.
The functions have no data-dependent Python control flow, so AutoGraph is off: converting the
Keras and TFP code it would walk is most of a trace's time (BENCHMARKS.md, "Settings kept").
"""

import threading

import numpy as np
import tensorflow as tf

from vae_tf import models, priors

_IMAGES = tf.TensorSpec((None,) + models.IMAGE_SHAPE, tf.float32)
_SEED = tf.TensorSpec((2,), tf.int32)
_COUNT = tf.TensorSpec((), tf.int32)


class Inference:
    """Inference on one model; methods take and return NumPy arrays.

    Args:
      model: a built `LatentVariableModel` (see `vae_tf.store.load`).
    """

    fit_steps = models.FIT_STEPS  # Adam's steps when `fit` fits q(z|x) to an image

    def __init__(self, model: models.LatentVariableModel):
        self.model = model
        self.config = model.config
        self.latent_size = model.config.latent_size
        codes = tf.TensorSpec((None, self.latent_size), tf.float32)
        self._encode = _traced(lambda x: models.encode(model, x), _IMAGES)
        self._decode = _traced(lambda z: models.decode(model, z), codes)
        self._reconstruct = _traced(lambda x: models.reconstruct(model, x), _IMAGES)
        self._elbo = _traced(lambda x, s: models.elbo_terms(model, x, s), _IMAGES, _SEED)
        self._elbo_at = _traced(
            lambda x, m, sd, s: models.elbo_terms(model, x, s, models.diagonal_normal(m, sd)),
            _IMAGES,
            codes,
            codes,
            _SEED,
        )
        self._kl = _traced(lambda x, s: models.kl_per_dimension(model, x, s), _IMAGES, _SEED)
        self._log_px_z = _traced(lambda x, z: models.log_likelihood(model, x, z), _IMAGES, codes)
        self._log_weights = self._fit = None
        if model.config.kind == "vae":
            self._fit = _traced(lambda x, s: models.fitted_reconstruction(model, x, s), _IMAGES, _SEED)
            self._log_weights = _traced(
                lambda x, k, s, i: models.iwae_log_weights(model, x, k, s, i), _IMAGES, _COUNT, _SEED, _COUNT
            )
        # p(z) is fixed once trained: its mixture components, (K, L) each, read once.
        self.prior_means, self.prior_stds = (t.numpy() for t in model.prior.components())
        prior = priors.GaussianMixture(self.prior_means, self.prior_stds)
        self._sample_prior = _traced(prior.sample, _COUNT, _SEED, tf.TensorSpec((), tf.float32))

    def encode(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of q(z|x), each (N, L); an AE has zero spread.

        Args:
          images: (N, 28, 28) or (N, 28, 28, 1), values in [0, 1].
        """
        mean, std = self._encode(_as_images(images))
        return mean.numpy(), std.numpy()

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Pixel probabilities of p(x|z), the decoder's mean: (N, L) codes to (N, 28, 28)."""
        z = np.asarray(z, np.float32).reshape(-1, self.latent_size)
        return self._decode(z).numpy().reshape(-1, 28, 28)

    def reconstruct(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`encode`, then `decode` at the mean, in one graph call (half the dispatch cost of the two).

        Returns:
          the mean and spread of q(z|x), (N, L) each, and the reconstruction's pixel
          probabilities, (N, 28, 28).
        """
        return tuple(t.numpy() for t in self._reconstruct(_as_images(images)))

    def fit(self, images: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """q(z|x) fitted to each image alone (`models.fitted_q_z_given_x`), and the decoded mean: as `reconstruct`.

        Args:
          images: (N, 28, 28[, 1]) in [0, 1], grey or binary.
          seed: seed of the noise drawn at each of the fit's steps (the same for every image).
        """
        if self._fit is None:
            raise ValueError("fitting q(z|x) needs a VAE: an AE has none")
        return tuple(t.numpy() for t in self._fit(_as_images(images), _seed(seed)))

    def sample_prior(self, n: int, seed: int, temperature: float = 1.0) -> np.ndarray:
        """n codes z ~ p(z), reproducible from `seed`. Shape (n, L).

        The temperature scales the spread of each mixture component: N(0, temperature^2 I)
        for the standard prior; for a VampPrior, q(z|u_k) with its sigma scaled, k uniform.
        """
        return self._sample_prior(tf.constant(n), _seed(seed), tf.constant(temperature, tf.float32)).numpy()

    def sample_posterior(self, image: np.ndarray, n: int, seed: int) -> np.ndarray:
        """n codes z ~ q(z|x) for one image, reproducible from `seed`. Shape (n, L)."""
        mean, std = self.encode(image[None])
        eps = np.random.default_rng(seed).standard_normal((n, self.latent_size))
        return (mean + std * eps).astype(np.float32)

    def elbo_terms(
        self, images: np.ndarray, seed: int = 0, draws: int = 1, posterior: tuple[np.ndarray, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """Per-image `recon` (-log p(x|z)), `kl` and `neg_elbo`, in nats; each (N,).

        Args:
          images: binary images (see `vae_tf.data.binarize`), (N, 28, 28[, 1]).
          seed: seed of the draws z ~ q(z|x).
          draws: each term is averaged over this many draws (one draw is an unbiased estimate;
            averaging steadies a number shown for one image).
          posterior: the mean and spread (N, L) of another q(z|x) of a VAE (e.g. `fit`'s); the encoder's if None.
        """
        x = tf.convert_to_tensor(np.repeat(_as_images(images).numpy(), draws, axis=0))  # (N * draws, 28, 28, 1)
        if posterior is None:
            terms = self._elbo(x, _seed(seed))
        else:
            mean, std = (
                np.repeat(np.asarray(p, np.float32).reshape(-1, self.latent_size), draws, 0) for p in posterior
            )
            terms = self._elbo_at(x, mean, std, _seed(seed))
        return {name: t.numpy().reshape(-1, draws).mean(axis=1) for name, t in terms.items()}

    def kl_per_dimension(self, images: np.ndarray, seed: int = 0) -> np.ndarray:
        """KL(q(z_j|x) || p(z_j)) for each latent dimension j: (N, L) in nats (see `models.kl_per_dimension`)."""
        return self._kl(_as_images(images), _seed(seed)).numpy()

    def log_likelihood(self, images: np.ndarray, z: np.ndarray) -> np.ndarray:
        """log p(x_b|z_i) of binary images (B, 28, 28[, 1]) under each code z_i of (n, L). Shape (n, B)."""
        z = np.asarray(z, np.float32).reshape(-1, self.latent_size)
        return self._log_px_z(_as_images(images), z).numpy()

    def log_weights(self, images: np.ndarray, k: int, seed: int = 0, stream: int = 0, first: int = 0) -> np.ndarray:
        """log p(x, z_i) - log q(z_i|x) for k draws z_i ~ q(z|x) per image. Shape (k, N).

        Args:
          images: binary images (N, 28, 28[, 1]).
          k: number of draws.
          seed, stream: the draws are reproducible from the pair.
          first: the index of the first image in a larger set; each image's draws depend only
            on (seed, stream) and its index, not on the other images passed with it.
        """
        if self._log_weights is None:
            raise ValueError("importance weights need a VAE: an AE has no q(z|x)")
        return self._log_weights(_as_images(images), tf.constant(k), _seed(seed, stream), tf.constant(first)).numpy()

    def iwae(self, images: np.ndarray, k: int, seed: int = 0, chunk: int = 500, max_codes: int = 2_000) -> np.ndarray:
        """The importance-weighted bound log p(x) >= log (1/k) sum_i w_i, per image (N,).

        Args:
          images: binary images (N, 28, 28[, 1]).
          k: number of importance samples (Burda et al. 2015 report k = 5000).
          seed: seed of the draws. Image i's draws in the chunk of samples starting at s come
            from (seed, s, i) alone, so the bound depends on `seed` and `chunk` but not on
            `max_codes` or on how a caller splits the images (if it passes their indices).
          chunk: samples drawn at once per image.
          max_codes: about this many codes are decoded at once (images are split to fit, at
            least one image of `chunk` codes per step), which bounds memory at about
            max_codes * 784 * 4 bytes per tensor (the default's measured cost: BENCHMARKS.md,
            "Settings kept").
        """
        images = np.asarray(images, np.float32).reshape((-1,) + models.IMAGE_SHAPE)
        chunk = max(1, min(chunk, k))
        batch = max(1, max_codes // chunk)
        return np.concatenate(
            [self._iwae_batch(images[i : i + batch], k, seed, chunk, first=i) for i in range(0, len(images), batch)]
        )

    def _iwae_batch(self, images: np.ndarray, k: int, seed: int, chunk: int, first: int) -> np.ndarray:
        """`iwae` of images first, first + 1, ... of the set, few enough to decode chunk codes per image at once."""
        total = np.full(len(images), -np.inf)
        for start in range(0, k, chunk):
            log_w = self.log_weights(images, min(chunk, k - start), seed, stream=start, first=first)
            total = np.logaddexp(total, np.logaddexp.reduce(log_w, axis=0))
        return total - np.log(k)


_TRACING = threading.Lock()  # one trace at a time in the process: tracing calls the Keras trunks


class _TracedOnFirstCall:
    """A `tf.function` with a fixed input signature, traced at its first call under `_TRACING`.

    TensorFlow guards each function's own tracing, but two functions of one model tracing at
    once would call the same Keras layers from two threads; the lock rules that out. After the
    trace, calls only run the graph and take no lock.
    """

    def __init__(self, fn, signature: list[tf.TensorSpec]):
        self._function = tf.function(fn, input_signature=signature, autograph=False)
        self._ready = False

    def __call__(self, *args):
        if not self._ready:
            with _TRACING:
                self._function.get_concrete_function()  # the signature fixes the one trace
                self._ready = True
        return self._function(*args)


def _traced(fn, *signature: tf.TensorSpec) -> _TracedOnFirstCall:
    """`fn` as a graph with a fixed input signature, traced without AutoGraph (see the module doc)."""
    return _TracedOnFirstCall(fn, list(signature))


def _as_images(images: np.ndarray) -> tf.Tensor:
    """(N, 28, 28[, 1]) array to a float32 tensor (N, 28, 28, 1)."""
    return tf.convert_to_tensor(np.asarray(images, np.float32).reshape((-1,) + models.IMAGE_SHAPE))


def _seed(seed: int, stream: int = 0) -> tf.Tensor:
    """A stateless seed tensor (2,) from an int and a stream number."""
    return tf.constant([int(seed) % (2**31), int(stream) % (2**31)], tf.int32)
