"""One real-browser test: `streamlit run`, every page in headless Chromium, an upload on the reconstruction page.

Needs Debian's Chromium at /usr/bin/chromium (scripts/test.sh installs it; see ../shared/BROWSER.md).
"""

import pytest
from PIL import Image, ImageDraw

from tests import browser

PAGES = {"": "How a variational autoencoder works", "sampling": "Sampling from the prior",
         "reconstruction": "Reconstruct your own digit", "ae_vs_vae": "Autoencoder vs variational autoencoder",
         "elbo_curves": "The ELBO during training", "anomaly": "Anomaly scores"}

pytestmark = browser.needs_chromium


@pytest.fixture(scope="module")
def server():
    with browser.serving() as url:
        yield url


@pytest.fixture(scope="module")
def page():
    with browser.chromium() as chromium:
        yield chromium.new_page(viewport=browser.LAPTOP)


def handwritten_three(path) -> None:
    """A photo-like PNG: a dark '3' drawn on light grey paper, off-centre."""
    image = Image.new("L", (300, 240), 215)
    draw = ImageDraw.Draw(image)
    draw.arc((90, 40, 170, 110), 200, 90, fill=30, width=12)
    draw.arc((85, 100, 175, 190), 270, 160, fill=30, width=12)
    image.save(path)


def wait_idle(page) -> None:
    browser.wait_idle(page)


def test_a_shared_link_as_a_fresh_servers_first_request_shows_the_whole_site(page):
    """A cold hosted app often serves a shared deep link first: the page, the site's own page list
    (not Streamlit's list of the files in pages/) and the model card must all be there."""
    with browser.serving() as url:
        page.goto(f"{url}/anomaly?score=iwae")
        wait_idle(page)
        page.get_by_role("heading", name="Anomaly scores").first.wait_for(timeout=60_000)
        wait_idle(page)
        links = page.locator("[data-testid='stSidebarNavLink']")
        assert [text.split("\n")[-1].strip() for text in links.all_inner_texts()] == [  # after the icon's name
            "Theory", "Sampling", "Reconstruction", "AE vs VAE", "ELBO curves", "Anomaly scores"]
        assert page.get_by_text("MODEL ON THIS SITE").count() == 1
        assert page.get_by_text("IWAE bound (k=100)").count() >= 1


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
