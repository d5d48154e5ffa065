"""The prior p(z) of a VAE: one object with every operation the model and the server need.

Both priors of this project are equally weighted mixtures of K diagonal Gaussians over R^L,

    p(z) = (1/K) sum_k N(z; m_k, diag s_k^2),

N(0, I) with K = 1, and the VampPrior of Tomczak & Welling (2018, "VAE with a VampPrior")
with the encoder's posteriors q(z|u_k) at K learned pseudo-inputs u_k as components. So
`GaussianMixture` implements the operations once (log-density, sampling, 1-D marginals, KL
from q(z|x)) from its components, and a prior only says what its components are; N(0, I)
overrides the few operations that have a closed form. A third prior is one more subclass,
its name and meaning in `vae_tf.config.PRIORS`, the line that builds it in
`vae_tf.models.LatentVariableModel._make_prior` (which owns any weights it learns), and its
name on the sidebar's model card (`card_prior_<name>` in vae_site/locales/site.toml).

Training keeps TFP's design: `distribution()` is the `tfd` distribution that the encoder's
`tfpl.KLDivergenceRegularizer` calls, exact KL or not as `exact_kl` says. Everything else
(serving, evaluation, the reported KL) uses the matrix-product `log_prob`, whose memory grows
as (N, K) for N codes, where `tfd.MixtureSameFamily.log_prob` holds (N, K, L).
"""

import math
from collections.abc import Callable

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

_LOG_2PI = math.log(2.0 * math.pi)


class GaussianMixture:
    """p(z) = (1/K) sum_k N(z; means_k, diag stds_k^2), components fixed at construction.

    Subclasses override `components` for components that change as the model learns.

    Args:
      means, stds: the components, (K, L) each.
    """

    exact_kl = False  # no closed-form KL(q || p): `kl` estimates it at a draw z ~ q(z|x)

    def __init__(self, means=None, stds=None):
        self._means = None if means is None else tf.convert_to_tensor(means, tf.float32)
        self._stds = None if stds is None else tf.convert_to_tensor(stds, tf.float32)

    def components(self) -> tuple[tf.Tensor, tf.Tensor]:
        """The components' means and standard deviations, (K, L) each."""
        return self._means, self._stds

    def distribution(self) -> tfd.Distribution:
        """p(z) as a `tfd` distribution, event shape (L,): what the KL regulariser is given."""
        means, stds = self.components()
        mixture = tfd.Categorical(logits=tf.zeros(tf.shape(means)[:1]))
        return tfd.MixtureSameFamily(mixture, tfd.Independent(tfd.Normal(means, stds), 1))

    def log_prob(self, z: tf.Tensor) -> tf.Tensor:
        """log p(z) for codes z (..., L). Shape (...).

        The same number as `tfd.MixtureSameFamily.log_prob`, written with matrix products:
        memory (N, K) for N codes, not (N, K, L); the IWAE bound scores millions of codes.
        """
        means, stds = self.components()
        latent_size = means.shape[-1]
        flat = tf.reshape(z, (-1, latent_size))  # (N, L)
        precision = tf.math.reciprocal(tf.square(stds))  # (K, L)
        squared_distance = (
            tf.matmul(tf.square(flat), precision, transpose_b=True)
            - 2.0 * tf.matmul(flat, means * precision, transpose_b=True)
            + tf.reduce_sum(tf.square(means) * precision, axis=-1)
        )  # (N, K)
        log_norm = -tf.reduce_sum(tf.math.log(stds), axis=-1) - 0.5 * latent_size * _LOG_2PI  # (K,)
        log_p = tf.reduce_logsumexp(log_norm - 0.5 * squared_distance, axis=-1) - _log_count(means)
        return tf.reshape(log_p, tf.shape(z)[:-1])

    def marginal_log_prob(self, z: tf.Tensor) -> tf.Tensor:
        """log p(z_j) of each coordinate under the prior's 1-D marginal, for codes z (B, L). Shape (B, L).

        The marginal of dimension j is the 1-D mixture (1/K) sum_k N(m_kj, s_kj^2). The
        components are added one at a time, so memory stays (B, L) whatever K.
        """
        means, stds = self.components()

        def add_component(total, component):
            mean, std = component  # (L,) each
            return tf.math.reduce_logsumexp(tf.stack([total, tfd.Normal(mean, std).log_prob(z)]), axis=0)

        total = tf.foldl(add_component, (means, stds), initializer=tf.fill(tf.shape(z), -math.inf))
        return total - _log_count(means)

    def sample(self, n, seed, temperature=1.0) -> tf.Tensor:
        """n codes z ~ p(z) with each component's spread scaled by `temperature`. Shape (n, L).

        Args:
          n: number of codes.
          seed: a stateless seed, an int tensor of shape (2,).
          temperature: 1 draws from p(z); 0 gives the components' means.
        """
        means, stds = self.components()
        pick_seed, noise_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        k = tf.random.stateless_uniform((n,), pick_seed, maxval=tf.shape(means)[0], dtype=tf.int32)
        eps = tf.random.stateless_normal((n, means.shape[-1]), noise_seed)
        return tf.gather(means, k) + temperature * tf.gather(stds, k) * eps

    def kl(self, q_z_given_x: tfd.Distribution, z: tf.Tensor) -> tf.Tensor:
        """KL(q(z|x) || p(z)) per image, estimated at the draw z ~ q(z|x): log q(z|x) - log p(z). Shape (B,)."""
        return q_z_given_x.log_prob(z) - self.log_prob(z)

    def kl_per_dimension(self, q_z_given_x: tfd.Distribution, z: tf.Tensor) -> tf.Tensor:
        """KL(q(z_j|x) || p(z_j)) against each 1-D marginal, estimated at z ~ q(z|x) (B, L). Shape (B, L).

        A mixture's marginal KLs do not sum to the joint KL (only a product prior's would).
        """
        q_j = tfd.Normal(q_z_given_x.mean(), q_z_given_x.stddev())
        return q_j.log_prob(z) - self.marginal_log_prob(z)


class StandardNormal(GaussianMixture):
    """p(z) = N(0, I): one component; density, marginals and KL in closed form.

    Args:
      latent_size: L, the number of latent dimensions.
    """

    exact_kl = True

    def __init__(self, latent_size: int):
        super().__init__(tf.zeros((1, latent_size)), tf.ones((1, latent_size)))

    def distribution(self) -> tfd.Distribution:
        return tfd.Independent(tfd.Normal(tf.zeros_like(self._means[0]), 1.0), reinterpreted_batch_ndims=1)

    def log_prob(self, z: tf.Tensor) -> tf.Tensor:
        return self.distribution().log_prob(z)

    def marginal_log_prob(self, z: tf.Tensor) -> tf.Tensor:
        return tfd.Normal(0.0, 1.0).log_prob(z)

    def kl(self, q_z_given_x: tfd.Distribution, z: tf.Tensor = None) -> tf.Tensor:
        """KL(q(z|x) || N(0, I)) per image in closed form (z is not used). Shape (B,)."""
        return tfd.kl_divergence(q_z_given_x, self.distribution())

    def kl_per_dimension(self, q_z_given_x: tfd.Distribution, z: tf.Tensor = None) -> tf.Tensor:
        """KL(q(z_j|x) || N(0, 1)) in closed form (B, L); the dimensions sum to `kl`."""
        return tfd.kl_divergence(tfd.Normal(q_z_given_x.mean(), q_z_given_x.stddev()), tfd.Normal(0.0, 1.0))


class VampPrior(GaussianMixture):
    """The VampPrior p(z) = (1/K) sum_k q(z|u_k), u_k = sigmoid(pseudo_inputs[k]) (Tomczak & Welling 2018).

    The components are recomputed at every use: they move as the encoder and the
    pseudo-inputs learn.

    Args:
      q_z_given_x: images (K, 28, 28, 1) to the encoder's posterior, batch shape (K,), event (L,).
      pseudo_inputs: the K learned pseudo-inputs as logits, (K, 28, 28, 1) (the model owns the variable).
    """

    def __init__(self, q_z_given_x: Callable[[tf.Tensor], tfd.Distribution], pseudo_inputs: tf.Variable):
        super().__init__()
        self._q_z_given_x = q_z_given_x
        self._pseudo_inputs = pseudo_inputs

    def components(self) -> tuple[tf.Tensor, tf.Tensor]:
        q_z_given_u = self._q_z_given_x(tf.sigmoid(self._pseudo_inputs))  # batch (K,)
        return q_z_given_u.mean(), q_z_given_u.stddev()


def _log_count(means: tf.Tensor) -> tf.Tensor:
    """log K for components (K, L): the mixture's equal weights."""
    return tf.math.log(tf.cast(tf.shape(means)[0], means.dtype))
