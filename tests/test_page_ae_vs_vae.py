"""The AE vs VAE page, reached from the entry point with AppTest: its numbers against the models and files."""

import json

import numpy as np
import pytest

from tests.pages import image_urls, open_page
from vae_site.i18n import text
from vae_tf import data, store


def table_of(at, i: int):
    """The i-th table, with the neutral column names (the page shows translated headers)."""
    frame = at.table[i].value
    columns = {
        text("en", f"ae_vs_vae.col_{c}"): c
        for c in ("similarity", "unlike", "variety", "recon", "mse", "neg_elbo", "nll", "k")
    }
    return frame.rename(columns=columns)


def number(cell: str) -> float:
    """A table cell as a number ("–" is NaN)."""
    return float("nan") if cell == "–" else float(cell.replace(",", ""))


def maps(at) -> dict:
    """Each latent map's data, by the component's key suffix."""
    return {
        e.proto.id.split("-")[-1]: json.loads(e.proto.json)
        for e in at.get("bidi_component")
        if e.proto.component_name == "vae_latent_map"
    }


@pytest.fixture(scope="module")
def page():
    return open_page("pages/ae_vs_vae.py")


def test_the_metrics_table_equals_the_metrics_files(page):
    table = table_of(page, 1)
    assert len(table) == len(store.CORE)
    for role in store.CORE:
        metrics = store.read_json(store.model_dir(store.SHIPPED[role]) / store.METRICS)
        row = table.loc[text("en", f"site.model_{role}")].map(number)
        assert row["mse"] == pytest.approx(metrics["pixel_mse"], abs=5e-5)
        assert any(f"{metrics['test_images']:,} images" in c.value for c in page.main.caption)  # an integer
        assert row["recon"] == pytest.approx(-metrics["recon_nll"], abs=0.05)
        if metrics["k"]:
            assert row["neg_elbo"] == pytest.approx(metrics["neg_elbo"], abs=0.05) and row["k"] == metrics["k"]
            assert row["nll"] == pytest.approx(metrics[f"iwae_nll_k{metrics['k']}"], abs=0.05)
        else:  # an AE has no likelihood: the cells are missing ("–"), not zero
            assert table.loc[text("en", f"site.model_{role}"), ["neg_elbo", "nll", "k"]].tolist() == ["–"] * 3


def test_the_holes_table_measures_what_the_rows_show(page, served, bundled):
    table = table_of(page, 0).map(number)
    digits = bundled[0].reshape(len(bundled[0]), -1)
    for role in ("vae_2d", "ae_2d", "vae_32d", "ae_32d"):
        decoded = served[role].decode(served[role].sample_prior(200, 0)).reshape(200, -1)
        similarity = np.corrcoef(decoded, digits)[:200, 200:].max(axis=1)  # independent of explain
        shown = table.loc[text("en", f"site.model_{role}"), "similarity"]
        assert shown == pytest.approx(np.median(similarity), abs=0.005)
    row = lambda role: table.loc[text("en", f"site.model_{role}")]  # noqa: E731
    assert row("ae_32d")["unlike"] > 50 > 10 > row("vae_32d")["unlike"]  # the 32-D AE's holes
    assert row("ae_2d")["unlike"] < 10  # the 2-D AE's digits are clean ...
    assert row("ae_2d")["variety"] < row("vae_2d")["variety"]  # ... but less varied
    assert len(maps(page)) == 3  # the two 2-D maps and the beta family's


def test_the_beta_slider_changes_map_samples_reconstructions_and_metrics(served, bundled):
    at = open_page("pages/ae_vs_vae.py", beta="0.1")
    seen = {}
    for code in ("0.1", f"{store.BETAS[-1]:g}", "0"):
        at.select_slider(key="beta").set_value(code).run()
        assert not at.exception
        role = "ae_2d" if code == "0" else store.BETA_FAMILY[float(code)]
        codes, _ = served[role].encode(data.binarize(bundled[0], 0))
        shown = maps(at)["map_beta"]
        np.testing.assert_allclose(np.array(shown["codes"]), codes, rtol=1e-3, atol=1e-3 * codes.std())
        if code != "0":  # a VAE's map keeps the prior's scale, so a collapsed posterior shows as a dot
            (x0, x1), (y0, y1) = shown["domain"]
            assert x0 <= -2.5 and y0 <= -2.5 and x1 >= 2.5 and y1 >= 2.5
            mean, std = served[role].encode(data.binarize(bundled[0], 0)[:3])  # the first digits' q(z|x)
            np.testing.assert_allclose([p["mean"] for p in shown["posteriors"]], mean, atol=1e-4)
            np.testing.assert_allclose([p["std"] for p in shown["posteriors"]], std, atol=1e-4)
        else:
            assert shown["posteriors"] == []  # an AE has no q(z|x) spread to draw
        seen[code] = image_urls(at)
        labels = [m.label for m in at.metric]
        if code == "0":
            assert labels == [] and any(text("en", "ae_vs_vae.beta_ae_note") in m.value for m in at.markdown)
            continue
        metrics = store.read_json(store.model_dir(store.SHIPPED[role]) / store.METRICS)
        shown = {m.label: float(m.value) for m in at.metric}
        assert shown[text("en", "ae_vs_vae.beta_kl")] == pytest.approx(metrics["kl"], abs=0.05)
        assert shown[text("en", "ae_vs_vae.beta_distortion")] == pytest.approx(metrics["recon_nll"], abs=0.05)
    assert len({tuple(urls) for urls in seen.values()}) == 3  # other samples and reconstructions each time


def test_the_interpolation_pickers_say_which_digit_they_name(bundled):
    at = open_page("pages/ae_vs_vae.py", a="5", b="9", beta="nan")
    captions = [c.value for c in at.caption]
    for index in (5, 9):
        assert text("en", "share.digit_is", index=index, label=int(bundled[1][index])) in captions
    assert at.select_slider(key="beta").value == "1"  # a bad beta in a link gives the default


def test_the_page_in_korean(page):
    page.session_state["lang"] = "ko"
    page.run()
    assert page.title[0].value == text("ko", "ae_vs_vae.title")
    assert page.select_slider(key="beta").label == text("ko", "ae_vs_vae.beta_slider")
    assert all(m["text"]["legend_title"] == text("ko", "latent_map.legend_title") for m in maps(page).values())
