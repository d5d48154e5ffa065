"""One real-browser test: `streamlit run`, every page in headless Chromium, an upload on the reconstruction page.

Needs Debian's Chromium at /usr/bin/chromium (scripts/test.sh installs it; see ../shared/BROWSER.md).
"""

import os
import shutil
import sys

import pytest
from PIL import Image, ImageDraw

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import common  # noqa: E402  (bench/common.py: serving the site and driving Chromium, as the benchmarks do)

PAGES = {"": "How a variational autoencoder works", "sampling": "Sampling from the prior",
         "reconstruction": "Reconstruct your own digit", "ae_vs_vae": "Autoencoder vs variational autoencoder",
         "elbo_curves": "The ELBO during training", "anomaly": "Anomaly scores"}

pytestmark = pytest.mark.skipif(
    not shutil.which(common.CHROMIUM) and not os.environ.get("CI"), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server():
    port = common.free_port()
    proc = common.start_server(port, dict(os.environ))
    yield f"http://127.0.0.1:{port}"
    common.stop_server(proc)


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = common.launch_chromium(pw)
        yield browser.new_page(viewport={"width": 1280, "height": 2400})
        browser.close()


def handwritten_three(path) -> None:
    """A photo-like PNG: a dark '3' drawn on light grey paper, off-centre."""
    image = Image.new("L", (300, 240), 215)
    draw = ImageDraw.Draw(image)
    draw.arc((90, 40, 170, 110), 200, 90, fill=30, width=12)
    draw.arc((85, 100, 175, 190), 270, 160, fill=30, width=12)
    image.save(path)


def wait_idle(page) -> None:
    common.wait_idle(page, settle_ms=300)


def test_a_shared_link_as_a_fresh_servers_first_request_shows_the_whole_site(page):
    """A cold hosted app often serves a shared deep link first: the page, the site's own page list
    (not Streamlit's list of the files in pages/) and the model card must all be there."""
    port = common.free_port()
    proc = common.start_server(port, dict(os.environ))
    try:
        page.goto(f"http://127.0.0.1:{port}/anomaly?score=iwae")
        wait_idle(page)
        page.get_by_role("heading", name="Anomaly scores").first.wait_for(timeout=60_000)
        wait_idle(page)
        links = page.locator("[data-testid='stSidebarNavLink']")
        assert [text.split("\n")[-1].strip() for text in links.all_inner_texts()] == [  # after the icon's name
            "Theory", "Sampling", "Reconstruction", "AE vs VAE", "ELBO curves", "Anomaly scores"]
        assert page.get_by_text("MODEL ON THIS SITE").count() == 1
        assert page.get_by_text("IWAE bound (k=100)").count() >= 1
    finally:
        common.stop_server(proc)


def test_every_page_renders_and_an_upload_is_reconstructed(server, page, tmp_path):
    for path, title in PAGES.items():
        page.goto(f"{server}/{path}")
        wait_idle(page)
        page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
        assert page.locator("[data-testid='stException']").count() == 0, path
    upload = tmp_path / "three.png"
    handwritten_three(upload)
    page.goto(f"{server}/reconstruction")
    wait_idle(page)
    page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", str(upload))
    page.get_by_role("heading", name="1. three.png").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    images = page.locator("[data-testid='stImage'] img")
    assert images.count() >= 8  # input, reconstruction and six posterior draws at least
    assert page.get_by_text("reconstruction (mean z)").count() >= 1
    assert page.get_by_text("Reconstruction −log p(x|z)").count() >= 1
