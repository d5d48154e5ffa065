"""Shared fixtures: tiny models and the committed MNIST sample (tests never read ../shared)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "mnist_small.npz"


@pytest.fixture(scope="session")
def mnist_small():
    from vae_tf import data

    return data.load_mnist(FIXTURE)


@pytest.fixture(scope="session")
def binary_test_images(mnist_small):
    from vae_tf import data

    return data.binarize(mnist_small["test"].x[:16], seed=0)


@pytest.fixture(scope="session")
def tiny_vae():
    from vae_tf import models
    from vae_tf.config import ModelConfig

    return models.build(ModelConfig(kind="vae", latent_size=2, widths=(32,)))


@pytest.fixture(scope="session")
def tiny_vamp():
    from vae_tf import models
    from vae_tf.config import ModelConfig

    return models.build(ModelConfig(kind="vae", latent_size=2, widths=(32,), prior="vamp", pseudo_inputs=5))


@pytest.fixture(scope="session")
def tiny_ae():
    from vae_tf import models
    from vae_tf.config import ModelConfig

    return models.build(ModelConfig(kind="ae", latent_size=2, widths=(32,)))


def closed_form_kl(mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """KL(N(mean, diag std^2) || N(0, I)) per row, by the textbook formula."""
    return 0.5 * np.sum(mean**2 + std**2 - 1.0 - 2.0 * np.log(std), axis=-1)
