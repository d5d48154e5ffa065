"""The Theory page's fixed figure: log p(x) of each bundled test digit estimated two ways (and the
digit's ELBO terms, and the prior samples the page opens with, so its first visit runs no model).

With n codes from the prior, log (1/n) sum_i p(x|z_i), z_i ~ p(z), and with n codes from the
encoder, log (1/n) sum_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x) (importance sampling), for
n from 1 to SAMPLES (resp. IMPORTANCE_SAMPLES). Both are the same kind of estimate; only the
proposal differs, and the page shows how differently they settle.
"""

import numpy as np

from vae_tf import data, explain, store

NAME = "theory"
SAMPLES = 5_000  # codes from the prior: the same codes for every digit
IMPORTANCE_SAMPLES = 1_000  # codes from q(z|x) per digit: the estimate has settled long before
BLOCK = 10  # digits drawn from q(z|x) together (10,000 codes at once); each digit's draws depend on its index only
PRIOR_SEED, IMPORTANCE_SEED = 1, 1
DRAWS = 100  # draws of z ~ q(z|x) averaged for the ELBO terms shown for one digit
SHOWN_SAMPLES, SHOWN_SEED = 8, 0  # the prior samples the page opens with
TERMS = ("recon", "kl", "neg_elbo")


def applies(config) -> bool:
    """The page derives the textbook model: a VAE with the N(0, I) prior (the 32-D one; no page shows 2-D curves)."""
    return config.kind == "vae" and config.prior == "standard" and config.latent_size > 2


def bundled_binary_digits() -> np.ndarray:
    """The bundled test digits, binarized as the site scores them (seed 0). (N, 28, 28)."""
    split = data.load_npz_split(store.ASSETS_DIR / "mnist_test_1000.npz")
    return data.binarize(split.x[..., 0], 0)


def curves(inference, digits: np.ndarray, first: int) -> dict[str, np.ndarray]:
    """The two estimates for digits whose first index (among the bundled) is `first`.

    Returns:
      "prior" (C, B) and "importance" (C', B) estimates of log p(x), "prior_top_share" (B,): the
      share of the prior estimate's sum held by its single best code, and "terms" (3, B): each
      digit's TERMS, averaged over DRAWS draws z ~ q(z|x) (seed 0, the digit scored alone).
    """
    codes = inference.sample_prior(SAMPLES, seed=PRIOR_SEED)
    log_px_z = inference.log_likelihood(digits, codes)  # (SAMPLES, B)
    log_w = np.concatenate(
        [
            inference.log_weights(digits[i : i + BLOCK], IMPORTANCE_SAMPLES, seed=IMPORTANCE_SEED, first=first + i)
            for i in range(0, len(digits), BLOCK)
        ],
        axis=1,
    )
    return {
        "prior": explain.running_log_mean_exp(log_px_z, explain.sample_counts(SAMPLES)).astype(np.float32),
        "importance": explain.running_log_mean_exp(log_w, explain.sample_counts(IMPORTANCE_SAMPLES)).astype(np.float32),
        "prior_top_share": explain.top_weight_share(log_px_z).astype(np.float32),
        "terms": np.stack([_terms(inference, x) for x in digits], axis=1).astype(np.float32),
    }


def _terms(inference, digit: np.ndarray) -> np.ndarray:
    """One digit's TERMS in nats, as `Inference.elbo_terms` gives them for it alone: (3,)."""
    terms = inference.elbo_terms(digit[None], seed=0, draws=DRAWS)
    return np.array([terms[name][0] for name in TERMS])


def compute(inference) -> dict[str, np.ndarray]:
    """Both estimates for every bundled digit, a column per digit, and the sample counts."""
    digits = bundled_binary_digits()
    blocks = [curves(inference, digits[i : i + 100], i) for i in range(0, len(digits), 100)]  # (5,000, 100) at once
    arrays = {key: np.concatenate([b[key] for b in blocks], axis=-1) for key in blocks[0]}
    arrays["prior_counts"] = explain.sample_counts(SAMPLES)
    arrays["importance_counts"] = explain.sample_counts(IMPORTANCE_SAMPLES)
    arrays["prior_samples"] = inference.decode(inference.sample_prior(SHOWN_SAMPLES, seed=SHOWN_SEED)).astype(
        np.float32
    )
    return arrays
