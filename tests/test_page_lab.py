"""The Lab page, reached from the entry point with AppTest: its numbers come from the reference
model's files, the prompts reveal what vae_tf's models measured, and the browser gets what it needs
(files that exist, the reference's architecture, its texts in the page's language)."""

import re

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.pages import open_page
from vae_site import i18n, lab
from vae_tf import export_lab, store


@pytest.fixture(scope="module", params=["en", "ko"])
def page(request):
    return open_page("pages/lab.py", first_lang=request.param), request.param


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_page_states_the_reference_model_numbers(page):
    at, lang = page
    ref = lab.reference()
    assert at.title[0].value == i18n.text(lang, "lab.title")
    text = _markdown(at)
    for value in (f"{ref['neg_elbo']:.1f}", f"{ref['recon']:.1f}", f"{ref['kl']:.1f}", f"{ref['digits']['count']:,}"):
        assert value in text, value
    assert f"{ref['widths'][0]}" in text


def test_the_reference_scores_are_the_models_own(page):
    ref = lab.reference()
    grey, labels = export_lab.read_digits()
    again = export_lab.score(store.model_dir(ref["model"]), grey, labels, ref["seed"])
    for key in ("neg_elbo", "recon", "kl"):
        assert again[key] == pytest.approx(ref[key], abs=1e-3)
    assert again["chosen"] == ref["chosen"]
    assert [labels[i] for i in ref["chosen"]] == list(export_lab.CHOSEN_LABELS)


def test_the_collapse_prompt_reveals_the_beta_family_kl(page):
    at, lang = page
    high = store.read_json(store.model_dir(store.SHIPPED[store.BETA_FAMILY[lab.BETAS[-1]]]) / store.METRICS)["kl"]
    at.radio(key="predict_collapse").set_value("down").run()
    assert not at.exception
    shown = at.success[0].value if at.success else at.info[-1].value
    assert f"{high:.2f}" in shown
    assert at.success, "the KL of the beta = 30 model is near 0: 'falls' is the answer"


def test_the_rings_prompt_reveals_the_reference_spread(page):
    at, _ = page
    spread = np.asarray(lab.reference()["chosen_std"])
    at.radio(key="predict_rings").set_value("grow").run()
    hint = next(i.value for i in at.info if f"{spread.max():.2f}" in i.value)
    assert f"{spread.min():.2f}" in hint


def test_the_browser_gets_files_that_exist_and_the_reference_architecture():
    data = lab.lab_data("ko")
    ref = lab.reference()
    assert data["config"]["hidden"] == ref["widths"][0] and len(ref["widths"]) == 1
    assert data["config"]["chosen"] == ref["chosen"] and data["config"]["lr"] in data["rates"]
    assert 1.0 in data["betas"]
    wasm = [data["lib"]["wasm_dir"] + name for name in ("tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm")]
    for url in (data["lib"]["core"], data["lib"]["wasm"], *wasm, *data["digits"].values()):
        path = ROOT / "static" / url.removeprefix("app/static/").split("?")[0]
        assert path.exists(), url
    assert (ROOT / "static" / "tfjs" / "LICENSE").is_file()
    assert data["text"]["play"] == i18n.text("ko", "lab.ui_play")
    assert set(data["text"]) == set(lab.texts("en"))


def test_the_browser_texts_have_the_same_placeholders_in_both_languages():
    for key, entry in i18n.catalog("lab").items():
        if key.startswith("ui_"):
            assert set(re.findall(r"\{(\w+)\}", entry["en"])) == set(re.findall(r"\{(\w+)\}", entry["ko"])), key
