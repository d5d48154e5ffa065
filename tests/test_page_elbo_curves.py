"""The ELBO curves page, reached from the entry point with AppTest: one colour per model on every
chart, the gap itself, tables that read right, and a rate-distortion plane equal to the metrics files."""

import json
import re

import numpy as np
import pytest

from tests.pages import charts, open_page
from vae_site import resources
from vae_tf import data, explain, figures, store
from vae_tf.figures import bounds as bounds_figure

VAES = ("vae_main", "vae_32d", "vae_2d")


@pytest.fixture(scope="module")
def page():
    return open_page("pages/elbo_curves.py")


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
    digits = data.binarize(resources.test_digits()[0], 0)[: bounds_figure.BLOCK]
    fresh = bounds_figure.block_bounds(served["vae_2d"], digits, 0)
    np.testing.assert_allclose(shipped["log_px"][:, : bounds_figure.BLOCK], fresh, atol=2e-3)
    np.testing.assert_array_equal(shipped["k"], bounds_figure.KS)


def test_the_table_rounds_alike_counts_integers_and_dashes(page):
    table = page.dataframe[0].value
    cells = table.drop(columns=["model"]).to_numpy().ravel()
    assert "None" not in cells and "nan" not in cells
    assert all(c == "–" or re.fullmatch(r"[\d,]+(\.\d\d)?", c) for c in cells), cells
    rows = table.set_index("model")
    assert rows.loc["AE, 2-D", "test −ELBO"] == "–" and rows.loc["AE, 2-D", "k"] == "–"
    assert rows.loc["VAE, 2-D", "test images"] == "10,000" and rows.loc["VAE, 2-D", "k"] == "5,000"
    m = _metrics("vae_main")
    assert rows.loc["VAE, 32-D, VampPrior", "−ELBO − NLL"] == f"{m['neg_elbo'] - m['iwae_nll_k5000']:.2f}"


def test_the_plane_points_equal_the_metrics_files(page):
    plane = charts(page)[2]
    points = plane["points"].set_index("model")
    expected = {
        resources.title(r)
        for r in store.SHIPPED
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
    at = open_page("pages/elbo_curves.py", lang="ko", term="recon", models="ae_2d,vae_2d")
    assert at.radio(key="term").value == "recon" and list(at.multiselect(key="models").value) == ["ae_2d", "vae_2d"]
    history = charts(at)[0]["history"]
    assert set(history["term"]) == {"recon"} and set(history["model"]) == {"AE, 2차원", "VAE, 2차원"}
    specs = _specs(at)
    assert specs[0]["encoding"]["x"]["title"] == "에포크" and "정보율" in specs[2]["layer"][0]["encoding"]["y"]["title"]
    assert at.title[0].value.startswith("학습 중의 ELBO")
    assert all(re.search("[가-힣]", h.value) for h in at.header)
