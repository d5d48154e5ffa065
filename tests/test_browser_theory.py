"""The Theory page in a real browser at phone width: the digit box refuses a number it has no
digit for (issue 12: typing 1000 showed "Press Enter to apply" and Enter did nothing), the ε
button draws a new z, and no equation is wider than the page, in English and in Korean."""

import pytest

from tests.browser import EXCEPTION, PHONE, chromium, needs_chromium, open_site, serving, wait_idle

pytestmark = needs_chromium
SLACK = 6  # px: KaTeX's boxes overhang their container by a pixel or two when nothing is cut


@pytest.fixture(scope="module")
def site():
    with serving() as url, chromium() as browser:
        yield url, browser


def _open(site, query: str):
    url, browser = site
    page = browser.new_page(viewport=PHONE)
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
