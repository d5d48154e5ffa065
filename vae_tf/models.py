"""The VAE and its AE baseline, built from TensorFlow Probability distribution layers.

A latent-variable model p(x) = ∫ p(x|z) p(z) dz with a prior p(z) and a Bernoulli decoder
p(x|z) over the 28x28 pixels. The encoder gives an approximate posterior
q(z|x) = N(mu(x), diag sigma(x)^2), and training maximises the evidence lower bound
(Kingma & Welling 2014, "Auto-Encoding Variational Bayes"):

    log p(x) >= E_q(z|x)[log p(x|z)] - KL(q(z|x) || p(z)) = ELBO(x).

The prior is N(0, I), or the VampPrior of Tomczak & Welling (2018, "VAE with a VampPrior"),
p(z) = (1/K) sum_k q(z|u_k): the encoder's posteriors at K learned pseudo-inputs u_k, a prior
that the model fits to its own aggregate posterior. The KL to N(0, I) is closed-form; to a
VampPrior it is estimated at the sampled code, log q(z|x) - log p(z). Each prior is one object
of `vae_tf.priors` (log-density, samples, marginals, KL from q(z|x)), the model's `prior`.

In Keras the two terms live in the layers: the encoder's last layer is a
`tfp.layers.IndependentNormal` whose `KLDivergenceRegularizer` adds KL(q || p) as an activity
loss, and the decoder's last layer is a `tfp.layers.IndependentBernoulli` whose `log_prob` is
the reconstruction term. Keras sums regularisers however it finds them, which can count the KL
twice in nested models (TFP issue 1215), so every number we report is computed explicitly by
`elbo_terms`, and `train_step` reports the Keras loss beside it; tests check they agree.
Those numbers, and serving, use `q_z_given_x(model, x)` and `p_x_given_z(model, z)`: the same
distributions as the layers', built by the layers' own `new` rules from the plain Keras trunks,
so nothing outside training calls a TFP layer (see `vae_tf.inference` for why).

A beta-VAE (Higgins et al. 2017) weighs the KL by `config.beta` in the training loss only;
the reported -ELBO always weighs it by 1.

The AE baseline shares the encoder and decoder trunks and the Bernoulli log-likelihood; only
the bottleneck differs (a deterministic code, no KL), so the two compare fairly.
"""

import dataclasses

import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras as tfk

from vae_tf import priors
from vae_tf.config import ModelConfig

tfd = tfp.distributions
tfpl = tfp.layers

IMAGE_SHAPE = (28, 28, 1)
NUM_PIXELS = 28 * 28
FIT_STEPS = 50  # Adam's steps of `fitted_q_z_given_x`, q(z|x) fitted to one image


def make_encoder_net(config: ModelConfig) -> tfk.Sequential:
    """The encoder trunk: images (B, 28, 28, 1) to the parameters of q(z|x), or to z for an AE.

    Args:
      config: the model's architecture.

    Returns:
      A plain Keras model (no distribution layers), safe to call from many threads.
    """
    head = config.latent_size
    if config.kind == "vae":
        head = tfpl.IndependentNormal.params_size(config.latent_size)
    layers = [tfk.layers.InputLayer(IMAGE_SHAPE), tfk.layers.Flatten()]
    layers += [tfk.layers.Dense(w, activation=config.activation) for w in config.widths]
    layers.append(tfk.layers.Dense(head))
    return tfk.Sequential(layers, name="encoder_net")


def make_decoder_net(config: ModelConfig) -> tfk.Sequential:
    """The decoder trunk: codes (B, latent) to the 784 Bernoulli logits of p(x|z).

    Args:
      config: the model's architecture; the hidden widths mirror the encoder's.

    Returns:
      A plain Keras model (no distribution layers), safe to call from many threads.
    """
    layers = [tfk.layers.InputLayer((config.latent_size,))]
    layers += [tfk.layers.Dense(w, activation=config.activation) for w in reversed(config.widths)]
    layers.append(tfk.layers.Dense(NUM_PIXELS))
    return tfk.Sequential(layers, name="decoder_net")


def q_z_given_x(model: "LatentVariableModel", x: tf.Tensor) -> tfd.Distribution:
    """q(z|x) = N(mu(x), diag sigma(x)^2) of images x (B, 28, 28, 1): batch (B,), event (L,).

    Built by the `IndependentNormal` layer's own rule from the encoder trunk, without calling
    the layer (pure, so safe from many threads; see `vae_tf.inference`).
    """
    return tfpl.IndependentNormal.new(model.encoder_net(x), (model.config.latent_size,))


def p_x_given_z(model: "LatentVariableModel", z: tf.Tensor) -> tfd.Distribution:
    """p(x|z), independent Bernoulli pixels, for codes z (..., L): batch (...), event (28, 28, 1).

    Built by the `IndependentBernoulli` layer's own rule from the decoder trunk's logits,
    without calling the layer; the codes are decoded as one flat batch.
    """
    logits = model.decoder_net(tf.reshape(z, (-1, model.config.latent_size)))  # (N, 784)
    logits = tf.reshape(logits, tf.concat([tf.shape(z)[:-1], [NUM_PIXELS]], 0))
    return tfpl.IndependentBernoulli.new(logits, IMAGE_SHAPE)


class GaussianPosterior(tfpl.IndependentNormal):
    """`tfpl.IndependentNormal` whose activity regulariser is applied once per call.

    `DistributionLambda.call` hands Keras two outputs, the distribution and a sample of it,
    and Keras applies the activity regulariser to each: the KL would be counted twice (a
    form of TFP issue 1215, measured in tests/test_models.py). We regularise the sample
    only; the regulariser finds its distribution through `_tfp_distribution`.
    """

    def _handle_activity_regularization(self, inputs, outputs):
        if isinstance(outputs, (tuple, list)):
            outputs = outputs[-1]
        super()._handle_activity_regularization(inputs, outputs)


class LatentVariableModel(tfk.Model):
    """A VAE (config.kind == "vae") or its AE baseline ("ae"), trained on -log p(x|z) [+ KL].

    `call` goes through the TFP layers, as Keras trains it; `train_step` and `test_step`
    report the explicit terms of `elbo_terms` beside the Keras loss.
    """

    def __init__(self, config: ModelConfig, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.encoder_net = make_encoder_net(config)
        self.decoder_net = make_decoder_net(config)
        self.prior = self._make_prior()
        if config.kind == "vae":
            # The prior is passed as a callable: a VampPrior changes as the encoder learns.
            kl = tfpl.KLDivergenceRegularizer(
                self.prior.distribution, use_exact_kl=self.prior.exact_kl, weight=config.beta
            )
            self.q_z_given_x_layer = GaussianPosterior(config.latent_size, activity_regularizer=kl, name="q_z_given_x")
        self.p_x_given_z_layer = tfpl.IndependentBernoulli(IMAGE_SHAPE, tfd.Bernoulli.logits, name="p_x_given_z")
        self.trackers = {name: tfk.metrics.Mean(name) for name in ("loss", "neg_elbo", "recon", "kl")}

    def _make_prior(self) -> priors.GaussianMixture:
        """p(z) as the config names it (an AE's codes are compared with N(0, I))."""
        if self.config.prior == "vamp":
            self.pseudo_inputs = self.add_weight(
                name="pseudo_inputs",
                shape=(self.config.pseudo_inputs,) + IMAGE_SHAPE,
                initializer=tfk.initializers.RandomNormal(-3.0, 0.1),
            )  # grey levels near 0.05
            return priors.VampPrior(lambda u: q_z_given_x(self, u), self.pseudo_inputs)
        return priors.StandardNormal(self.config.latent_size)

    def get_config(self):
        """The architecture, for Keras; we save it as config.json and weights only (see vae_tf.store)."""
        return dataclasses.asdict(self.config)

    def call(self, x, training=False):
        code = self.encoder_net(x, training=training)
        if self.config.kind == "vae":
            code = self.q_z_given_x_layer(code)  # adds KL(q || p), summed over the batch
        return self.p_x_given_z_layer(self.decoder_net(code, training=training))

    def keras_loss(self, x, training=False):
        """The loss Keras optimises: mean -log p(x|z) plus the regulariser losses.

        Keras divides an activity regulariser by the batch size, so the KL layer's batch
        total arrives here as a batch mean, like the reconstruction term.
        """
        p_x_given_z = self(x, training=training)
        loss = -tf.reduce_mean(p_x_given_z.log_prob(x))
        if self.losses:
            loss += tf.add_n(self.losses)
        return loss, p_x_given_z

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _update(self, loss, recon, kl):
        """Record the Keras loss and the explicit terms of the batch."""
        self.trackers["loss"].update_state(loss)
        self.trackers["recon"].update_state(recon)
        self.trackers["kl"].update_state(kl)
        self.trackers["neg_elbo"].update_state(recon + kl)
        return {name: m.result() for name, m in self.trackers.items()}

    def train_step(self, x):
        with tf.GradientTape() as tape:
            loss, p_x_given_z = self.keras_loss(x, training=True)
        recon, kl = -p_x_given_z.log_prob(x), kl_divergence(self, x)  # before the update
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables, strict=True))
        return self._update(loss, recon, kl)

    def test_step(self, x):
        loss, p_x_given_z = self.keras_loss(x)
        return self._update(loss, -p_x_given_z.log_prob(x), kl_divergence(self, x))


def build(config: ModelConfig) -> LatentVariableModel:
    """A model with its variables created, ready to train or to load weights into."""
    model = LatentVariableModel(config)
    model(tf.zeros((1,) + IMAGE_SHAPE))
    return model


def kl_divergence(model: LatentVariableModel, x: tf.Tensor, seed=None) -> tf.Tensor:
    """KL(q(z|x) || p(z)) per image; zero for an AE. Shape (B,).

    In closed form for the N(0, I) prior; for a VampPrior, which has none, the one-sample
    estimate log q(z|x) - log p(z) with z ~ q(z|x) drawn with `seed` (a stateless seed, or None).
    """
    if model.config.kind != "vae":
        return tf.zeros(tf.shape(x)[:1])
    q = q_z_given_x(model, x)
    return model.prior.kl(q, q.sample(seed=seed))


def encode(model: LatentVariableModel, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The mean and standard deviation of q(z|x); an AE's code has zero spread. (B, L) each."""
    if model.config.kind != "vae":
        code = model.encoder_net(x)
        return code, tf.zeros_like(code)
    q = q_z_given_x(model, x)
    return q.mean(), q.stddev()


def decode(model: LatentVariableModel, z: tf.Tensor) -> tf.Tensor:
    """p(x|z)'s pixel probabilities, its mean: codes (B, L) to (B, 784)."""
    return tf.reshape(p_x_given_z(model, z).mean(), (-1, NUM_PIXELS))


def reconstruct(model: LatentVariableModel, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """q(z|x)'s mean and spread (B, L) each, and p(x|z)'s pixel probabilities at the mean (B, 28, 28)."""
    return decoded_at_mean(model, *encode(model, x))


def fitted_reconstruction(model: LatentVariableModel, x: tf.Tensor, seed) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """`reconstruct` with q(z|x) fitted to each image alone (`fitted_q_z_given_x`)."""
    return decoded_at_mean(model, *fitted_q_z_given_x(model, x, seed))


def decoded_at_mean(
    model: LatentVariableModel, mean: tf.Tensor, std: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """A q(z|x)'s mean and spread, and p(x|z)'s pixel probabilities at its mean (B, 28, 28)."""
    return mean, std, tf.reshape(decode(model, mean), (-1, 28, 28))


def diagonal_normal(mean: tf.Tensor, std: tf.Tensor) -> tfd.Distribution:
    """N(mean, diag std^2) with batch (B,) and event (L,): a q(z|x) given by its parameters, as the encoder's is."""
    return tfd.Independent(tfd.Normal(mean, std), reinterpreted_batch_ndims=1)


def elbo_terms(
    model: LatentVariableModel, x: tf.Tensor, seed, q: tfd.Distribution | None = None
) -> dict[str, tf.Tensor]:
    """The ELBO's two terms per image, computed explicitly with one z ~ q(z|x).

    Args:
      model: a VAE or AE.
      x: binary images (B, 28, 28, 1).
      seed: a stateless seed, an int tensor of shape (2,).
      q: another q(z|x) for a VAE (batch (B,), event (L,)), e.g. `fitted_q_z_given_x`'s; the encoder's if None.

    Returns:
      `recon` = -log p(x|z), `kl` = KL(q(z|x) || p(z)) (0 for an AE; see `kl_divergence`) and
      `neg_elbo` = recon + kl, each of shape (B,), in nats.
    """
    if model.config.kind == "vae":
        q = q_z_given_x(model, x) if q is None else q
        z = q.sample(seed=seed)
        kl = model.prior.kl(q, z)
    else:
        z, kl = model.encoder_net(x), tf.zeros(tf.shape(x)[:1])
    recon = -p_x_given_z(model, z).log_prob(x)
    return {"recon": recon, "kl": kl, "neg_elbo": recon + kl}


def log_likelihood(model: LatentVariableModel, x: tf.Tensor, z: tf.Tensor) -> tf.Tensor:
    """log p(x_b|z_i) for every pair of binary images x (B, 28, 28, 1) and codes z (n, L). Shape (n, B).

    Bernoulli's log-probability is linear in x, log p(x|z) = x . l - sum_j softplus(l_j) with
    l the decoder's logits, so all pairs take one matrix product and each code is decoded once
    (memory (n, B), not (n, B, 784)); a test checks it equals `p_x_given_z(...).log_prob`.
    """
    logits = model.decoder_net(z)  # (n, 784)
    pixels = tf.reshape(tf.cast(x, logits.dtype), (-1, logits.shape[-1]))  # (B, 784)
    return tf.matmul(logits, pixels, transpose_b=True) - tf.reduce_sum(tf.nn.softplus(logits), -1, keepdims=True)


def iwae_log_weights(model: LatentVariableModel, x: tf.Tensor, k, seed, first=0) -> tf.Tensor:
    """log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x) for k draws z_i ~ q(z|x). Shape (k, B).

    The importance-weighted bound (Burda et al. 2015) is logmeanexp over these; with k = 1 it
    is the ELBO estimated with one sample.

    Args:
      model: a VAE.
      x: binary images (B, 28, 28, 1), images first, ..., first + B - 1 of a larger set.
      k: draws per image.
      seed: a stateless seed (2,); image i's draws use `stateless_fold_in(seed, i)`, so they
        do not depend on how the set is split into batches.
      first: the index of x's first image in the set.
    """
    q = q_z_given_x(model, x)
    z = _draws_per_image(q, k, seed, first)  # (k, B, L)
    log_px_z = p_x_given_z(model, z).log_prob(x)  # broadcasts x over k
    return log_px_z + model.prior.log_prob(z) - q.log_prob(z)


def _draws_per_image(q: tfd.Distribution, k, seed, first) -> tf.Tensor:
    """k reparameterised draws from q (batch (B,), event (L,)), image b's from seed folded with first + b: (k, B, L)."""
    mean, std = q.mean(), q.stddev()  # (B, L)
    shape = tf.stack([k, tf.shape(mean)[1]])

    def noise(index):
        return tf.random.stateless_normal(shape, tf.random.experimental.stateless_fold_in(seed, index))

    index = tf.cast(first, tf.int32) + tf.range(tf.shape(mean)[0])
    eps = tf.map_fn(noise, index, fn_output_signature=tf.float32)  # (B, k, L)
    return mean + std * tf.transpose(eps, (1, 0, 2))


def fitted_q_z_given_x(
    model: LatentVariableModel, x: tf.Tensor, seed, steps: int = FIT_STEPS, draws: int = 8, learning_rate: float = 0.05
) -> tuple[tf.Tensor, tf.Tensor]:
    """q(z|x) fitted to each image alone: its mean and spread (B, L) each, starting from the encoder's.

    The encoder answers for every image in one pass, so its q(z|x) is a compromise, and the
    further an image lies from the training digits the worse it is: the amortization gap
    (Cremer et al. 2018). Here Adam minimises each image's own -ELBO over q's mean and log
    spread, as stochastic variational inference does (and the refinement of semi-amortized
    VAEs, Kim et al. 2018), with `draws` fresh draws of the noise per step. The draws come
    from `seed` and the step alone, the same for every image, so an image's q does not
    depend on the others fitted with it. The images may be grey: their log-likelihood is then
    the cross-entropy of the Bernoulli pixels, the expected log-likelihood of the image
    binarized (see `vae_tf.data.binarize`). The graph holds no variables (the optimiser's
    state is loop tensors), so it is safe from many threads.

    Args:
      model: a VAE.
      x: images (B, 28, 28, 1) in [0, 1].
      seed: a stateless seed (2,).
      steps, draws, learning_rate: Adam's steps, the noise draws per step, Adam's step size.
    """
    q = q_z_given_x(model, x)
    start = (q.mean(), tf.math.log(q.stddev()))
    prior = model.prior if model.prior.exact_kl else priors.GaussianMixture(*model.prior.components())

    def neg_elbo(mean, log_std, eps):
        """Each image's -ELBO estimated at the draws eps (draws, 1, L): (B,)."""
        std = tf.exp(log_std)
        z = mean + std * eps  # (draws, B, L)
        recon = -p_x_given_z(model, z).log_prob(x)  # (draws, B): x broadcasts over the draws
        kl = prior.kl(diagonal_normal(mean, std), z)  # (B,) closed form, else (draws, B)
        return tf.reduce_mean(recon + kl, 0)

    def step(i, params, moments):
        eps = tf.random.stateless_normal(
            (draws, 1, start[0].shape[-1]), tf.random.experimental.stateless_fold_in(seed, i)
        )
        with tf.GradientTape() as tape:
            tape.watch(params)
            loss = tf.reduce_sum(neg_elbo(*params, eps))  # images are independent: each gets its own gradient
        grads = tape.gradient(loss, params)
        t = tf.cast(i + 1, tf.float32)
        step_size = learning_rate * tf.sqrt(1.0 - 0.999**t) / (1.0 - 0.9**t)
        moments = tuple(
            (0.9 * m + 0.1 * g, 0.999 * v + 0.001 * tf.square(g)) for g, (m, v) in zip(grads, moments, strict=True)
        )
        params = tuple(p - step_size * m / (tf.sqrt(v) + 1e-7) for p, (m, v) in zip(params, moments, strict=True))
        return i + 1, params, moments

    zeros = tuple((tf.zeros_like(p), tf.zeros_like(p)) for p in start)
    _, (mean, log_std), _ = tf.while_loop(lambda i, *_: i < steps, step, (tf.constant(0), start, zeros))
    return mean, tf.exp(log_std)


def kl_per_dimension(model: LatentVariableModel, x: tf.Tensor, seed=None) -> tf.Tensor:
    """KL(q(z_j|x) || p(z_j)) for each latent dimension j, against the prior's marginal p(z_j): (B, L).

    For N(0, I) in closed form, and the dimensions sum to `kl_divergence`. A VampPrior's
    marginals are 1-D mixtures: one-sample estimates at z ~ q(z|x) (`seed` as in
    `kl_divergence`), which do not sum to the joint KL. Either way a dimension the model does
    not use has KL near 0.
    """
    if model.config.kind != "vae":
        return tf.zeros_like(model.encoder_net(x))
    q = q_z_given_x(model, x)
    return model.prior.kl_per_dimension(q, q.sample(seed=seed))
