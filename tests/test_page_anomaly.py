"""The anomaly page, reached from the entry point with AppTest, showing what it should."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.pages import charts, metric, open_page, png_bytes
from vae_site.i18n import text
from vae_tf import anomaly, data, explain, store

PAGE = "pages/anomaly.py"


def png(pixels: np.ndarray) -> bytes:
    """uint8 pixels (H, W) or (H, W, 3) as PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def gradient() -> bytes:
    """A colourful gradient photo: no digit in it."""
    y, x = np.mgrid[0:240, 0:320]
    return png(np.stack([x / 320 * 255, y / 240 * 255, (1 - x / 320) * 200 + 55], -1).astype(np.uint8))


def test_the_aurocs_match_an_independent_computation_and_one_is_not_perfect(served, bundled):
    at = open_page(PAGE)
    vae = served["vae_main"]
    digits = vae.elbo_terms(data.binarize(bundled[0], 0), seed=0)["neg_elbo"]
    fashion = data.load_npz_split(store.ASSETS_DIR / "fashion_test_300.npz").x[..., 0]
    items = vae.elbo_terms(data.binarize(fashion, 0), seed=0)["neg_elbo"]
    mirrored = vae.elbo_terms(data.binarize(bundled[0][:300, :, ::-1], 0), seed=0)["neg_elbo"]
    assert metric(at, "AUROC, Fashion-MNIST") == pytest.approx(explain.auroc(digits, items), abs=0.0006)
    assert metric(at, "AUROC, mirrored digits") == pytest.approx(explain.auroc(digits, mirrored), abs=0.0006)
    assert metric(at, "AUROC, mirrored digits") < 0.95  # a curve off the frame
    histogram, roc = (c for c in charts(at) if "counts" in c or "curves" in c)
    assert "Count of Records" not in str(at.get("vega_lite_chart")[0].proto.spec)
    assert histogram["counts"].groupby("set")["count"].sum()["MNIST digits"] == 1000


def test_the_known_failure_is_shown_with_its_score(served):
    at = open_page(PAGE)
    blank = served["vae_main"].elbo_terms(data.binarize(anomaly.simple_images()[:1], 0), seed=0)["neg_elbo"][0]
    captions = [img.caption for element in at.get("image") for img in element.proto.imgs]
    assert f"blank: {blank:.0f} nats" in captions
    assert any("the blank image needs only" in m.value for m in at.markdown)


def test_noise_is_unusual_a_digit_is_a_digit_and_no_share_reads_100_percent(bundled):
    at = open_page(PAGE)
    noise = (np.random.default_rng(0).random((112, 112)) * 255).astype(np.uint8)
    at.file_uploader(key="anomaly_upload").set_value(
        [("noise.png", png(noise), "image/png"), ("digit.png", png_bytes(bundled[0][3]), "image/png")]
    ).run()
    assert not at.exception
    assert any("Unusual for this model" in e.value for e in at.error)
    assert any("Looks like a digit" in s.value for s in at.success)
    shown = " ".join(e.value for e in list(at.error) + list(at.success))
    assert "100.0%" not in shown


def test_a_gradient_photo_is_scored_whole_and_the_verdict_says_why():
    at = open_page(PAGE)
    at.file_uploader(key="anomaly_upload").set_value([("gradient.png", gradient(), "image/png")]).run()
    assert not at.exception
    assert any(m.value == "**The whole picture, as it is**" for m in at.markdown)
    assert any("more than every one of the 1,000 test digits" in e.value for e in at.error)
    reasons = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert any("The decoder cannot redraw it" in r for r in reasons)
    assert any(r.startswith("- Ink covers") for r in reasons)


def test_the_page_in_korean_has_translated_charts():
    at = open_page(PAGE, first_lang="ko")
    assert at.title[0].value == text("ko", "anomaly.title")
    specs = " ".join(json.dumps(json.loads(e.proto.spec), ensure_ascii=False) for e in at.get("vega_lite_chart"))
    assert text("ko", "anomaly.axis_count") in specs and text("ko", "anomaly.axis_fpr") in specs
    assert metric(at, "AUROC, 뒤집은 숫자") < 0.95
