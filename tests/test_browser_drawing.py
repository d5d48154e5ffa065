"""The drawing pad and the test-digit picker in a real browser (Debian's Chromium, Playwright).

A digit drawn with the mouse on every canvas of the site (Reconstruction, Anomaly) is
reconstructed and scored; a stroke drawn by touch at phone width is reconstructed too; the
canvas fits a phone's column; the pad's map shows the drawing's q(z|x) while the stroke is
still going, with nothing sent to the server, and the browser's digit and q(z|x) equal the
server's preprocessing and the 2-D VAE's encoder; pad and map sit side by side at 1280 px and
one under the other at 390 px, with the Clear button always shown; typing "42" and Enter in the
picker adds test digit 42 and nothing else. The browser tests share one server (tests/conftest.py).
"""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.browser import EXCEPTION, canvas, mouse_strokes, needs_chromium, open_site, wait_idle

pytestmark = needs_chromium

IMAGES = "() => [...document.querySelectorAll('[data-testid=stImage] img')].map(i => i.src).join(' ')"
# A 7: the bar, then the stem, as fractions of the canvas's side.
SEVEN = [[(0.22, 0.2), (0.5, 0.2), (0.78, 0.2)], [(0.78, 0.2), (0.6, 0.5), (0.45, 0.85)]]


def touch_stroke(page, surface, stroke) -> None:
    """One stroke by touch, through Chromium's touch events (CDP Input.dispatchTouchEvent)."""
    box = surface.bounding_box()
    cdp = page.context.new_cdp_session(page)
    points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
    start = {"x": points[0][0], "y": points[0][1]}
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [start]})
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        for i in range(1, 13):
            f = i / 12
            cdp.send(
                "Input.dispatchTouchEvent",
                {"type": "touchMove", "touchPoints": [{"x": x0 + f * (x1 - x0), "y": y0 + f * (y1 - y0)}]},
            )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def section_headings(page) -> list[str]:
    """The numbered digit sections' headings, in order."""
    return [h for h in page.locator("h3").all_inner_texts() if h[:1].isdigit()]


def test_a_mouse_drawing_is_reconstructed_alone(site):
    url, browser = site
    page = browser.new_page(viewport={"width": 1280, "height": 2400})
    open_site(page, url + "/reconstruction", heading="3. Test digit 2, a 1")
    assert len(section_headings(page)) == 3  # an empty page shows three test digits
    page.get_by_role("tab", name="Draw").click()
    surface = canvas(page)
    mouse_strokes(page, surface, SEVEN[:1])
    page.get_by_role("heading", name="1. your drawing").wait_for(timeout=60_000)
    wait_idle(page)
    shown = page.evaluate(IMAGES)
    mouse_strokes(page, surface, SEVEN[1:])
    page.wait_for_function(f"() => ({IMAGES})() !== {json.dumps(shown)}", timeout=60_000)  # the new reconstruction
    wait_idle(page)
    assert section_headings(page) == ["1. your drawing"]  # no default test digits beside a drawing
    assert page.get_by_text("−ELBO").count() >= 1
    assert page.locator(EXCEPTION).count() == 0
    page.close()


def test_a_mouse_drawing_is_scored_on_the_anomaly_page(site):
    url, browser = site
    page = browser.new_page(viewport={"width": 1280, "height": 2400})
    open_site(page, url + "/anomaly", heading="Score your own image")
    page.get_by_text("…or draw one").click()
    wait_idle(page)
    page.wait_for_timeout(500)  # the pad is resized to the measured column: draw after that
    mouse_strokes(page, canvas(page), SEVEN)
    page.get_by_role("heading", name="1. your drawing").wait_for(timeout=60_000)
    wait_idle(page)
    kinds = ("Looks like a digit to this model", "Borderline.", "Unusual for this model", "Not a digit, whatever")
    assert sum(page.get_by_text(kind).count() for kind in kinds) == 1  # one verdict per image
    assert page.locator(EXCEPTION).count() == 0
    page.close()


# The Reconstruction page's third heading and its Draw tab, by language.
PAGE_WORDS = {"en": ("3. Test digit 2, a 1", "Draw"), "ko": ("3. 테스트 숫자 2번, 숫자 1", "그리기")}


def phone_pad(site, height: int, lang: str = "en"):
    """A touch phone 390 px wide on the Reconstruction page's Draw tab, the pad sized: (context, page, pad)."""
    url, browser = site
    context = browser.new_context(viewport={"width": 390, "height": height}, has_touch=True, is_mobile=True)
    page = context.new_page()
    heading, tab = PAGE_WORDS[lang]
    open_site(page, f"{url}/reconstruction?lang={lang}", heading=heading)
    page.get_by_role("tab", name=tab).tap()
    surface = canvas(page)
    page.wait_for_timeout(500)  # the pad is resized to the measured column
    wait_idle(page, settle_ms=800)
    return context, page, surface


def test_a_touch_stroke_at_phone_width_is_reconstructed(site):
    context, page, surface = phone_pad(site, 2400)
    box = surface.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    touch_stroke(page, surface, [(0.5, 0.15), (0.52, 0.5), (0.5, 0.85)])
    page.get_by_role("heading", name="1. your drawing").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator(EXCEPTION).count() == 0
    context.close()


def test_typing_a_number_in_the_picker_adds_that_test_digit_only(site):
    url, browser = site
    page = browser.new_page(viewport={"width": 1280, "height": 2400})
    open_site(page, url + "/reconstruction", heading="3. Test digit 2, a 1")
    page.get_by_role("tab", name="Test digits").click()
    field = page.locator("[data-testid='stMultiSelect'] input")
    field.click()
    field.type("42")
    page.get_by_role("option", name="42 (a 4)").wait_for(timeout=10_000)  # the list has been filtered
    field.press("Enter")
    # The open list hides the rest of the page from the accessibility tree: find headings by CSS.
    page.locator("h3", has_text="4. Test digit 42, a 4").wait_for(timeout=60_000)
    wait_idle(page)
    chips = page.locator("[data-testid='stMultiSelect'] span[data-tag]").evaluate_all(
        "tags => tags.map(t => t.getAttribute('aria-label'))"
    )
    assert [c.split(" ")[0] for c in chips] == ["0", "1", "2", "42"], chips
    assert len(section_headings(page)) == 4
    page.close()


MAP = ".dp-map .lm"


def pad_layout(page) -> tuple[dict, dict, dict]:
    """The boxes of the pad's canvas, its map and its Clear button."""
    return (
        canvas(page).bounding_box(),
        page.locator(MAP).first.bounding_box(),
        page.locator(".dp-clear").first.bounding_box(),
    )


@pytest.fixture(scope="module")
def vae_2d():
    from vae_tf import store
    from vae_tf.inference import Inference

    return Inference(store.load(store.model_dir(store.SHIPPED["vae_2d"])))


def test_a_stroke_moves_q_z_given_x_on_the_map_in_the_browser_as_the_server_computes_it(site, vae_2d):
    from vae_tf.images import preprocess_canvas

    url, browser = site
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    frames = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: frames.append(f)))
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if ".encoder.f16" in r.url else None)
    open_site(page, url + "/reconstruction", heading="3. Test digit 2, a 1")
    page.wait_for_timeout(1000)
    assert not fetched  # the encoder is fetched only once the pad is on screen
    page.get_by_role("tab", name="Draw").click()
    surface = canvas(page)
    page.wait_for_function("() => window.__vaeDecoders && window.__vaeDecoders.size >= 2")  # decoder and encoder
    page.evaluate("() => Promise.all([...window.__vaeDecoders.values()])")
    wait_idle(page, settle_ms=1000)
    pad, plot, clear = pad_layout(page)
    assert plot["x"] >= pad["x"] + pad["width"], (pad, plot)  # side by side at 1280 px
    assert clear["width"] > 0 and page.locator(".dp-clear").first.is_visible()  # shown without hovering
    assert page.locator(MAP).first.get_attribute("data-q") == ""
    box, sent = surface.bounding_box(), len(frames)
    page.mouse.move(box["x"] + 0.22 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.78 * box["width"], box["y"] + 0.2 * box["height"], steps=12)
    page.mouse.move(box["x"] + 0.45 * box["width"], box["y"] + 0.85 * box["height"], steps=12)
    page.wait_for_timeout(200)
    during = json.loads(page.locator(MAP).first.get_attribute("data-q"))  # while the pen is still down ...
    assert len(frames) == sent  # ... nothing has gone to the server
    page.mouse.up()
    wait_idle(page, settle_ms=800)
    shown = page.locator(MAP).first
    q, digit = json.loads(shown.get_attribute("data-q")), np.array(json.loads(shown.get_attribute("data-digit")))
    assert q == during
    png = surface.evaluate("c => c.toDataURL('image/png')").split(",", 1)[1]
    rgba = np.asarray(Image.open(io.BytesIO(base64.b64decode(png))).convert("RGBA"))
    server = preprocess_canvas(rgba).digit
    assert [c.code for c, _ in preprocess_canvas(rgba).steps][-2:] == ["step_fitted", "step_centred"]
    np.testing.assert_allclose(digit.reshape(28, 28), server, atol=0.01)  # the same crop, fit and centring
    mean, std = vae_2d.encode(server[None])
    np.testing.assert_allclose(q["mean"], mean[0], atol=0.02)  # float16 weights (the codes spread over about ±3)
    np.testing.assert_allclose(q["std"], std[0], rtol=0.03)
    assert page.locator(MAP).first.locator("path.lm-ring").count() == 2  # its 1- and 2-sigma rings
    took = np.array(page.evaluate("() => window.__drawingPadStats.analyse"))
    print(f"\npad: {len(took)} analyses, median {np.median(took):.1f} ms, max {took.max():.1f} ms")
    assert "drawn very small" not in page.locator(".dp-note").first.inner_text()
    page.locator(".dp-clear").first.click()
    assert shown.get_attribute("data-q") == ""
    mouse_strokes(page, surface, [[(0.45, 0.4), (0.47, 0.6)]])  # small: the page redraws its strokes
    wait_idle(page, settle_ms=800)
    png = surface.evaluate("c => c.toDataURL('image/png')").split(",", 1)[1]
    rgba = np.asarray(Image.open(io.BytesIO(base64.b64decode(png))).convert("RGBA"))
    assert "step_strokes" in [c.code for c, _ in preprocess_canvas(rgba).steps]
    assert "drawn very small" in page.locator(".dp-note").first.inner_text()  # and the map's note says so
    page.close()


def test_at_phone_width_the_map_is_under_the_pad(site):
    context, page, _ = phone_pad(site, 1600, "ko")
    pad, plot, clear = pad_layout(page)
    assert plot["y"] >= clear["y"] + clear["height"], (pad, plot, clear)  # the map under the pad and its button
    assert plot["x"] + plot["width"] <= 390 and pad["x"] + pad["width"] <= 390
    assert page.get_by_text("키보드로는 대신 테스트 숫자를 고르세요").count() == 1  # the keyboard alternative, named
    context.close()
