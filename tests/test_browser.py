"""The site in a real browser: `streamlit run`, headless Chromium (see ../shared/BROWSER.md).

Every page renders, an upload is reconstructed, a shared deep link works as a fresh server's first
request; Back and Forward (one press per page change, an earlier setting comes back); the phone
width (the sidebar closes after a page is chosen, nothing is wider than the screen but the
equations, which scroll in their own box); the language switch (Hangul renders, the language
survives every page change and is in the share link).

Needs Debian's Chromium at /usr/bin/chromium and fonts-noto-cjk (scripts/test.sh installs them).
"""

import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests import browser
from vae_site import i18n, navigation

pytestmark = browser.needs_chromium

MENU = "[data-testid='stSidebar'] .st-key-site_menu [data-testid='stPageLink-NavLink']"
SIDEBAR = "[data-testid='stSidebar']"
SHARE_LINK = "[data-testid='stSidebar'] [data-testid='stCode']"
SEED = "[data-testid='stNumberInput'] input"
PATHS = ["" if i == 0 else Path(p).stem for i, (p, _, _) in enumerate(navigation.PAGES)]  # URL paths, in order


def nav_titles(lang: str) -> list[str]:
    return [i18n.text(lang, key) for _, key, _ in navigation.PAGES]


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport=browser.LAPTOP, locale="en-US")
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(viewport=browser.PHONE, locale="en-US", has_touch=True, is_mobile=True)
    yield context.new_page()
    context.close()


def wait_idle(page) -> None:
    browser.wait_idle(page)


def no_exception(page, where="") -> None:
    boxes = page.locator(browser.EXCEPTION)
    assert boxes.count() == 0, (where, boxes.first.inner_text()[:1500])


def open_site(page, url: str) -> None:
    """Open `url` and wait for the site's menu (the app reports idle before its first run, too)."""
    browser.open_site(page, url)
    page.locator(MENU).first.wait_for(timeout=60_000)
    wait_idle(page)


def choose_language(page, name: str) -> None:
    page.locator(f"{SIDEBAR} button", has_text=name).first.click()
    wait_idle(page)


def menu_texts(page) -> list[str]:
    """The sidebar menu's labels (after each link's icon name)."""
    return [text.split("\n")[-1].strip() for text in page.locator(MENU).all_inner_texts()]


def go(page, index: int) -> None:
    """Choose page `index` (navigation.PAGES order) in the sidebar menu and wait for its run."""
    page.locator(MENU).nth(index).click()
    wait_idle(page)
    page.wait_for_function("(path) => location.pathname === '/' + path", arg=PATHS[index])
    wait_idle(page)


def history_step(page, direction: str) -> None:
    getattr(page, "go_" + direction)()
    wait_idle(page)
    page.wait_for_timeout(500)
    wait_idle(page)


def path_of(page) -> str:
    return re.sub(r"^https?://[^/]+/", "", page.url)


def handwritten_three(path) -> None:
    """A photo-like PNG: a dark '3' drawn on light grey paper, off-centre."""
    image = Image.new("L", (300, 240), 215)
    draw = ImageDraw.Draw(image)
    draw.arc((90, 40, 170, 110), 200, 90, fill=30, width=12)
    draw.arc((85, 100, 175, 190), 270, 160, fill=30, width=12)
    image.save(path)


def test_a_shared_link_as_a_fresh_servers_first_request_shows_the_whole_site(page):
    """A cold hosted app often serves a shared deep link first: the page, the site's own page list
    (not Streamlit's list of the files in pages/) and the model card must all be there."""
    with browser.serving() as url:
        page.goto(f"{url}/anomaly?score=iwae")
        wait_idle(page)
        page.locator("h1").first.wait_for(timeout=60_000)
        wait_idle(page)
        assert menu_texts(page) == nav_titles("en")
        assert page.locator("[data-testid='stSidebarNav']").count() == 0  # Streamlit's own list of pages/
        assert page.get_by_text(i18n.text("en", "site.card_heading")).count() == 1
        assert page.locator(browser.EXCEPTION).count() == 0


def test_every_page_renders_and_an_upload_is_reconstructed(server, page, tmp_path):
    for path in PATHS:
        open_site(page, f"{server}/{path}")
        page.locator("h1").first.wait_for(timeout=60_000)
        assert page.locator(browser.EXCEPTION).count() == 0, path
    upload = tmp_path / "three.png"
    handwritten_three(upload)
    open_site(page, f"{server}/reconstruction")
    page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", str(upload))
    page.get_by_role("heading", name=re.compile("three.png")).first.wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator(browser.EXCEPTION).count() == 0
    assert page.locator("[data-testid='stImage'] img").count() >= 8  # input, reconstruction, posterior draws


def test_back_after_two_page_changes_goes_to_the_previous_page_in_one_press(server, page):
    """A page change is one history entry (Streamlit's own menu dropped `lang` and the page wrote it
    back: two entries, so Back seemed to do nothing); Forward returns, the language stays."""
    lang, query = "ko", "?lang=ko"
    open_site(page, f"{server}/{query}")
    go(page, 1)
    go(page, 3)
    assert path_of(page) == f"ae_vs_vae{query}"
    history_step(page, "back")
    assert path_of(page) == f"sampling{query}"
    assert menu_texts(page) == nav_titles(lang)
    history_step(page, "back")
    assert path_of(page) == query
    history_step(page, "forward")
    assert path_of(page) == f"sampling{query}"
    no_exception(page, query)


def set_seed(page, value: int) -> None:
    box = page.locator(SEED).first
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)
    page.wait_for_function("(v) => location.search.includes('seed=' + v)", arg=str(value))
    wait_idle(page)


def test_back_restores_an_earlier_setting_and_forward_the_later_one(server, page):
    open_site(page, f"{server}/sampling")
    set_seed(page, 5)
    set_seed(page, 9)
    history_step(page, "back")
    assert "seed=5" in page.url and page.locator(SEED).first.input_value() == "5"
    history_step(page, "back")
    assert "seed=" not in page.url and page.locator(SEED).first.input_value() == "0"  # the default
    history_step(page, "forward")
    assert page.locator(SEED).first.input_value() == "5"


def test_back_after_a_language_switch_returns_to_the_earlier_language(server, page):
    open_site(page, f"{server}/sampling")
    choose_language(page, "한국어")
    page.wait_for_function("() => location.search.includes('lang=ko')")
    wait_idle(page)
    assert menu_texts(page) == nav_titles("ko")
    history_step(page, "back")
    assert "lang=" not in page.url and menu_texts(page) == nav_titles("en")
    history_step(page, "forward")
    assert "lang=ko" in page.url and menu_texts(page) == nav_titles("ko")


# Elements of the main block that reach past the right edge of the viewport, except what lies
# inside a box that scrolls horizontally (an equation's) and fits the viewport itself.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      const clips = ['auto', 'scroll'].includes(style.overflowX);
      if (clips && p.getBoundingClientRect().right <= width + 1) return true;  // scrolls, and fits
    }
    return false;
  };
  const main = document.querySelector("[data-testid='stMain']");
  return [...main.querySelectorAll('*')].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.right > width + 1 && !scrolls(el);
  }).map((el) => `${el.tagName}.${el.getAttribute('data-testid') || el.className} ${el.getBoundingClientRect().right}`);
}"""


OPEN = "(sidebar) => { const box = document.querySelector(sidebar).getBoundingClientRect(); return box.right > 1; }"


def sidebar_is_open(page) -> bool:
    box = page.locator(SIDEBAR).bounding_box()
    return box is not None and box["x"] + box["width"] > 1


def test_at_phone_width_the_sidebar_closes_after_a_page_is_chosen_and_nothing_is_cut_off(server, phone):
    open_site(phone, f"{server}/")
    assert not sidebar_is_open(phone)  # a phone opens with the sidebar closed
    for index in (4, 0):  # ELBO curves (charts, tables), then Theory (equations)
        phone.locator("[data-testid='stExpandSidebarButton']").click()
        phone.wait_for_function(OPEN, arg=SIDEBAR)
        go(phone, index)
        phone.wait_for_timeout(500)
        assert not sidebar_is_open(phone), PATHS[index]
        assert phone.evaluate(OVERFLOWING) == [], PATHS[index]
    breaks = phone.evaluate("""() => [...document.querySelectorAll(
        "[data-testid='stCaptionContainer'], [data-testid='stImageCaption'], [data-testid='stMarkdownContainer']")]
        .map((e) => getComputedStyle(e).wordBreak + ' ' + getComputedStyle(e).overflowWrap)""")
    assert breaks and set(breaks) == {"keep-all normal"}, set(breaks)  # between words only, never mid-word
    equations = phone.locator(".katex-display")
    assert equations.count() >= 1
    wide = [
        i for i in range(equations.count()) if equations.nth(i).evaluate("(e) => e.scrollWidth > e.clientWidth + 1")
    ]
    assert all(equations.nth(i).evaluate("(e) => getComputedStyle(e).overflowX") == "auto" for i in wide)
    assert phone.evaluate(WIDE_EQUATION) == {"scrolls": True, "fits": True, "hint": True}


# An equation wider than any phone, put into the page: the site style makes its box scroll within
# the screen, with the edge shadows that say so (the pages' own equations may all fit).
WIDE_EQUATION = """() => {
  const box = document.createElement('span');
  box.className = 'katex-display';
  box.innerHTML = '<span class="katex" style="width: 900px">x</span>';
  document.querySelector("[data-testid='stMarkdownContainer']").appendChild(box);
  const style = getComputedStyle(box);
  const found = {scrolls: style.overflowX === 'auto' && box.scrollWidth > box.clientWidth,
                 fits: box.getBoundingClientRect().right <= document.documentElement.clientWidth,
                 hint: style.backgroundImage.includes('gradient')};
  box.remove();
  return found;
}"""


# Hangul drawn with the page's own font must differ from the "missing glyph" box (tofu) that the
# browser draws for a code point no installed font has (U+0378 is unassigned).
TOFU = """(font) => {
  const draw = (text) => {
    const canvas = document.createElement('canvas'); canvas.width = 200; canvas.height = 60;
    const ctx = canvas.getContext('2d'); ctx.font = font; ctx.fillText(text, 4, 44);
    return [ctx.measureText(text).width, Array.from(ctx.getImageData(0, 0, 200, 60).data).join(',')];
  };
  const [hangulWidth, hangul] = draw('한');
  const [, missing] = draw('\\u0378');
  return {hangulWidth, same: hangul === missing, inked: hangul.split(',').some((v) => v !== '0')};
}"""


def test_the_language_switch_survives_every_page_and_travels_in_the_share_link(server, page):
    open_site(page, f"{server}/")
    assert menu_texts(page) == nav_titles("en")
    choose_language(page, "한국어")
    for index, path in enumerate(PATHS):
        go(page, index)
        assert path_of(page) == f"{path}?lang=ko", path
        assert menu_texts(page) == nav_titles("ko"), path
        link = page.locator(SHARE_LINK).last.text_content()
        assert "lang=ko" in link, (path, link)
        no_exception(page, path)
    heading = page.locator(SIDEBAR).get_by_text(i18n.text("ko", "site.card_heading"))
    assert heading.bounding_box()["width"] > 0
    font = heading.evaluate("(e) => { const s = getComputedStyle(e); return s.fontWeight + ' 32px ' + s.fontFamily; }")
    glyphs = page.evaluate(TOFU, font)
    assert glyphs["inked"] and not glyphs["same"] and glyphs["hangulWidth"] > 20, glyphs


def test_a_korean_browser_opens_the_site_in_korean_without_lang_in_the_url(server, chromium):
    context = chromium.new_context(viewport=browser.LAPTOP, locale="ko-KR")
    try:
        page = context.new_page()
        open_site(page, f"{server}/")
        assert menu_texts(page) == nav_titles("ko") and "lang=" not in page.url
        choose_language(page, "English")
        page.wait_for_function("() => location.search.includes('lang=en')")
        wait_idle(page)
        assert menu_texts(page) == nav_titles("en")
    finally:
        context.close()


def test_ae_vs_vae_seed_reruns_its_fragments_and_the_link_back_and_share_box_follow(server, page):
    """AE vs VAE's seed reruns three fragments, not the page; the address, the share box and Back follow it."""
    open_site(page, f"{server}/ae_vs_vae")
    browser.skip_prompts(page)  # the decoded codes wait for the prompt above them
    images = page.locator("[data-testid='stImage'] img")
    before = images.evaluate_all("(imgs) => imgs.map((i) => i.src)")
    set_seed(page, 5)
    after = images.evaluate_all("(imgs) => imgs.map((i) => i.src)")
    assert len(after) == len(before) and sum(a != b for a, b in zip(before, after, strict=True)) == 5  # 4 + β's
    page.get_by_text("Share this view").click()
    link = page.locator("[data-testid='stSidebar'] [data-testid='stCode']").filter(has_text="prior_seed")
    assert "prior_seed=5" in link.inner_text()
    set_seed(page, 9)
    history_step(page, "back")
    assert "seed=5" in page.url and page.locator(SEED).first.input_value() == "5"
    assert "drawn with seed 5;" in page.locator("[data-testid='stImage'] img").first.get_attribute("alt")
    no_exception(page, "ae_vs_vae")


SCROLLING_IN_TABLES = """() => [...document.querySelectorAll("[data-testid='stTable'] *")]
    .filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
    .map((e) => e.textContent.slice(0, 40))"""


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_at_phone_width_the_tables_of_ae_vs_vae_and_elbo_curves_fit_without_scrolling(server, phone, lang):
    """A table that scrolled hid its last column with no sign of it, and keyboard users could not reach it."""
    for path in ("ae_vs_vae", "elbo_curves"):
        open_site(phone, f"{server}/{path}?lang={lang}")
        browser.skip_prompts(phone)  # the tables some prompts hold back
        assert phone.locator("[data-testid='stTable']").count() == {"ae_vs_vae": 2, "elbo_curves": 1}[path]
        assert phone.evaluate(SCROLLING_IN_TABLES) == [], (path, lang)
