"""The ELBO curves page, reached from the entry point with AppTest: one colour per model on every
chart, the gap itself, tables that read right, and a rate-distortion plane equal to the metrics files."""

import json
import re

import numpy as np
import pytest

from tests.pages import charts, open_page
from vae_site import resources
from vae_site.i18n import text
from vae_tf import data, explain, figures, store
from vae_tf.figures import bounds as bounds_figure

VAES = ("vae_main", "vae_32d", "vae_2d")


@pytest.fixture(scope="module")
def page():
    return open_page("pages/elbo_curves.py", answered=True)


def _specs(at) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]


def _model_colours(spec) -> dict[str, str]:
    """Every model-colour scale in a spec (layers included), as {model title: colour}."""
    found = {}
    for part in [spec] + spec.get("layer", []):
        colour = part.get("encoding", {}).get("color", {})
        if colour.get("field") == "model":
            found.update(zip(colour["scale"]["domain"], colour["scale"]["range"], strict=True))
    return found


def _metrics(role):
    return store.read_json(store.model_dir(store.SHIPPED[role]) / store.METRICS)


def test_one_model_has_one_colour_on_every_chart(page):
    assert set(page.multiselect(key="models").value) == set(store.CORE)
    colours = [_model_colours(spec) for spec in _specs(page)[:3]]  # history, gap, plane
    assert all(colours)
    merged = {}
    for chart in colours:
        for title, colour in chart.items():
            assert merged.setdefault(title, colour) == colour, title
    assert merged["VAE, 32-D, VampPrior"] == resources.colour("vae_main")
    assert merged["VAE, 2-D"] == resources.colour("vae_2d")
    assert len(set(merged.values())) == len(merged)
    legends = [s["encoding"]["color"]["legend"] for s in _specs(page)[:2]]
    assert all(leg["orient"] == "bottom" and leg["columns"] >= 1 for leg in legends)


def _scale(spec, channel: str) -> dict:
    """The first `channel` scale over model names in a spec (layers included): its domain and range."""
    for part in [spec] + spec.get("layer", []):
        encoding = part.get("encoding", {}).get(channel, {})
        if encoding.get("field") == "model":
            return encoding["scale"]
    raise AssertionError(f"no {channel} by model")


def test_legends_list_the_lines_drawn_in_numeric_order_with_one_shape_per_model_in_both_languages():
    family = ",".join(reversed(list(store.BETA_FAMILY.values())))  # picked from β = 30 down
    at = open_page("pages/elbo_curves.py", answered=True, term="kl", models="ae_2d," + family + ",vae_2d")
    history = _scale(_specs(at)[0], "color")["domain"]
    assert history == ["VAE, 2-D"] + [resources.title(r, "en") for r in store.BETA_FAMILY.values()]  # no AE: no KL
    assert "AE, 2-D" not in history
    plane = _specs(at)[2]
    shapes = dict(zip(*_scale(plane, "shape").values(), strict=True))
    betas = [t for t in shapes if "β" in t]
    assert [float(t.split("= ")[1]) for t in betas] == sorted(store.BETAS)  # 0.1, 0.3, 1, 3, 10, 30
    assert "cross" not in shapes.values()  # the cross marks the point of collapse only
    vaes = {title: shape for title, shape in shapes.items() if not title.startswith("AE")}
    assert len(set(vaes.values())) == len(vaes) == len(shapes) - 2  # one each; the AEs (lines) get a bar
    ys = [layer["encoding"].get("y", {}) for layer in plane["layer"]]
    rates = [y for y in ys if y.get("field") == "rate"]
    assert all(y["scale"]["domain"][0] < 0 for y in rates)  # markers at R = 0 are drawn whole
    korean = open_page(
        "pages/elbo_curves.py", answered=True, first_lang="ko", term="kl", models="ae_2d," + family + ",vae_2d"
    )
    shapes_ko = _scale(_specs(korean)[2], "shape")["range"]
    assert shapes_ko == list(shapes.values())  # the same marker for the same model in either language
    gap_en, gap_ko = _scale(_specs(at)[1], "shape")["range"], _scale(_specs(korean)[1], "shape")["range"]
    assert gap_en == gap_ko and gap_en == [shapes[t] for t in _scale(_specs(at)[1], "shape")["domain"]]


def test_the_gap_chart_plots_the_gap_itself(page, served):
    gap = charts(page)[1]["gap"]
    assert set(gap["model"]) == {"VAE, 32-D, VampPrior", "VAE, 32-D, N(0, I) prior", "VAE, 2-D"}
    for role, title in (("vae_2d", "VAE, 2-D"), ("vae_32d", "VAE, 32-D, N(0, I) prior")):
        fig = figures.load(store.model_dir(store.SHIPPED[role]))[bounds_figure.NAME]
        expected = (fig["log_px"] - fig["log_px"][0]).mean(axis=1)
        np.testing.assert_allclose(gap[gap["model"] == title]["gap"], expected, atol=1e-4)
    assert (gap[gap["k"] == 1]["gap"] == 0).all()
    assert gap["gap"].between(-0.5, 10).all()  # a few nats, on its own axis
    last = gap[gap["k"] == 1000].groupby("model")["gap"].first()
    assert (last > 1).all()


def test_the_shipped_bounds_equal_a_fresh_computation(served):
    shipped = figures.load(store.model_dir(store.SHIPPED["vae_2d"]))[bounds_figure.NAME]
    digits = data.binarize(resources.mnist_test_digits()[0], 0)[: bounds_figure.BLOCK]
    fresh = bounds_figure.block_bounds(served["vae_2d"], digits, 0)
    np.testing.assert_allclose(shipped["log_px"][:, : bounds_figure.BLOCK], fresh, atol=2e-3)
    np.testing.assert_array_equal(shipped["k"], bounds_figure.KS)


def test_the_table_rounds_alike_and_its_caption_gives_k_and_the_images(page):
    rows = page.table[0].value  # a static table: its cells wrap at phone width, nothing scrolls out of sight
    cells = rows.to_numpy().ravel()
    assert "None" not in cells and "nan" not in cells
    assert all(c == "–" or re.fullmatch(r"[\d,]+\.\d\d", c) for c in cells), cells
    assert rows.loc["AE, 2-D", "test −ELBO"] == "–" and rows.loc["AE, 2-D", "KL"] == "–"
    m = _metrics("vae_main")
    assert rows.loc["VAE, 32-D, VampPrior", "−ELBO − NLL"] == f"{m['neg_elbo'] - m['iwae_nll_k5000']:.2f}"
    caption = next(c.value for c in page.caption if "metrics.json" in c.value)
    assert f"(k = {m['k']:,})" in caption and f"({m['test_images']:,} images" in caption
    at = open_page("pages/elbo_curves.py", models="vae_2d,beta_1")
    caption = next(c.value for c in at.caption if "metrics.json" in c.value)
    assert f"(k = {_metrics('beta_1')['k']:,} / {_metrics('vae_2d')['k']:,})" in caption


def test_the_plane_points_equal_the_metrics_files(page):
    plane = charts(page)[2]
    points = plane["points"].set_index("model")
    expected = {
        resources.title(r)
        for r in store.MNIST_MODELS
        if (store.model_dir(store.SHIPPED[r]) / store.METRICS).is_file() and "kl" in _metrics(r)
    }
    assert set(points.index) == expected
    for role in list(VAES) + list(store.BETA_FAMILY.values()):
        if (store.model_dir(store.SHIPPED[role]) / store.METRICS).is_file():
            m, row = _metrics(role), points.loc[resources.title(role)]
            assert (row["rate"], row["distortion"]) == pytest.approx((m["kl"], m["recon_nll"]), abs=1e-9)
    ae = plane["ae"].set_index("model")["distortion"]
    assert ae["AE, 2-D"] == pytest.approx(_metrics("ae_2d")["recon_nll"])
    collapse = explain.factorised_bernoulli_nll(resources.binary_test_digits())
    assert plane["collapse"]["distortion"].iloc[0] == pytest.approx(collapse)
    lines = plane["isolines"]
    assert np.allclose(lines["rate"] + lines["distortion"], lines["level"]) and (lines["rate"] >= 0).all()
    text = " ".join(m.value for m in page.markdown)
    assert f"{collapse:.1f} nats" in text and "β → 0" in text


def test_the_terms_and_the_korean_page():
    at = open_page("pages/elbo_curves.py", answered=True, first_lang="ko", term="recon", models="ae_2d,vae_2d")
    assert at.radio(key="term").value == "recon" and list(at.multiselect(key="models").value) == ["ae_2d", "vae_2d"]
    history = charts(at)[0]["history"]
    assert set(history["term"]) == {"recon"} and set(history["model"]) == {"AE, 2차원", "VAE, 2차원"}
    specs = _specs(at)
    assert specs[0]["encoding"]["x"]["title"] == "에포크" and "정보율" in specs[2]["layer"][0]["encoding"]["y"]["title"]
    assert at.header[2].value == "3 · 율-왜곡 평면"
    assert at.title[0].value.startswith("학습 중의 ELBO")
    assert all(re.search("[가-힣]", h.value) for h in at.header)


def test_the_prompts_reveal_answers_computed_from_the_data_after_the_move():
    at = open_page("pages/elbo_curves.py")
    at.radio(key="predict_kl_growth").set_value("falls").run()
    assert text("en", "site.predict_now") in [c.value for c in at.caption]  # the move is still to make
    at.radio(key="term").set_value("kl").run()
    kl = store.read_json(store.model_dir(store.SHIPPED["vae_32d"]) / store.HISTORY)["kl"]
    assert kl[-1] > kl[0] + 0.5  # the data the answer comes from: the KL rises during training
    shown = " ".join(i.value for i in at.info)
    assert text("en", "elbo_curves.predict_kl_rises") in shown and f"{kl[0]:.1f} nats" in shown
    assert f"{kl[-1]:.1f} after {len(kl)}" in shown
    at.radio(key="predict_beta_high").set_value("axis").run()
    high = _metrics(store.BETA_FAMILY[store.BETAS[-1]])
    assert high["kl"] < 0.1  # so "on the axis" is the right guess, and the page says so with its numbers
    assert any(f"rate is {high['kl']:.2f} nats" in s.value for s in at.success)
    dims = np.array(_metrics("vae_main")["kl_per_dimension"])
    active = int((dims > 0.01).sum())
    at.radio(key="predict_active").set_value("all").run()
    assert any(f"{active} of {len(dims)} carry" in i.value for i in at.info)
    answer = "half" if 0.25 < active / len(dims) <= 0.9 else None
    assert answer and text("en", f"elbo_curves.predict_dims_{answer}") in " ".join(i.value for i in at.info)


def test_the_words_say_what_the_figures_show():
    at = open_page("pages/elbo_curves.py", answered=True)
    words = " ".join(m.value for m in at.markdown)
    assert "goes to 0" in words and "close to KL" not in words  # what is left vanishes; the gain nears the KL
    dims = np.array(_metrics("vae_main")["kl_per_dimension"])
    active = int((dims > 0.01).sum())
    assert f"**{active} of {len(dims)}**" in words and f"In the other {len(dims) - active}," in words
    rates = [_metrics(r)["kl"] for r in store.BETA_FAMILY.values()]
    distortions = [_metrics(r)["recon_nll"] for r in store.BETA_FAMILY.values()]
    assert rates == sorted(rates, reverse=True) and distortions == sorted(distortions)  # "falls ... rises"
    assert f"rate falls from {rates[0]:.1f} to {rates[-1]:.1f} nats" in words
    caption = next(c.value for c in at.caption if "draws per digit" in c.value)
    assert f"Mean over {bounds_figure.DIGITS} bundled test digits, from one set of {bounds_figure.K:,} draws" in caption
    recap = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert len(recap) == 1 and recap[0].count("\n- ") == 2  # three lines


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_chart_has_a_text_alternative_with_its_numbers(lang):
    at = open_page("pages/elbo_curves.py", answered=True, first_lang=lang, models="vae_main,vae_2d")
    said = [e.proto.alt for e in at.get("vega_lite_chart")]
    assert len(said) == 4 and all(said)
    history = store.read_json(store.model_dir(store.SHIPPED["vae_2d"]) / store.HISTORY)
    assert f"{resources.title('vae_2d', lang)}: {history['val_neg_elbo'][-1]:.1f}" in said[0]
    gap = charts(at)[1]["gap"]
    last = gap[gap["k"] == gap["k"].max()].set_index("model")["gap"]
    assert all(f"{model}: {value:.1f}" in said[1] for model, value in last.items())
    m = _metrics("beta_30")
    point = text(
        lang, "elbo_curves.plane_point", model=resources.title("beta_30", lang), rate=m["kl"], distortion=m["recon_nll"]
    )
    assert point in said[2] and f"{explain.factorised_bernoulli_nll(resources.binary_test_digits()):.1f}" in said[2]
    dims = np.array(_metrics("vae_main")["kl_per_dimension"])
    assert f"{int((dims > 0.01).sum())}" in said[3] and f"{dims.max():.2f}" in said[3]
