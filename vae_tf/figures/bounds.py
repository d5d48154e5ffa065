"""The ELBO-curves page's fixed figure: the importance-weighted bound against k.

For DIGITS bundled test digits, K = 1,000 log-weights log p(x, z_i) - log q(z_i|x) with
z_i ~ q(z|x), split into groups of k: the mean over groups of log (1/k) sum w is the IWAE bound
at k (Burda et al. 2015); k = 1 is the ELBO. Reusing one set of draws for every k makes the gap
ELBO - IWAE_k a smooth curve rather than the difference of two noisy ones.
"""

import numpy as np

from vae_tf import explain
from vae_tf.figures import theory

NAME = "bounds"
K = 1_000
KS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000)
DIGITS = 100
BLOCK = 10  # digits drawn together (10,000 codes at once); each digit's draws depend on its index only
SEED = 2


def applies(config) -> bool:
    """Every VAE (an AE has no q(z|x) to sample from)."""
    return config.kind == "vae"


def block_bounds(inference, digits: np.ndarray, first: int) -> np.ndarray:
    """Bounds on log p(x) for each k of KS, for a block whose first index is `first`: (len(KS), B)."""
    log_w = inference.log_weights(digits, K, seed=SEED, first=first)
    return explain.iwae_against_k(log_w, KS).astype(np.float32)


def compute(inference) -> dict[str, np.ndarray]:
    """ "k" (len(KS),) and "log_px" (len(KS), DIGITS): the bound at each k for each digit."""
    digits = theory.bundled_binary_digits()[:DIGITS]
    log_px = np.concatenate(
        [block_bounds(inference, digits[i : i + BLOCK], i) for i in range(0, DIGITS, BLOCK)], axis=1
    )
    return {"k": np.array(KS), "log_px": log_px}
