"""The anomaly page, reached from the entry point with AppTest, showing what it should."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.pages import metric, open_page, png_bytes
from vae_tf import data, explain, store


def test_anomaly_auroc_matches_an_independent_computation(served, bundled):
    at = open_page("pages/anomaly.py")
    vae = served["vae_main"]
    digits = vae.elbo_terms(data.binarize(bundled[0], 0), seed=0)["neg_elbo"]
    fashion = data.load_npz_split(store.ASSETS_DIR / "fashion_test_300.npz").x[..., 0]
    items = vae.elbo_terms(data.binarize(fashion, 0), seed=0)["neg_elbo"]
    expected = explain.auroc(digits, items)
    assert metric(at, "AUROC, digits vs Fashion-MNIST") == pytest.approx(expected, abs=0.0006)


def test_anomaly_calls_uploaded_noise_unusual_and_a_digit_a_digit(bundled):
    at = open_page("pages/anomaly.py")
    noise = (np.random.default_rng(0).random((112, 112)) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG")
    at.file_uploader(key="anomaly_upload").set_value([("noise.png", buffer.getvalue(), "image/png"),
                                                      ("digit.png", png_bytes(bundled[0][3]), "image/png")]).run()
    assert not at.exception
    assert any("Unusual for this model" in e.value for e in at.error)
    assert any("Looks like a digit" in s.value for s in at.success)
