"""Every page, reached from the entrypoint with AppTest, showing what it should.

These use the shipped models in models/ (or $VAE_TF_MODELS), as a visitor would.
"""

import io
import re

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from vae_site import resources
from vae_tf import data, explain, store
from vae_tf.inference import Inference
from tests.conftest import ROOT

APP = str(ROOT / "streamlit_app.py")
TIMEOUT = 180


def open_page(page: str | None = None, **query) -> AppTest:
    """Run the entrypoint, switch to `page` (a path under pages/) and run it."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if page:
        at.run()
        at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def served():
    """The shipped models, loaded directly (not through the site)."""
    return {role: Inference(store.load(store.model_dir(name))) for role, name in store.SHIPPED.items()}


@pytest.fixture(scope="module")
def bundled():
    split = data.load_npz_split(store.ASSETS_DIR / "mnist_test_1000.npz")
    return split.x[..., 0], split.y


def png_bytes(image: np.ndarray) -> bytes:
    """A white-on-black (28, 28) float image as dark-ink-on-paper PNG bytes, 4x larger."""
    pixels = (255 - np.clip(image, 0, 1) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).resize((112, 112), Image.Resampling.BILINEAR).save(buffer, format="PNG")
    return buffer.getvalue()


def metric(at: AppTest, label_start: str) -> float:
    """The number shown by the first metric whose label starts with `label_start`."""
    value = next(m.value for m in at.metric if m.label.startswith(label_start))
    return float(re.match(r"-?[\d.]+", value.replace(",", "")).group())


def image_urls(at: AppTest) -> list[str]:
    """Media URLs of every image on the page; Streamlit names them by a hash of their content."""
    return [img.url for element in at.get("image") for img in element.proto.imgs]


def charts(at: AppTest) -> list[dict]:
    """Each Vega-Lite chart on the page as {dataset name: table of rows}; every name the spec uses is there."""
    import json

    import pyarrow as pa

    found = []
    for element in at.get("vega_lite_chart"):
        tables = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets}
        used = set(re.findall(r'"data": \{"name": "([^"]+)"\}', element.proto.spec))
        assert used and used <= set(tables), (used, set(tables))
        assert json.loads(element.proto.spec)  # a valid spec
        found.append(tables)
    return found


def test_the_bundled_arrays_are_shared_read_only_and_right(bundled):
    """One copy for every session (a copy per session stayed alive with it), which no page can change."""
    images, labels = resources.test_digits()
    assert resources.test_digits()[0] is images
    np.testing.assert_array_equal(images, bundled[0])
    np.testing.assert_array_equal(labels, bundled[1])
    for array in (images, labels, resources.binary_test_digits(), resources.fashion_items()[0]):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 0


def test_theory_shows_pixel_errors_and_the_live_elbo(served, bundled):
    at = open_page(digit="5")
    assert [h.value for h in at.header][:4] == [
        "1 · A latent-variable model of digits", "2 · Why drawing z from the prior and scoring by pixel error fails",
        "3 · Prior samples against importance sampling", "4 · The encoder q(z|x) and the evidence lower bound"]
    assert at.number_input(key="digit").value == 5
    x = bundled[0][5]
    erased, shifted = explain.pixel_error(x, explain.erase(x)), explain.pixel_error(x, explain.shift(x, 1))
    text = " ".join(m.value for m in at.markdown)
    assert f"({shifted:.1f})" in text and f"({erased:.1f})" in text
    assert shifted > erased and "scores **worse**" in text
    binary = data.binarize(bundled[0], 0)[5]
    terms = served["vae_32d"].elbo_terms(binary[None], seed=0, draws=100)
    assert metric(at, "KL") == pytest.approx(terms["kl"][0], abs=0.051)
    assert metric(at, "−ELBO") == pytest.approx(terms["neg_elbo"][0], abs=0.051)
    (estimates,) = charts(at)
    assert set(estimates["estimates"]["proposal"]) == {"z ~ p(z) (prior)", "z ~ q(z|x) (importance)"}
    by_proposal = estimates["estimates"].groupby("proposal")["samples"].max()
    assert by_proposal.to_dict() == {"z ~ p(z) (prior)": 5_000, "z ~ q(z|x) (importance)": 1_000}
    assert len(at.latex) >= 6


@pytest.mark.parametrize("index", [5, 250])  # two blocks of the digits scored together
def test_theory_prior_estimate_equals_one_made_for_the_digit_alone(served, bundled, index):
    (estimates,) = charts(open_page(digit=str(index)))
    vae = served["vae_32d"]  # the same 5,000 codes from the prior, scored against this digit only
    binary = data.binarize(bundled[0], 0)[index]
    log_px_z = vae.log_likelihood(binary[None], vae.sample_prior(5_000, seed=1))[:, 0]
    alone = explain.running_log_mean_exp(log_px_z, [5_000])
    prior = estimates["estimates"].query("proposal == 'z ~ p(z) (prior)'")["log p(x) estimate"]
    assert prior.iloc[-1] == pytest.approx(alone[0], abs=1e-3)


def test_sampling_grid_has_the_requested_number_of_digits():
    at = open_page("pages/sampling.py")
    at.slider(key="count").set_value(10).run()
    assert not at.exception
    assert "10 digits" in [img.caption for element in at.get("image") for img in element.proto.imgs]
    assert at.slider(key="z1").value == 0.0 and len(at.slider) == 2 + 2 + 32  # count, temperature; z1, z2; each dim


def test_the_latent_map_marks_the_chosen_point(served, bundled):
    at = open_page("pages/sampling.py", z1="1.5", z2="-0.5")
    (latent_map,) = charts(at)
    assert latent_map["marks"][["z1", "z2"]].values.tolist() == [[1.5, -0.5]]
    assert len(latent_map["codes"]) == 1000
    codes, _ = served["vae_2d"].encode(data.binarize(bundled[0], 0)[:5])  # the site encodes binarized digits
    np.testing.assert_allclose(latent_map["codes"][["z1", "z2"]].values[:5], codes, atol=1e-5)


def test_latent_sliders_reset_to_the_priors_mean(served):
    at = open_page("pages/sampling.py")
    start = at.slider(key="dim_3").value
    assert start == pytest.approx(round(float(served["vae_main"].prior_means.mean(0)[3]), 1))
    at.slider(key="dim_3").set_value(2.5).run()
    at.button(key="reset_dims").click().run()
    assert not at.exception and at.slider(key="dim_3").value == start


def test_shared_link_reopens_the_same_view():
    at = open_page("pages/sampling.py")
    at.number_input(key="seed").set_value(7).run()
    at.slider(key="temperature").set_value(0.6).run()
    at.slider(key="z1").set_value(1.5).run()
    shared = open_page("pages/sampling.py", seed="7", temperature="0.6", z1="1.5")
    assert shared.number_input(key="seed").value == 7 and shared.slider(key="z1").value == 1.5
    assert image_urls(shared) == image_urls(at)
    link = shared.sidebar.get("code")[0].proto.code_text
    assert "seed=7" in link and "temperature=0.6" in link and "z1=1.5" in link


def test_a_bad_link_falls_back_to_defaults():
    at = open_page("pages/sampling.py", seed="banana", count="9999", temperature="nan")
    assert at.number_input(key="seed").value == 0 and at.slider(key="count").value == 24


def test_reconstruction_of_an_upload_and_of_a_bad_file(served, bundled):
    at = open_page("pages/reconstruction.py")
    at.multiselect(key="picks").set_value([]).run()
    assert any("Upload an image" in i.value for i in at.info)
    seven = png_bytes(bundled[0][0])
    at.file_uploader(key="upload").set_value([("seven.png", seven, "image/png"),
                                              ("notes.png", b"this is not an image", "image/png")]).run()
    assert not at.exception
    assert [s.value for s in at.subheader][:1] == ["1. `seven.png`"]
    (warning,) = at.warning
    assert "notes.png" in warning.value and "not an image" in warning.value
    assert metric(at, "KL") > 0 and metric(at, "−ELBO") > metric(at, "KL")
    assert len(image_urls(at)) >= 8 + 6  # input, reconstruction, six posterior draws; preprocessing steps


def test_a_file_name_is_shown_as_plain_text(bundled):
    at = open_page("pages/reconstruction.py")
    name = "![x](http://127.0.0.1/t.png) <b>`bold`</b>.png"
    at.file_uploader(key="upload").set_value([(name, png_bytes(bundled[0][1]), "image/png")]).run()
    assert not at.exception
    assert at.subheader[0].value == "1. `![x](http://127.0.0.1/t.png) <b>'bold'</b>.png`"


def test_ae_vs_vae_table_equals_the_metrics_files():
    at = open_page("pages/ae_vs_vae.py")
    table = at.dataframe[0].value
    assert len(table) == len(store.SHIPPED)
    for role, title in resources.ROLES.items():
        metrics = store.read_json(store.model_dir(store.SHIPPED[role]) / store.METRICS)
        assert table.loc[title, "pixel MSE"] == pytest.approx(metrics["pixel_mse"])
        assert table.loc[title, "reconstruction log-likelihood (nats)"] == pytest.approx(-metrics["recon_nll"])
        if metrics["k"]:
            assert table.loc[title, "−ELBO (nats)"] == pytest.approx(metrics["neg_elbo"])
            assert table.loc[title, f"NLL, IWAE k={metrics['k']} (nats)"] == pytest.approx(
                metrics[f"iwae_nll_k{metrics['k']}"])
    assert [len(c["codes"]) for c in charts(at)] == [1000, 1000]  # the two latent maps


def test_elbo_curves_show_every_model_and_the_kl_per_dimension():
    at = open_page("pages/elbo_curves.py")
    assert set(at.multiselect(key="models").value) == set(store.SHIPPED)
    assert len(charts(at)) == 3
    kl = store.read_json(store.model_dir(store.SHIPPED["vae_main"]) / store.METRICS)["kl_per_dimension"]
    active = sum(k > 0.01 for k in kl)
    assert any(f"**{active} of {len(kl)}**" in m.value for m in at.markdown)
    at.radio(key="term").set_value("reconstruction −log p(x|z)").run()
    assert not at.exception


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


PAGE_FILES = [None, "pages/sampling.py", "pages/reconstruction.py", "pages/ae_vs_vae.py",
              "pages/elbo_curves.py", "pages/anomaly.py"]


@pytest.mark.parametrize("page", PAGE_FILES)
def test_missing_models_say_which_command_makes_them(page, tmp_path, monkeypatch):
    monkeypatch.setenv(store.MODELS_ENV, str(tmp_path))
    at = open_page(page)
    shown = [e.value for e in at.error] + [w.value for w in at.warning] + [w.value for w in at.sidebar.warning]
    assert any("python -m vae_tf.train" in m or "README" in m for m in shown), shown


def test_a_corrupt_model_is_reported_and_the_other_pages_still_work(tmp_path, monkeypatch):
    import shutil

    for name in store.SHIPPED.values():
        shutil.copytree(store.model_dir(name), tmp_path / name)
    (tmp_path / store.SHIPPED["vae_main"] / store.WEIGHTS).write_bytes(b"\x89HDF\r\n garbage")
    monkeypatch.setenv(store.MODELS_ENV, str(tmp_path))
    sampling = open_page("pages/sampling.py")
    assert any("could not be read" in e.value and store.SHIPPED["vae_main"] in e.value for e in sampling.error)
    assert len(open_page().header) >= 4  # the home page does not need the main VAE: it still works
    curves = open_page("pages/elbo_curves.py")  # histories and metrics are intact: the charts still show
    assert len(charts(curves)) >= 2


def test_the_served_process_never_imports_keras_3():
    """Streamlit clears a Keras 3 session after every script run, which empties TensorFlow's
    kernel cache (every graph call's first run then rebuilds its kernels); vae_site keeps Keras 3
    out. A fresh process, as `streamlit run` starts one, without the variable set by hand."""
    import os
    import subprocess
    import sys

    code = ("import sys, vae_site; from vae_site import resources; "
            "resources._load.__wrapped__(resources.cache_key('vae_2d')); "
            "assert 'tensorflow' in sys.modules; print('keras' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"
