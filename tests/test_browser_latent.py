"""The latent map decodes as the pointer moves, in the browser: no script run, no websocket message.

On the browser tests' shared `streamlit run` (tests/conftest.py), the pointer crosses the Sampling
page's map; the digit in the map's box changes, the app never runs its script, no websocket frame
goes either way, the image equals `Inference.decode` at the code the map reports, and the time from
the pointer event to the frame that shows the new digit is recorded (printed with -s; the bench
number). On a phone a sideways drag decodes and a vertical swipe that starts on the map scrolls the
page; the arrow keys move the focused map's point and its label follows; a legend digit picks out
its class.
"""

import json

import numpy as np
import pytest

from tests.browser import LAPTOP, map_path, needs_chromium, wait_idle

pytestmark = needs_chromium
MOVES = 60

# Records every change of the app's script state (a run during the hover would show 'running').
WATCH_JS = """
() => {
  const app = document.querySelector("[data-testid='stApp']");
  window.__states = [];
  new MutationObserver(() => window.__states.push(app.getAttribute('data-test-script-state')))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}
"""
# The box's digit as 784 grey levels (0-255), the code the map says it decoded, and a checksum.
READ_JS = """
c => {
  const px = c.getContext('2d').getImageData(0, 0, 28, 28).data;
  const grey = []; for (let i = 0; i < px.length; i += 4) grey.push(px[i]);
  return {grey, z: c.dataset.z ? JSON.parse(c.dataset.z) : null};
}
"""


@pytest.fixture(scope="module")
def vae_2d():
    from vae_tf import store
    from vae_tf.inference import Inference

    return Inference(store.load(store.model_dir(store.SHIPPED["vae_2d"])))


def _open(site, viewport, **context):
    """The Sampling page, loaded and idle, with the decoder fetched and the watchers on."""
    url, browser = site
    ctx = browser.new_context(viewport=viewport, **context)
    page = ctx.new_page()
    frames = []
    page.on(
        "websocket",
        lambda ws: (
            ws.on("framesent", lambda f: frames.append("sent")),
            ws.on("framereceived", lambda f: frames.append("received")),
        ),
    )
    page.goto(url + "/sampling")
    wait_idle(page, settle_ms=500)
    svg = page.locator("svg.lm-svg").first
    svg.scroll_into_view_if_needed()
    page.wait_for_function("() => window.__vaeDecoders && window.__vaeDecoders.size > 0")
    page.evaluate("() => Promise.all([...window.__vaeDecoders.values()])")
    wait_idle(page, settle_ms=1500)  # every message of the first run has come
    page.evaluate(WATCH_JS)
    return ctx, page, svg, frames


def test_hover_decodes_in_the_browser_without_a_script_run(site, vae_2d):
    ctx, page, svg, frames = _open(site, LAPTOP)
    before = len(frames)
    seen, checked = set(), 0
    for i, (x, y) in enumerate(map_path(svg.bounding_box(), MOVES)):
        page.mouse.move(x, y)
        if i % 6 == 0:
            shown = page.locator("canvas.lm-digit").first.evaluate(READ_JS)
            seen.add(hash(tuple(shown["grey"])))
            expected = vae_2d.decode(np.array([shown["z"]], np.float32))[0]
            np.testing.assert_allclose(np.array(shown["grey"]).reshape(28, 28) / 255, expected, atol=0.02)
            checked += 1
    page.wait_for_timeout(300)
    stats = page.evaluate("() => window.__latentMapStats")
    assert stats["decodes"] >= MOVES
    assert len(seen) >= checked - 1 >= 8  # the digit changes along the path
    assert "running" not in page.evaluate("() => window.__states")
    assert len(frames) == before, frames[before:]  # nothing went to the server, nothing came back
    # How fast a move is painted is measured by bench/live_speed.py (BENCHMARKS.md), not asserted here.
    assert len(stats["painted"]) >= MOVES  # every move reached the screen
    ctx.close()


def touch(cdp, points) -> None:
    """One finger put down at the first point, moved through the rest, and lifted (CDP touch events)."""
    kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
    for kind, (x, y) in zip(kinds, points, strict=True):
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


SCROLLED = "() => document.querySelector('[data-testid=stMain]').scrollTop + window.scrollY"


def test_on_a_phone_a_vertical_swipe_on_the_map_scrolls_and_a_sideways_drag_decodes(site):
    ctx, page, svg, frames = _open(site, {"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    cdp = ctx.new_cdp_session(page)
    box = svg.bounding_box()
    middle = box["y"] + box["height"] / 2
    page.evaluate("() => { window.__latentMapStats.decodes = 0; }")
    before = page.evaluate(SCROLLED)
    touch(cdp, [(box["x"] + 60 + (box["width"] - 80) * i / 19, middle) for i in range(20)])  # sideways
    page.wait_for_timeout(300)
    decoded = page.evaluate("() => window.__latentMapStats.decodes")
    assert decoded >= 15, decoded  # the finger's moves decode ...
    assert page.evaluate(SCROLLED) == before  # ... and do not scroll the page
    x = box["x"] + box["width"] / 2
    touch(cdp, [(x, middle + 120 - 12 * i) for i in range(21)])  # a swipe up, starting on the map
    page.wait_for_timeout(600)
    assert page.evaluate(SCROLLED) > before + 50  # a vertical swipe that starts on the map scrolls the page
    assert "running" not in page.evaluate("() => window.__states")
    ctx.close()


def test_the_arrow_keys_move_the_point_and_the_label_says_where(site):
    ctx, page, svg, frames = _open(site, LAPTOP)
    page.keyboard.press("Tab")  # a keyboard visitor: focus rings follow the keyboard
    svg.focus()
    start = json.loads(page.locator("canvas.lm-digit").first.get_attribute("data-z"))
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    z = json.loads(page.locator("canvas.lm-digit").first.get_attribute("data-z"))
    assert z[0] > start[0] and z[1] < start[1], (start, z)
    label = svg.get_attribute("aria-label")
    assert f"z = ({z[0]:.2f}, {z[1]:.2f})" in label and "Arrow keys" in label  # true after the move
    assert svg.evaluate("s => getComputedStyle(s).outlineStyle") == "solid"  # a visible focus ring
    assert "running" not in page.evaluate("() => window.__states")
    ctx.close()


def test_a_legend_digit_picks_out_its_class_by_keyboard_too(site, tmp_path):
    """A second channel beside colour: seen through Chromium's deuteranopia emulation (screenshots printed with -s)."""
    from vae_tf import data, store

    labels = data.load_npz_split(store.ASSETS_DIR / "mnist_test_1000.npz").y
    ctx, page, svg, frames = _open(site, LAPTOP)
    ctx.new_cdp_session(page).send("Emulation.setEmulatedVisionDeficiency", {"type": "deuteranopia"})
    plot = page.locator(".lm").first
    plot.screenshot(path=tmp_path / "deuteranopia.png")
    button = page.locator("button.lm-class", has_text="3").first
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-pressed") == "true"
    assert svg.locator("circle.lm-on").count() == int((labels == 3).sum())
    assert svg.locator("g.lm-picking").count() == 1  # the other classes faded
    plot.screenshot(path=tmp_path / "deuteranopia-3.png")
    print(f"\nlegend: {tmp_path / 'deuteranopia.png'}, {tmp_path / 'deuteranopia-3.png'}")
    page.keyboard.press("Space")
    assert svg.locator("circle.lm-on").count() == 0 and button.get_attribute("aria-pressed") == "false"
    ctx.close()


def test_ten_arrow_key_steps_of_a_slider_are_one_history_entry(site):
    url, browser = site
    page = browser.new_page(viewport=LAPTOP)
    page.goto(url + "/sampling")
    wait_idle(page, settle_ms=800)
    entries = page.evaluate("() => history.length")
    thumb = page.get_by_role("slider", name="z₁").first
    thumb.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(400)  # a visitor's pace: the runs of earlier steps end in between
    wait_idle(page, settle_ms=500)
    moved = float(page.evaluate("() => new URLSearchParams(location.search).get('z1')"))
    assert moved >= 0.25  # (a step taken while a run was starting may be lost, as Streamlit's slider does)
    assert page.evaluate("() => history.length") == entries + 1  # one entry for the whole move
    page.go_back()
    wait_idle(page, settle_ms=500)
    assert "z1" not in page.evaluate("() => location.search")  # Back: the value before the move ...
    assert page.get_by_role("slider", name="z₁").first.input_value() == "0"  # ... on the slider too
    page.close()
