"""The code beside each idea (vae_site/code.py) in a real browser: at phone width no line of a
snippet is cut off, so the line a sentence points at can be read whole."""

import pytest

from tests.browser import PHONE, needs_chromium, open_site, wait_idle

pytestmark = needs_chromium


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_no_line_of_code_is_cut_at_phone_width(site, lang):
    url, browser = site
    page = browser.new_page(viewport=PHONE)
    open_site(page, f"{url}/?lang={lang}")
    expanders = page.locator("[data-testid='stMain'] [data-testid='stExpander']")
    opened = 0
    for expander in expanders.all():
        if expander.locator("[data-testid='stCode']").count() or "vae_tf." in expander.inner_text():
            expander.locator("summary").click()
            opened += 1
    wait_idle(page)
    cut = page.evaluate(
        """() => [...document.querySelectorAll("[data-testid='stExpander'] [data-testid='stCode'] pre")]
             .filter(e => e.offsetParent !== null)
             .map(e => e.scrollWidth - e.clientWidth)"""
    )
    assert opened >= 5 and len(cut) >= opened and max(cut) <= 1, cut
    page.close()
