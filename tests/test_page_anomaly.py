"""The anomaly page, reached from the entry point with AppTest, showing what it should."""

import io
import json
import re
import tomllib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.conftest import ROOT
from tests.pages import charts, metric, open_page, png_bytes
from vae_site.i18n import text
from vae_tf import anomaly, explain, figures, store
from vae_tf.figures import anomaly as figure

PAGE = "pages/anomaly.py"
PHOTO_8 = ROOT / "tests" / "fixtures" / "photo_8.jpg"
VERDICTS = ("Looks like a digit", "Borderline", "Unusual for this model", "Not a digit, whatever its score")


def png(pixels: np.ndarray) -> bytes:
    """uint8 pixels (H, W) or (H, W, 3) as PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def gradient() -> bytes:
    """A colourful gradient photo: no digit in it."""
    y, x = np.mgrid[0:240, 0:320]
    return png(np.stack([x / 320 * 255, y / 240 * 255, (1 - x / 320) * 200 + 55], -1).astype(np.uint8))


def scribble() -> bytes:
    """A zig-zag pen scribble on white paper, like one drawn to test the page."""
    img = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(img).line([(40, 60), (240, 90), (50, 130), (230, 170), (60, 210), (220, 230)], fill=0, width=18)
    return png(np.asarray(img))


def figure_of(role: str) -> dict[str, np.ndarray]:
    return figures.load(store.model_dir(store.SHIPPED[role]))[figure.NAME]


def verdicts(at) -> list[str]:
    """The text of every verdict box on the page (success, warning or error)."""
    boxes = list(at.success) + list(at.warning) + list(at.error)
    return [b.value for b in boxes if any(b.value.startswith(f"**{v}") for v in VERDICTS)]


def test_the_aurocs_and_the_captions_numbers_come_from_the_figure():
    at = open_page(PAGE, answered=True)
    shipped = figure_of("vae_main")
    digits = shipped["mnist/neg_elbo"]
    areas = {code: explain.auroc(digits, shipped[f"{code}/neg_elbo"]) for code in ("fashion", "noise", "mirrored")}
    assert metric(at, "AUROC, Fashion-MNIST") == pytest.approx(areas["fashion"], abs=0.0006)
    assert metric(at, "AUROC, mirrored digits") == pytest.approx(areas["mirrored"], abs=0.0006)
    assert metric(at, "AUROC, mirrored digits") < 0.95  # a curve off the frame
    captions = " ".join(c.value for c in at.caption)
    assert f"test digits {np.median(digits):,.0f} nats" in captions
    assert f"noise {np.median(shipped['noise/neg_elbo']):,.0f}" in captions
    assert f"Clothes reach {areas['fashion']:.3f}, noise {areas['noise']:.3f}" in captions
    histogram = next(c for c in charts(at) if "counts" in c)
    assert histogram["counts"].groupby("set")["count"].sum()["MNIST digits"] == len(digits)
    assert "Count of Records" not in str(at.get("vega_lite_chart")[0].proto.spec)


def test_the_iwae_score_is_named_an_upper_bound_and_its_numbers_follow():
    at = open_page(PAGE, score="iwae")
    shipped = figure_of("vae_main")
    assert at.radio(key="score").value == "iwae"
    assert any("upper bound on −log p(x)" in option for option in at.radio(key="score").options)
    captions = " ".join(c.value for c in at.caption)
    assert f"test digits {np.median(shipped['mnist/iwae']):,.0f} nats" in captions


def test_the_known_failure_is_shown_with_its_score_and_every_image_has_alt_text():
    at = open_page(PAGE, answered=True)
    blank = figure_of("vae_main")["simple/neg_elbo"][0]
    images = [img for element in at.get("image") for img in element.proto.imgs]
    assert f"blank: {blank:.0f} nats" in [img.caption for img in images]
    assert images and all(img.alt for img in images)
    assert any("the blank image needs only" in m.value for m in at.markdown)
    shipped = figure_of("vae_main")
    corrected = shipped["mnist/neg_elbo"] - shipped["mnist/complexity"]
    blank_corrected = anomaly.above(blank - shipped["simple/complexity"][0], corrected)
    assert blank_corrected < 1.0  # the correction catches the blank image
    assert any(f"only {blank_corrected:.1f}% of the test digits score above the blank" in m.value for m in at.markdown)


def test_the_reversed_test_shows_digits_as_more_likely_and_the_remedy_computed():
    at = open_page(PAGE, answered=True)
    shipped = figure_of("vae_fashion")
    own, digits = shipped["fashion/neg_elbo"], shipped["mnist/neg_elbo"]
    raw = explain.auroc(own, digits)
    corrected = explain.auroc(own - shipped["fashion/complexity"], digits - shipped["mnist/complexity"])
    assert metric(at, "AUROC, digits against clothes, −ELBO") == pytest.approx(raw, abs=0.0006)
    assert metric(at, "AUROC, digits against clothes, S(x)") == pytest.approx(corrected, abs=0.0006)
    assert raw < 0.5 < corrected
    captions = " ".join(c.value for c in at.caption)
    assert f"its test clothes need {np.median(own):.0f} nats at the median, MNIST digits only" in captions
    assert f"reaches an AUROC of {raw:.3f}, below chance" in captions and f"turns it to {corrected:.3f}" in captions
    reverse = next(
        c for c in charts(at) if "counts" in c and set(c["counts"]["set"]) == {"Fashion-MNIST", "MNIST digits"}
    )
    assert reverse["counts"].groupby("set")["count"].sum()["Fashion-MNIST"] == len(own)
    why = next(m.value for m in at.markdown if m.value.startswith("**Why.**"))
    assert f"{np.median(shipped['mnist/complexity']):.0f} nats for the median digit" in why


def test_a_prediction_is_answered_from_the_page_data():
    at = open_page(PAGE)
    prompt = at.radio(key="predict_reverse")
    assert prompt.value is None and "Before you look" in " ".join(m.value for m in at.markdown)
    shipped = figure_of("vae_fashion")
    right = "lower" if np.median(shipped["mnist/neg_elbo"]) < np.median(shipped["fashion/neg_elbo"]) else "higher"
    prompt.set_value(right).run()
    assert any(s.value.startswith("Right.") and "AUROC" in s.value for s in at.success)
    at.radio(key="predict_reverse").set_value({"lower": "higher", "higher": "lower"}[right]).run()
    assert any(f"the answer is “{right}" in i.value for i in at.info)


def test_noise_is_unusual_a_digit_is_a_digit_and_no_share_reads_100_percent(bundled):
    at = open_page(PAGE)
    noise = (np.random.default_rng(0).random((112, 112)) * 255).astype(np.uint8)
    at.file_uploader(key="anomaly_upload").set_value(
        [("noise.png", png(noise), "image/png"), ("digit.png", png_bytes(bundled[0][3]), "image/png")]
    ).run()
    assert not at.exception
    said = verdicts(at)
    assert len(said) == 2  # one verdict per image
    assert sum(v.startswith("**Unusual for this model") for v in said) == 1
    assert sum(v.startswith("**Looks like a digit") for v in said) == 1
    assert "100.0%" not in " ".join(said)


def test_a_photo_of_a_digit_gets_one_verdict_and_it_says_digit():
    at = open_page(PAGE)
    at.file_uploader(key="anomaly_upload").set_value([("eight.jpg", PHOTO_8.read_bytes(), "image/jpeg")]).run()
    assert not at.exception
    said = verdicts(at)
    assert len(said) == 1 and said[0].startswith("**Looks like a digit"), said
    assert any("cut out of your picture" in c.value for c in at.caption)


def test_a_scribble_gets_one_verdict_with_its_reason():
    at = open_page(PAGE)
    at.file_uploader(key="anomaly_upload").set_value([("scribble.png", scribble(), "image/png")]).run()
    assert not at.exception
    said = verdicts(at)
    assert len(said) == 1 and not said[0].startswith("**Looks like a digit"), said
    value = float(re.search(r"([\d,]+\.\d) nats", said[0]).group(1).replace(",", ""))
    cut = np.percentile(figure_of("vae_main")["mnist/neg_elbo"], anomaly.PERCENTILE)
    assert value > np.percentile(figure_of("vae_main")["mnist/neg_elbo"], anomaly.BORDERLINE)
    assert f"{cut:.1f} nats" in said[0]


def test_a_blank_picture_is_not_a_digit_whatever_its_score():
    at = open_page(PAGE)
    at.file_uploader(key="anomaly_upload").set_value(
        [("blank.png", png(np.full((200, 200), 255, np.uint8)), "image/png")]
    ).run()
    assert not at.exception
    said = verdicts(at)
    assert len(said) == 1 and said[0].startswith("**Not a digit, whatever its score"), said
    assert any(m.value.startswith("- Almost no ink") for m in at.markdown)


def test_a_gradient_photo_is_unusual_and_the_verdict_says_why():
    at = open_page(PAGE)
    at.file_uploader(key="anomaly_upload").set_value([("gradient.png", gradient(), "image/png")]).run()
    assert not at.exception
    said = verdicts(at)
    assert len(said) == 1 and "more than every one of the 1,000 test digits" in said[0]
    assert any("cut out of your picture" in c.value for c in at.caption)
    reasons = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert any("The decoder cannot redraw it" in r for r in reasons)


def test_the_page_in_korean_has_translated_charts():
    at = open_page(PAGE, answered=True, first_lang="ko")
    assert at.title[0].value == text("ko", "anomaly.title")
    specs = " ".join(json.dumps(json.loads(e.proto.spec), ensure_ascii=False) for e in at.get("vega_lite_chart"))
    assert text("ko", "anomaly.axis_count") in specs and text("ko", "anomaly.axis_fpr") in specs
    assert metric(at, "AUROC, 좌우 반전한 숫자") < 0.95


def test_no_paragraph_of_the_page_is_over_80_words_in_either_language():
    catalog = tomllib.loads((ROOT / "vae_site" / "locales" / "anomaly.toml").read_text())
    long = [
        (key, lang, len(paragraph.split()))
        for key, entry in catalog.items()
        for lang in ("en", "ko")
        for paragraph in entry[lang].split("\n\n")
        if len(paragraph.split()) > 80
    ]
    assert not long
