"""The anomaly page's reference scores: -ELBO and the IWAE bound of every reference set.

Sets (see `vae_tf.anomaly`): the bundled MNIST test digits ("mnist"), Fashion-MNIST items
("fashion"), uniform noise ("noise"), the first 300 test digits mirrored, turned a quarter
and with a stroke rubbed out ("mirrored", "rotated", "erased"), and three simple images
("simple"). Arrays: "<set>/neg_elbo" and "<set>/iwae" (-log p(x) bound, k = K), in nats, each
image binarized with seed 0 and scored with seed 0; for the test digits also their ELBO terms
"mnist/recon" and "mnist/kl" and "mnist/distance", how far each reconstruction (decoded at the
mean code) lies from its input (`vae_tf.anomaly.distance`), which the reconstruction page's
"did it keep the digit?" check compares against.
"""

import numpy as np

from vae_tf import anomaly, data, store

NAME = "anomaly"
K = 100  # importance samples of the IWAE score: tight enough, and quick for ~2,500 images
SETS = ("mnist", "fashion", "noise", "mirrored", "rotated", "erased", "simple")
TRANSFORMED = 300  # test digits mirrored, rotated and erased


def applies(config) -> bool:
    """The pages score with the 32-D VAEs; the 2-D family's figures skip this one."""
    return config.kind == "vae" and config.latent_size > 2


def reference_sets() -> dict[str, np.ndarray]:
    """Every reference set's grey images (N, 28, 28), by set name."""
    digits = data.load_npz_split(store.ASSETS_DIR / "mnist_test_1000.npz").x[..., 0]
    fashion = data.load_npz_split(store.ASSETS_DIR / "fashion_test_300.npz").x[..., 0]
    first = digits[:TRANSFORMED]
    return {
        "mnist": digits,
        "fashion": fashion,
        "noise": anomaly.noise_images(),
        "mirrored": anomaly.mirrored(first),
        "rotated": anomaly.rotated(first),
        "erased": anomaly.erased(first),
        "simple": anomaly.simple_images(),
    }


def compute(inference) -> dict[str, np.ndarray]:
    """The arrays described in the module docstring."""
    found = {}
    for name, images in reference_sets().items():
        binary = data.binarize(images, 0)
        terms = inference.elbo_terms(binary, seed=0)
        found[f"{name}/neg_elbo"] = terms["neg_elbo"]
        found[f"{name}/iwae"] = -inference.iwae(binary, K, seed=0)
        if name == "mnist":
            found["mnist/recon"], found["mnist/kl"] = terms["recon"], terms["kl"]
            found["mnist/distance"] = anomaly.distance(images, inference.reconstruct(images)[2])
    return {key: np.asarray(value, np.float64) for key, value in found.items()}
