"""Shared fixtures: tiny models and the committed MNIST sample (tests never read ../shared)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vae_site import process  # noqa: E402  (the process set-up comes first, as in streamlit_app.py)

process.configure()

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


@pytest.fixture(scope="session")
def served():
    """The shipped models, loaded directly (not through the site)."""
    from vae_tf import store
    from vae_tf.inference import Inference

    return {role: Inference(store.load(store.model_dir(name))) for role, name in store.SHIPPED.items()}


@pytest.fixture(scope="session")
def bundled():
    """The bundled MNIST test digits: grey images (N, 28, 28) and labels."""
    from vae_tf import data, store

    split = data.load_npz_split(store.ASSETS_DIR / "mnist_test_1000.npz")
    return split.x[..., 0], split.y


# --- The real-browser tests (tests/browser.py): one server and one Chromium for every file --------
# Each start of `streamlit run` imports TensorFlow and loads the models its first pages use again; the
# browser tests share one (a test that needs a fresh server starts its own with `browser.serving()`).


@pytest.fixture(scope="session")
def server():
    """The base URL of one `streamlit run` of the site, shared by the browser tests."""
    from tests import browser

    with browser.serving() as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium, shared by the browser tests (each test opens its own context)."""
    from tests import browser

    with browser.chromium() as launched:
        yield launched


@pytest.fixture
def site(server, chromium):
    """(base URL, Chromium) of the shared server and browser."""
    return server, chromium
