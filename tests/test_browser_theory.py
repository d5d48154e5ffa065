"""The Theory page in a real browser: its first screen (1280 x 800 and 390 x 800) holds what the
visitor acts on (the digit box and the latent map with the digit's q(z|x)); at phone width
the digit box refuses a number it has no digit for (typing 1000 once showed "Press Enter to
apply" and Enter did nothing), the ε button draws a new z, and no equation is wider than the page,
in English and in Korean."""

import pytest

from tests.browser import EXCEPTION, LAPTOP, PHONE, needs_chromium, open_site, wait_idle

pytestmark = needs_chromium
SLACK = 6  # px: KaTeX's boxes overhang their container by a pixel or two when nothing is cut


def _open(site, query: str, viewport=PHONE):
    url, browser = site
    page = browser.new_page(viewport=viewport)
    open_site(page, f"{url}/?{query}")
    return page


def test_the_digit_box_refuses_1000_and_says_so(site):
    page = _open(site, "lang=en&digit=3")
    box = page.get_by_test_id("stNumberInputField")
    box.fill("1000")
    box.press("Enter")
    wait_idle(page)
    page.get_by_text("There is no test digit 1000").wait_for(timeout=30_000)
    assert box.input_value() == "999" and page.locator(EXCEPTION).count() == 0
    assert page.locator("[data-testid=stMain] [data-testid=stWidgetLabel]", has_text="0–999").count() == 1
    page.close()


def test_the_epsilon_button_draws_a_new_z(site):
    page = _open(site, "lang=ko&digit=3")
    graph = page.get_by_test_id("stGraphVizChart")
    before = graph.inner_text()
    page.get_by_role("button", name="새 ε 뽑기").click()
    wait_idle(page, settle_ms=800)
    after = graph.inner_text()
    z_lines = [line for line in after.splitlines() if line.startswith("z = (")]
    assert before != after and z_lines and page.locator(EXCEPTION).count() == 0
    page.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_no_equation_is_wider_than_a_phone(site, lang):
    page = _open(site, f"lang={lang}")
    for summary in page.locator("[data-testid='stMain'] [data-testid='stExpander'] summary").all():
        summary.click()  # the derivations in the expanders too
    wait_idle(page)
    wide = page.evaluate(
        """(slack) => [...document.querySelectorAll('.katex-display')]
             .filter(e => e.scrollWidth > e.clientWidth + slack)
             .map(e => [e.scrollWidth, e.clientWidth, e.innerText.slice(0, 30)])""",
        SLACK,
    )
    assert wide == []
    assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollWidth") <= PHONE["width"]
    page.close()


FIRST_SCREEN = 800  # px: the height of a laptop's first screen (1280 x 800, and 390 x 800 for a phone)


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_first_screen_holds_the_digit_box_and_the_map(site, viewport, lang):
    """Measured in a page as tall as the site (the viewport's width is what lays it out)."""
    page = _open(site, f"lang={lang}&digit=3", viewport)
    page.locator("svg.lm-svg").first.wait_for(timeout=30_000)
    box = page.get_by_test_id("stNumberInputField").bounding_box()
    assert box["y"] + box["height"] <= FIRST_SCREEN, box
    map_top = page.locator("svg.lm-svg").first.bounding_box()["y"]
    assert map_top <= FIRST_SCREEN - 100, map_top  # at least the map's top 100 px show
    assert page.locator("svg.lm-svg path.lm-ring").count() == 2  # the digit's q(z|x): its 1σ and 2σ ellipses
    assert page.locator(EXCEPTION).count() == 0
    page.close()
