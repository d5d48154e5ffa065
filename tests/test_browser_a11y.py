"""Everyone can use the site: axe-core on every page, the page's language, and no request off the site.

Every page in vae_site.navigation.PAGES (a new page joins by being listed there), in English and
Korean, at 1280 and 390 px: after it settles and after one interaction on it, axe-core (vendored,
tests/axe/) finds nothing critical or serious; `<html lang>` is the site's language; no link's
words are cut off; and every request the browser made went to the site itself (127.0.0.1), none
to a CDN or a font host. The maps and charts are photographed as a red-green colour-blind visitor
sees them (screenshots/tmp/a11y/).
The counts by rule go to screenshots/tmp/a11y/axe.json (run with -s to see them printed).

Needs Debian's Chromium at /usr/bin/chromium (scripts/test.sh installs it).
"""

import collections
import json
from urllib.parse import urlsplit

import pytest

from tests import browser
from vae_site import navigation

pytestmark = browser.needs_chromium

SIDEBAR = "[data-testid='stSidebar']"
OUT = browser.SHOTS / "a11y"
WIDTHS = {"1280": browser.LAPTOP, "390": browser.PHONE}
LOCALES = {"en": "en-US", "ko": "ko-KR"}
BLOCKING = {"critical", "serious"}
ALSO_BLOCKING = {"heading-order"}  # moderate, and the site's own (the minor rule left is Streamlit's uploader's)
VIEWS = [(path, lang) for path in navigation.url_paths() for lang in LOCALES]
COUNTS: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)  # "impact rule" -> views


def click_step_up(key: str):
    return lambda page: page.locator(f".st-key-{key} [data-testid='stNumberInputStepUp']").click()


def click_second_option(key: str):
    return lambda page: page.locator(f".st-key-{key} label").nth(1).click()


# One interaction per page, the page's own main control; a page not listed here opens its first
# expander, or else presses its first button, or else (a page of text) moves the focus with Tab.
INTERACTIONS = {
    "": lambda page: page.locator(".st-key-new_eps button").click(),
    "sampling": click_step_up("seed"),
    "reconstruction": lambda page: page.locator(".st-key-fit label").click(),
    "ae_vs_vae": click_step_up("prior_seed"),
    "elbo_curves": click_second_option("term"),
    "anomaly": click_second_option("score"),
    "glossary": lambda page: page.locator(".st-key-glossary_filter input").press_sequentially("ELBO\n"),
}


def first_control(page) -> None:
    main = page.locator("[data-testid='stMain']")
    for control in (main.locator("[data-testid='stExpander'] summary:visible"), main.locator("button:visible")):
        if control.count():
            control.first.click()
            return
    page.keyboard.press("Tab")


@pytest.fixture(scope="module", autouse=True)
def axe_report():
    """After the file's tests: the violations counted, by rule and view, to OUT/axe.json and printed."""
    yield
    OUT.mkdir(parents=True, exist_ok=True)
    counts = {rule: dict(views) for rule, views in sorted(COUNTS.items())}
    (OUT / "axe.json").write_text(json.dumps(counts, indent=1, ensure_ascii=False))
    print("\naxe-core violations, nodes by rule (impact rule: {view: nodes}):")
    for rule, views in counts.items():
        print(f"  {rule}: {sum(views.values())} nodes in {len(views)} views")


def new_page(chromium, lang: str, requests: list):
    """A fresh browser context for one page, recording the URL of every request it makes."""
    context = chromium.new_context(viewport=browser.LAPTOP, locale=LOCALES[lang], reduced_motion="reduce")
    context.on("request", lambda request: requests.append(request.url))
    return context.new_page()


def settle(page) -> None:
    browser.wait_rerun(page, settle_ms=700)  # charts and the maps draw after the script's run


def audit(page, view: str) -> list[dict]:
    """axe's violations now, in the page and its same-origin frames; counted in COUNTS under `view`."""
    for frame in page.frames[1:]:
        if not frame.is_detached() and not frame.evaluate("() => typeof window.axe === 'object'"):
            frame.add_script_tag(path=str(browser.AXE))
    found = browser.axe_violations(page)
    for v in found:
        COUNTS[f"{v['impact']} {v['id']}"][view] += len(v["nodes"])
    return [v for v in found if v["impact"] in BLOCKING or v["id"] in ALSO_BLOCKING]


def describe(violations: list[dict]) -> str:
    """One line per element (five at most per rule and view): the rule, the element, why it fails."""
    return "\n".join(
        f"{v['impact']} {v['id']}: {n['html'][:120]} | {n['failureSummary'].splitlines()[-1][:160]}"
        for v in violations
        for n in v["nodes"][:5]
    )


def colour_blind_shots(page, name: str) -> list:
    """Screenshots of the page's latent maps and charts as seen with deuteranopia and protanopia (Chromium's
    emulation, through the DevTools protocol), for a person to look at; returns the files written."""
    found = page.locator(".lm, [data-testid='stVegaLiteChart']")
    charts = [found.nth(i) for i in range(found.count()) if found.nth(i).is_visible()]
    if not charts:
        return []
    OUT.mkdir(parents=True, exist_ok=True)
    cdp = page.context.new_cdp_session(page)
    written = []
    for vision in ("none", "deuteranopia", "protanopia"):
        cdp.send("Emulation.setEmulatedVisionDeficiency", {"type": vision})
        for i, chart in enumerate(charts):
            written.append(OUT / f"{name or 'theory'}-{i}-{vision}.png")
            chart.screenshot(path=written[-1])
    cdp.send("Emulation.setEmulatedVisionDeficiency", {"type": "none"})
    return written


# Links in the page whose text is cut off (Streamlit ends a page link's label with "…" where it does not fit).
CUT_LINKS = """() => [...document.querySelectorAll("[data-testid='stMain'] [data-testid='stPageLink-NavLink'] p")]
  .filter((p) => p.closest('span').scrollWidth > p.closest('span').clientWidth + 1).map((p) => p.textContent)"""


def html_lang(page) -> str:
    return page.evaluate("() => document.documentElement.lang")


@pytest.mark.parametrize(("path", "lang"), VIEWS, ids=[f"/{path} {lang}" for path, lang in VIEWS])
def test_axe_finds_nothing_serious_and_every_request_stays_on_the_site(server, chromium, path, lang):
    """At 1280 px, then 390 (the same page, resized: one run of the page serves both widths), the
    page's one interaction and the skip of every prompt at 390, then 1280 again."""
    requests: list[str] = []
    page = new_page(chromium, lang, requests)
    langs: list[str] = []
    cut: list[str] = []

    def look(width: str, when: str = "") -> list[dict]:
        page.set_viewport_size(WIDTHS[width])
        settle(page)
        assert page.locator(browser.EXCEPTION).count() == 0
        langs.append(html_lang(page))
        cut.extend(page.evaluate(CUT_LINKS))
        return audit(page, f"/{path} {lang} {width}{when}")

    try:
        browser.open_site(page, f"{server}/{path}?lang={lang}")
        blocking = look("1280")
        if lang == "en":
            colour_blind_shots(page, path)
        blocking += look("390")
        INTERACTIONS.get(path, first_control)(page)
        browser.skip_prompts(page)  # what the prompts hold back is audited too
        blocking += look("390", " after") + look("1280", " after")
    finally:
        page.context.close()
    site = urlsplit(server).netloc
    away = sorted({u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")})
    away = [u for u in away if urlsplit(u).netloc != site]
    assert not away, f"requests that left the site: {away}"
    assert langs == [lang] * 4, "<html lang> at each width, before and after the interaction"
    assert not cut, f"links whose words are cut off: {cut}"
    assert not blocking, describe(blocking)


def test_the_page_language_follows_a_switch_and_a_page_change(server, chromium):
    page = new_page(chromium, "en", [])
    try:
        browser.open_site(page, f"{server}/sampling?lang=en")
        assert html_lang(page) == "en"
        page.locator(f"{SIDEBAR} button", has_text="한국어").first.click()
        browser.wait_idle(page)
        assert html_lang(page) == "ko"
        page.locator(f"{SIDEBAR} .st-key-site_menu a").nth(3).click()
        browser.wait_idle(page)
        assert "/ae_vs_vae" in page.url
        assert html_lang(page) == "ko"
        page.locator(f"{SIDEBAR} button", has_text="English").first.click()
        browser.wait_idle(page)
        assert html_lang(page) == "en"
    finally:
        page.context.close()
