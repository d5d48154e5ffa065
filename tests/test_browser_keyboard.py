"""Every page's main task with the keyboard alone (Tab, arrows, Enter, Space), and a visible focus ring.

The browser tests' shared `streamlit run` (tests/conftest.py). Each test starts at the top of a page
and reaches its control with Tab only, as a visitor without a mouse would (the skip link, the
sidebar's menu and language switch, then the page); every element that takes the focus on the way
must show a ring (an outline, on the element or on the label of a hidden radio button or check box)
that is not transparent. The result is read from the address, which holds every setting a link
carries (vae_site.share).

Needs Debian's Chromium at /usr/bin/chromium (scripts/test.sh installs it).
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests import browser

pytestmark = browser.needs_chromium

# The focused element (or the label that draws a hidden input) and whether a ring shows on it.
FOCUS = """async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));  // transitions
  let e = document.activeElement;
  if (!e || e === document.body) return null;
  while (e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;  // a component's own
  const hidden = e.getBoundingClientRect().width <= 2;
  const drawn = hidden ? e.closest('label') || e : e;
  const up = (a) => a.parentElement || (a.getRootNode() && a.getRootNode().host);
  const moving = [];  // a ring that fades in (a heading's link): its transition, to its end
  for (let a = drawn; a; a = up(a)) moving.push(...a.getAnimations());
  const ended = Promise.all(moving.map((m) => m.finished.catch(() => null)));
  await Promise.race([ended, new Promise((done) => setTimeout(done, 2000))]);
  const style = getComputedStyle(drawn);
  let seen = 1;
  for (let a = drawn; a; a = up(a)) seen *= Number(getComputedStyle(a).opacity);
  const where = (e.closest('[data-testid]') ? e : e.getRootNode().host || e).closest('[data-testid]');
  const name = e.getAttribute('aria-label') || e.textContent.trim().slice(0, 30);
  return {what: `${e.tagName}.${e.className} in ${where && where.dataset.testid}: ${name}`,
          ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1 && seen > 0.9};
}"""


@pytest.fixture
def page(site):
    url, launched = site
    context = launched.new_context(viewport=browser.LAPTOP, locale="en-US", reduced_motion="reduce")
    page = context.new_page()
    page.base = url
    yield page
    context.close()


def open_page(page, path: str) -> None:
    browser.open_site(page, f"{page.base}/{path}?lang=en")
    browser.wait_rerun(page)


def tab_to(page, selector: str, limit: int = 150) -> None:
    """Press Tab until the focus is inside `selector`; every element focused on the way shows a ring."""
    unringed = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS)
        if focused and not focused["ring"]:
            unringed.append(focused["what"])
        if page.evaluate("(s) => !!document.activeElement.closest(s)", selector):
            browser.wait_idle(page, settle_ms=300)  # a late run can redraw the control and drop the focus
            if page.evaluate("(s) => !!document.activeElement.closest(s)", selector):
                assert not unringed, f"focused without a visible ring: {unringed}"
                return
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab")


def open_file_chooser(page, selector: str, tries: int = 3):
    """Enter on the uploader's button (reached by `tab_to`) opens the file chooser; returns it.

    Once, in CI's full run on 2 cores, the Enter opened nothing (not reproduced here, under load
    either): a late run may redraw the button. Then the test waits for the app to be idle, reaches
    the button again by Tab if the focus left it, and presses Enter again; it fails if no Enter
    opens the chooser."""
    for _ in range(tries):
        try:
            with page.expect_file_chooser(timeout=10_000) as chooser:
                page.keyboard.press("Enter")
            return chooser.value
        except PlaywrightTimeout:
            browser.wait_idle(page)
            if not page.evaluate("(s) => !!document.activeElement.closest(s)", selector):
                tab_to(page, selector)
    raise AssertionError(f"Enter on {selector} opened no file chooser in {tries} tries")


def press(page, *keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)
    browser.wait_rerun(page)


def shared(page) -> dict[str, str]:
    """The settings the address holds now."""
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def test_theory_pick_a_digit_and_draw_a_new_epsilon(page):
    open_page(page, "")
    tab_to(page, ".st-key-digit input")
    press(page, "Control+A", "7", "Enter")
    assert shared(page).get("digit") == "7"
    before = main_text(page)
    tab_to(page, ".st-key-new_eps button")
    press(page, "Space")
    assert main_text(page) != before  # a new ε, so new numbers


def test_sampling_a_new_seed_and_more_digits(page):
    open_page(page, "sampling")
    tab_to(page, ".st-key-seed input")
    press(page, "ArrowUp", "Enter")
    assert shared(page).get("seed") == "1"
    tab_to(page, ".st-key-count input")
    press(page, "ArrowRight")
    assert shared(page).get("count") == "25"


def test_reconstruction_pick_a_test_digit(page):
    open_page(page, "reconstruction")
    tab_to(page, "[role='tab']")
    press(page, "End", "Enter")  # the last tab: test digits
    tab_to(page, ".st-key-picks input")
    press(page, "5", "Enter", "Escape")
    assert "5" in shared(page).get("picks", "").split(",")


def test_ae_vs_vae_a_new_seed_and_another_beta(page):
    open_page(page, "ae_vs_vae")
    tab_to(page, ".st-key-prior_seed input")
    press(page, "ArrowUp", "Enter")
    assert shared(page).get("prior_seed") == "1"
    tab_to(page, ".st-key-beta input")
    press(page, "ArrowRight")
    assert shared(page).get("beta") not in (None, "1")


def test_elbo_curves_another_term(page):
    open_page(page, "elbo_curves")
    tab_to(page, ".st-key-term input")
    press(page, "ArrowRight")
    assert shared(page).get("term") == "recon"


def test_anomaly_another_score_and_a_verdict_for_an_uploaded_image(page, tmp_path):
    open_page(page, "anomaly")
    tab_to(page, ".st-key-score input")
    press(page, "ArrowRight")
    assert shared(page).get("score") == "iwae"
    images = page.locator("[data-testid='stMain'] img")
    shown = images.count()
    button = "[data-testid='stFileUploaderDropzone'] button"
    tab_to(page, button)
    open_file_chooser(page, button).set_files(browser.digit_png(tmp_path / "three.png", 3, seed=0))
    browser.wait_rerun(page)
    assert images.count() > shown  # the image is scored and shown beside its verdict


def test_glossary_filter_the_terms(page):
    open_page(page, "glossary")
    every = main_text(page)
    tab_to(page, ".st-key-glossary_filter input")
    page.keyboard.type("posterior")
    press(page, "Enter")
    shown = main_text(page)
    assert len(shown) < len(every) / 2  # fewer terms...
    assert "posterior collapse" in shown.lower()  # ... and the matching ones
