"""The anomaly page's reference scores: -ELBO and -IWAE of every reference set.

Sets (see `vae_tf.anomaly`): the bundled MNIST test digits ("mnist"), Fashion-MNIST items
("fashion"), uniform noise ("noise"), the first 300 test digits mirrored, turned a quarter
and with a stroke rubbed out ("mirrored", "rotated", "erased"), and three simple images
("simple"). Arrays, each image scored by `vae_tf.anomaly.score` (binarized with seed 0):
"<set>/neg_elbo" and "<set>/iwae" (-IWAE with k = K, an upper bound on -log p(x)) in nats, and
"<set>/complexity", the code length L(x) of the binarized image under a generic compressor
(`vae_tf.anomaly.complexity`); for the test digits also their ELBO terms "mnist/recon" and
"mnist/kl" and "mnist/distance", how far each reconstruction (decoded at the mean code) lies
from its input (`vae_tf.anomaly.distance`), which the reconstruction page's "did it keep the
digit?" check compares against.

The same sets serve a model trained on Fashion-MNIST (`vae_tf.store.OTHER_DATA`): for it the
clothes are the familiar set and the digits the unusual one, the reversed test of Nalisnick et
al. (2019).
"""

import numpy as np

from vae_tf import anomaly, data, store

NAME = "anomaly"
K = anomaly.K  # importance samples of the -IWAE score: tight enough, and quick for ~2,500 images
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
        scores = anomaly.score(inference, images, k=K)
        for key in ("neg_elbo", "iwae", "complexity") + (("recon", "kl") if name == "mnist" else ()):
            found[f"{name}/{key}"] = scores[key]
        if name == "mnist":
            found["mnist/distance"] = anomaly.distance(images, inference.reconstruct(images)[2])
    return {key: np.asarray(value, np.float64) for key, value in found.items()}
