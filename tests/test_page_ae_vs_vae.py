"""The AE vs VAE page, reached from the entry point with AppTest: its numbers against the models and files."""

import json

import numpy as np
import pytest

from tests.pages import image_urls, open_page, share_link
from vae_site.i18n import text
from vae_tf import data, store


def table_of(at, i: int):
    """The i-th table, with the neutral column names (the page shows translated headers)."""
    frame = at.table[i].value
    columns = {
        text("en", f"ae_vs_vae.col_{c}"): c
        for c in ("similarity", "unlike", "variety", "recon", "mse", "neg_elbo", "nll")
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
    return open_page("pages/ae_vs_vae.py", answered=True)


def test_the_metrics_table_equals_the_metrics_files(page):
    table = table_of(page, 1)
    assert len(table) == len(store.CORE)
    for role in store.CORE:
        metrics = store.read_json(store.model_dir(store.SHIPPED[role]) / store.METRICS)
        row = table.loc[text("en", f"site.model_{role}")].map(number)
        assert row["mse"] == pytest.approx(metrics["pixel_mse"], abs=5e-5)
        assert any(f"{metrics['test_images']:,} images" in c.value for c in page.main.caption)  # an integer
        assert row["recon"] == pytest.approx(metrics["recon_nll"], abs=0.05) and row["recon"] > 0  # −log p(x|z)
        if metrics["k"]:
            assert row["neg_elbo"] == pytest.approx(metrics["neg_elbo"], abs=0.05)
            assert any(f"k = {metrics['k']:,} samples" in c.value for c in page.main.caption)
            assert row["nll"] == pytest.approx(metrics[f"iwae_nll_k{metrics['k']}"], abs=0.05)
        else:  # an AE has no likelihood: the cells are missing ("–"), not zero
            assert table.loc[text("en", f"site.model_{role}"), ["neg_elbo", "nll"]].tolist() == ["–"] * 2


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
    assert any(f"one of {len(bundled[0]):,} test digits" in c.value for c in page.caption)


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


def alts(at) -> list[str]:
    """The text alternative of every image on the page, in order."""
    return [img.alt for element in at.get("image") for img in element.proto.imgs]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_image_says_what_it_shows_with_the_numbers_beside_it(lang, bundled):
    at = open_page("pages/ae_vs_vae.py", answered=True, first_lang=lang, prior_seed="7", a="5", b="9")
    said = alts(at)
    table = at.table[0].value.iloc[:, 1]  # the holes table's "unlike any (%)"
    for role in ("vae_2d", "ae_2d", "vae_32d", "ae_32d"):
        model = text(lang, f"site.model_{role}")
        unlike = float(table.loc[model])  # the table's number, as it shows it
        assert text(lang, "ae_vs_vae.holes_alt", shown=16, model=model, seed=7, unlike=unlike, count=200) in said
        path = text(lang, "ae_vs_vae.interp_alt", model=model, a=f"#5 ({bundled[1][5]})", b=f"#9 ({bundled[1][9]})")
        assert path in said
    pickers = [a for a in said if a == ""]  # the pickers' digits only repeat the caption under them
    assert len(pickers) == 2 and len(said) == 12 and all(a or a in pickers for a in said)
    beta = text(lang, "site.model_beta", beta=1.0)
    assert text(lang, "ae_vs_vae.beta_prior_alt", shown=16, model=beta, seed=7, columns=4) in said
    digits = ", ".join(f"#{i} ({bundled[1][i]})" for i in range(8))
    assert text(lang, "ae_vs_vae.beta_recon_alt", digits=digits, model=beta) in said


def test_a_new_seed_reruns_only_what_it_changes_and_the_link_follows():
    at = open_page("pages/ae_vs_vae.py", answered=True, beta="3")
    before = image_urls(at)
    at.number_input(key="prior_seed").set_value(11).run()
    assert not at.exception
    after = image_urls(at)
    assert len(after) == 5 and not set(after) & set(before)  # the four models' and the β model's new decodes
    assert "prior_seed=11" in share_link(at) and "beta=3" in share_link(at)
    assert any("seed 11" in a for a in alts(at))


def test_the_prompts_answer_from_the_data_after_the_move():
    at = open_page("pages/ae_vs_vae.py")
    at.radio(key="predict_beta_kl").set_value("rises").run()
    assert text("en", "site.predict_now") in [c.value for c in at.caption]  # β has not moved up yet
    at.select_slider(key="beta").set_value("10").run()
    ten, one = (store.read_json(store.model_dir(store.SHIPPED[store.BETA_FAMILY[b]]) / store.METRICS) for b in (10, 1))
    assert ten["kl"] < one["kl"]  # the data behind the answer "it falls"
    shown = " ".join(i.value for i in at.info)
    assert (
        text("en", "ae_vs_vae.predict_beta_falls") in shown
        and f"KL is {ten['kl']:.1f} nats (at β = 1: {one['kl']:.1f})" in shown
    )
    assert len(at.table) == 0  # the holes table and the metrics table each wait for their prompt
    at.radio(key="predict_holes").set_value("skip").run()  # no guess: the answer and the table
    assert len(at.table) == 1
    table = table_of(at, 0).map(number)
    worst = table["unlike"].drop(text("en", "ae_vs_vae.real_digits")).idxmax()
    answer = f"{worst}: {table.loc[worst, 'unlike']:.0f}%"
    assert any(answer in i.value and f"“{worst}”" in i.value for i in at.info)
    role = next(r for r in ("vae_2d", "ae_2d", "vae_32d", "ae_32d") if text("en", f"site.model_{r}") == worst)
    at.radio(key="predict_holes").set_value(role).run()
    assert any(answer in s.value for s in at.success)
    ae, vae = (store.read_json(store.model_dir(store.SHIPPED[r]) / store.METRICS) for r in ("ae_32d", "vae_32d"))
    at.radio(key="predict_recon").set_value("vae").run()
    assert len(at.table) == 2  # the metrics table, once guessed
    assert any(f"cost {ae['recon_nll']:.1f} nats, the VAE's {vae['recon_nll']:.1f}" in i.value for i in at.info)
    assert "AE, 32-D" in " ".join(i.value for i in at.info)  # the right answer, named


def test_the_metric_labels_are_two_to_a_row_and_the_map_caption_gives_its_numbers(served, bundled):
    at = open_page("pages/ae_vs_vae.py", first_lang="ko", beta="30")
    assert len(at.columns) >= 4 and [m.label for m in at.metric][3] == text("ko", "ae_vs_vae.beta_nll", k=1000)
    mean, std = served[store.BETA_FAMILY[30.0]].encode(data.binarize(bundled[0], 0)[:3])
    caption = next(c.value for c in at.caption if c.value.startswith("타원"))
    assert f"평균 σ는 {std.mean():.2f}" in caption and f"평균 {np.linalg.norm(mean, axis=1).mean():.2f}만큼" in caption
