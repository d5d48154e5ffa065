"""The reconstruction page, reached from the entry point with AppTest, showing what it should."""

import io
import json

import numpy as np
import pytest
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from tests.pages import charts, image_urls, metric, open_page, png_bytes, share_link
from vae_site.i18n import text
from vae_tf import anomaly, data, explain

PAGE = "pages/reconstruction.py"


def sections(at: AppTest) -> list[str]:
    """The numbered digit sections' headings."""
    return [s.value for s in at.subheader if s.value[:1].isdigit()]


def shape_png(lines, width: int = 10) -> bytes:
    """Dark pen lines on white paper, 200x200 px, as PNG bytes."""
    image = Image.new("L", (200, 200), 255)
    draw = ImageDraw.Draw(image)
    for line in lines:
        draw.line(line, fill=0, width=width)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_upload_comes_alone_with_its_numbers_and_a_bad_file_is_named(served, bundled):
    at = open_page(PAGE, answered=True)
    assert len(sections(at)) == 3  # an empty page shows three test digits
    seven = png_bytes(bundled[0][0])
    at.file_uploader(key="upload").set_value(
        [("seven.png", seven, "image/png"), ("notes.png", b"this is not an image", "image/png")]
    ).run()
    assert not at.exception
    assert sections(at) == ["1. `seven.png`"]  # no default test digits beside an upload
    (warning,) = at.warning
    assert "notes.png" in warning.value
    recon, kl = metric(at, "Reconstruction"), metric(at, "KL")
    assert kl > 0 and metric(at, "−ELBO") == pytest.approx(recon + kl, abs=0.11)
    assert len(image_urls(at)) >= 8 + 4  # input, reconstruction, six posterior draws; preprocessing steps
    assert not any("has not seen digits like this" in w.value for w in at.warning)


def test_five_uploads_give_five_sections(bundled):
    at = open_page(PAGE)
    files = [(f"digit{i}.png", png_bytes(bundled[0][i]), "image/png") for i in range(5)]
    at.file_uploader(key="upload").set_value(files).run()
    assert sections(at) == [f"{i + 1}. `digit{i}.png`" for i in range(5)]


def test_a_test_digit_shows_the_models_numbers(served, bundled):
    at = open_page(PAGE, picks="42")
    assert sections(at) == ["1. Test digit 42, a 4"]
    terms = served["vae_main"].elbo_terms(data.binarize(bundled[0][42], seed=0)[None], seed=0, draws=100)
    assert metric(at, "−ELBO") == pytest.approx(terms["neg_elbo"][0], abs=0.06)
    assert metric(at, "KL") == pytest.approx(terms["kl"][0], abs=0.06)
    mean, std = served["vae_main"].encode(bundled[0][42][None])
    (q,) = [c["q"] for c in charts(at) if "q" in c]
    np.testing.assert_allclose(q["mean"], mean[0], atol=1e-5)
    np.testing.assert_allclose(q["std"], std[0], atol=1e-5)


@pytest.mark.parametrize("picks", ["0,1,2,3,4,5,6,7,8,9", "nan", "1,1,x"])
def test_a_bad_picks_link_gives_the_defaults(picks):
    at = open_page(PAGE, picks=picks)
    assert list(at.multiselect(key="picks").value) == [0, 1, 2]
    assert len(sections(at)) == 3


def test_the_map_draws_each_digit_as_its_2d_posterior(served, bundled):
    at = open_page(PAGE, picks="3,42")
    (element,) = [e for e in at.get("bidi_component") if e.proto.component_name == "vae_latent_map"]
    shown = json.loads(element.proto.json)
    mean, std = served["vae_2d"].encode(bundled[0][[3, 42]])
    assert [p["label"] for p in shown["posteriors"]] == ["1", "2"]  # numbered as the sections are
    for posterior, m, s in zip(shown["posteriors"], mean, std, strict=True):
        np.testing.assert_allclose(posterior["mean"], m, atol=1e-4)
        np.testing.assert_allclose(posterior["std"], s, atol=1e-4)
        for radius, ring in zip((1, 2), posterior["rings"], strict=True):  # centre μ, radii σ and 2σ per axis
            ring = np.array(ring)
            np.testing.assert_allclose((ring.max(axis=0) - ring.min(axis=0)) / 2, radius * s, rtol=1e-2)
            np.testing.assert_allclose((ring.max(axis=0) + ring.min(axis=0)) / 2, m, atol=1e-3)


def test_a_shape_the_model_has_not_seen_is_called_out():
    at = open_page(PAGE)
    at.file_uploader(key="upload").set_value(
        [("w.png", shape_png([[(30, 40), (60, 160), (100, 70), (140, 160), (170, 40)]]), "image/png")]
    ).run()
    assert sections(at) == ["1. `w.png`"]
    assert any("The model has not seen digits like this one" in w.value for w in at.warning)
    assert [link.proto.page for link in at.main.get("page_link")][1:2] == ["anomaly"]  # after the glossary link


def neighbours_of(served, bundled, index: int) -> list[tuple[int, int]]:
    """The labels of the 10 test digits nearest to test digit `index` in the main VAE's latent space."""
    references, _ = served["vae_main"].encode(data.binarize(bundled[0], seed=0))
    code, _ = served["vae_main"].encode(bundled[0][index][None])
    return explain.nearest_labels(code[0], references, bundled[1], k=10)


def test_the_page_names_the_nearest_test_digits_and_says_when_none_has_a_majority(served, bundled):
    clear = neighbours_of(served, bundled, 42)
    assert clear[0][1] > 5  # a plain 4
    at = open_page(PAGE, picks="42")
    found = ", ".join(f"{label}\u00a0({count})" for label, count in clear)  # never broken inside
    assert [c.value for c in at.caption if "nearest" in c.value] == [
        f"The 10 test digits whose codes lie nearest to this one's (in all 32 latent dimensions), by digit: {found}."
    ]
    assert not any("between digits" in i.value for i in at.info)
    torn = next(i for i in range(len(bundled[1])) if neighbours_of(served, bundled, i)[0][1] <= 5)
    at = open_page(PAGE, picks=str(torn))
    assert any("The model places this one between digits" in i.value for i in at.info)
    at = open_page(PAGE, first_lang="ko", picks=str(torn))
    assert any("여러 숫자 사이에" in i.value for i in at.info)


def test_the_page_in_korean(bundled):
    at = open_page(PAGE, first_lang="ko", picks="42")
    assert at.title[0].value == "내 숫자를 재구성해 보기"
    assert sections(at) == ["1. 테스트 숫자 42번, 숫자 4"]
    assert [t.label for t in at.tabs] == ["이미지 업로드", "그리기", "테스트 숫자"]
    assert metric(at, "−ELBO") > metric(at, "KL 발산") > 0


def test_a_file_name_is_shown_as_plain_text(bundled):
    at = open_page(PAGE)
    name = "![x](http://127.0.0.1/t.png) <b>`bold`</b>.png"
    at.file_uploader(key="upload").set_value([(name, png_bytes(bundled[0][1]), "image/png")]).run()
    assert not at.exception
    assert sections(at)[0] == "1. `![x](http://127.0.0.1/t.png) <b>'bold'</b>.png`"


def outline_seven_png() -> bytes:
    """A 7 drawn as a hollow outline (a 2-px pen around a thick 7), dark on white, 300x300 px."""
    image = Image.new("L", (300, 300), 255)
    outline = [(85, 65), (212, 65), (212, 90), (147, 233), (105, 233), (165, 97), (85, 97)]
    ImageDraw.Draw(image).polygon(outline, outline=0, width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_an_outlined_digit_is_filled_and_the_page_says_so(lang):
    at = open_page(PAGE, first_lang=lang)
    at.file_uploader(key="upload").set_value([("outline.png", outline_seven_png(), "image/png")]).run()
    assert not at.exception
    captions = [img.caption for element in at.get("image") for img in element.proto.imgs]
    assert text(lang, "images.step_outline") in captions  # among the upload's steps
    assert any(text(lang, "images.outline_filled") in i.value for i in at.info)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_fitting_q_to_each_digit_shows_the_fitted_reconstruction_and_the_gap(served, bundled, lang):
    at = open_page(PAGE, first_lang=lang, picks="42")
    shown = len(image_urls(at))
    assert not [m for m in at.markdown if "Fitted to this digit alone" in m.value or "이 숫자 하나에만" in m.value]
    at.toggle(key="fit").set_value(True).run()
    assert not at.exception
    assert len(image_urls(at)) == shown + 1  # the fitted reconstruction beside the encoder's
    encoder = served["vae_main"].elbo_terms(data.binarize(bundled[0][42], seed=0)[None], seed=0, draws=100)
    _, fitted = anomaly.fitted_score(served["vae_main"], bundled[0][42])
    assert fitted < encoder["neg_elbo"][0]  # a plain 4: the fit still gains a little
    numbers = dict(fitted=fitted, encoder=encoder["neg_elbo"][0], gap=encoder["neg_elbo"][0] - fitted, steps=50)
    assert text(lang, "reconstruction.fitted", **numbers) in [m.value for m in at.markdown]


def test_the_fit_toggle_travels_in_the_link_and_survives_an_empty_page():
    at = open_page(PAGE, picks="42")
    shown = len(image_urls(at))
    at.toggle(key="fit").set_value(True).run()
    assert at.query_params["fit"] == "True" and "fit=True" in share_link(at)
    at.multiselect(key="picks").set_value([]).run()  # no digit: the toggle is not drawn
    assert text("en", "reconstruction.empty") in [i.value for i in at.info] and "fit=True" in share_link(at)
    at.multiselect(key="picks").set_value([42]).run()
    assert at.toggle(key="fit").value and len(image_urls(at)) == shown + 1
    opened = open_page(PAGE, picks="42", fit="True")  # the link opens with the fit on
    assert opened.toggle(key="fit").value and len(image_urls(opened)) == shown + 1
    assert not open_page(PAGE, picks="42", fit="yes").toggle(key="fit").value  # an unknown value: off


def alts(at: AppTest) -> list[str | None]:
    """Every image's text alternative (None: the image has none)."""
    return [img.alt if img.HasField("alt") else None for element in at.get("image") for img in element.proto.imgs]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_image_has_a_text_alternative_in_the_pages_language(lang, bundled):
    at = open_page(PAGE, first_lang=lang, picks="42")
    at.file_uploader(key="upload").set_value([("seven.png", png_bytes(bundled[0][0]), "image/png")]).run()
    found = alts(at)
    assert None not in found and "" not in found
    assert text(lang, "reconstruction.alt_input", name="seven.png") in found
    assert text(lang, "reconstruction.alt_mean") in found
    assert [a for a in found if a.startswith(text(lang, "reconstruction.alt_draw", i=1, draws=6)[:8])]
    assert text(lang, "reconstruction.alt_draw", i=6, draws=6) in found
    first_word = text(lang, "reconstruction.step_alt", number="", count="", step="").split()[0]
    steps = [a for a in found if a.startswith(first_word)]
    assert len(steps) >= 3  # the upload's preparation, step by step
    at.toggle(key="fit").set_value(True).run()
    assert any(a.startswith(text(lang, "reconstruction.alt_fitted", fitted=0.0)[:12]) for a in alts(at))


def heading_levels(node) -> list[int]:
    """The level (1 for a title) of each heading under `node`, in page order."""
    levels = []
    for child in getattr(node, "children", {}).values():
        if type(child).__name__ in ("Title", "Header", "Subheader"):
            levels.append(int(child.proto.tag[1]))
        levels += heading_levels(child)
    return levels


def test_no_heading_level_is_skipped():
    at = open_page(PAGE, picks="3,42")
    levels = heading_levels(at.main)
    assert levels[0] == 1 and 3 in levels
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_the_pages_numbers_come_from_the_data(served, bundled):
    at = open_page(PAGE, picks="42")
    assert text("en", "reconstruction.about", latent=32, draws=6) in [m.value for m in at.markdown]
    assert text("en", "reconstruction.map_caption", count=len(bundled[0])) in [c.value for c in at.caption]
    assert at.multiselect(key="picks").help == text(
        "en", "reconstruction.picks_help", count=len(bundled[0]), high=len(bundled[0]) - 1, most=8
    )
    assert text("en", "reconstruction.posterior_caption", draws=100) in [c.value for c in at.caption]
    assert at.toggle(key="fit").help == text("en", "reconstruction.fit_help", steps=served["vae_main"].fit_steps)


def test_the_fit_prompt_reveals_the_first_digits_gap_after_the_fit(served, bundled):
    at = open_page(PAGE, picks="7,42")  # test digit 7: a gap of several nats
    at.radio(key="predict_fit").set_value("little").run()
    assert not [s for s in [*at.success, *at.info] if "lowers its −ELBO" in s.value]  # not before the move
    at.toggle(key="fit").set_value(True).run()
    encoder = served["vae_main"].elbo_terms(data.binarize(bundled[0][7], seed=0)[None], seed=0, draws=100)
    _, fitted = anomaly.fitted_score(served["vae_main"], bundled[0][7])
    gap = float(encoder["neg_elbo"][0]) - fitted
    assert gap >= 2.0
    reveal = text("en", "reconstruction.fit_reveal", encoder=encoder["neg_elbo"][0], fitted=fitted, gap=gap)
    (shown,) = [i.value for i in at.info if reveal in i.value]  # the guess "a little" was wrong
    assert text("en", "reconstruction.fit_lot", big=2.0) in shown
    assert any("is at least" in m.value and f"{gap:.1f} nats" in m.value for m in at.markdown)


def test_the_draws_prompt_counts_the_draws_that_stay_with_the_digit(served, bundled):
    at = open_page(PAGE, picks="42")
    at.radio(key="predict_draws").set_value("all").run()
    references, _ = served["vae_main"].encode(data.binarize(bundled[0], seed=0))
    mean, std = served["vae_main"].encode(bundled[0][42][None])
    label = explain.nearest_labels(mean[0], references, bundled[1])[0][0]
    codes = served["vae_main"].sample_posterior(bundled[0][42], 6, seed=1)
    same = sum(explain.nearest_labels(z, references, bundled[1])[0][0] == label for z in codes)
    assert label == 4 and same >= 4
    reveal = text("en", "reconstruction.draws_reveal", k=10, label=label, same=same, draws=6)
    shown = [m.value for m in [*at.success, *at.info] if reveal in m.value]
    assert len(shown) == 1 and shown[0].startswith("Right" if same == 6 else "Not quite")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_page_ends_with_a_three_line_recap(lang):
    at = open_page(PAGE, first_lang=lang, picks="42")
    assert at.subheader[-1].value == text(lang, "site.recap_heading")
    lines = at.markdown[-1].value.splitlines()
    assert len(lines) == 3 and lines[0] == "- " + text(lang, "reconstruction.recap_encoder")
