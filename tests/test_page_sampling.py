"""The sampling page, reached from the entry point with AppTest, showing what it should."""


import numpy as np
import pytest

from tests.pages import charts, image_urls, open_page
from vae_tf import data


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
