"""The latent map decodes as the pointer moves, in the browser: no script run, no websocket message.

One `streamlit run` for the file. The pointer (a mouse at laptop width, a finger at phone width)
crosses the Sampling page's map; the digit in the map's box changes, the app never runs its
script, no websocket frame goes either way, the image equals `Inference.decode` at the code the
map reports, and the time from the pointer event to the frame that shows the new digit is
recorded (printed with -s; the bench number).
"""

import json

import numpy as np
import pytest

from tests.browser import LAPTOP, PHONE, chromium, map_path, needs_chromium, serving, wait_idle

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


@pytest.fixture(scope="module")
def site():
    with serving() as url, chromium() as browser:
        yield url, browser


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
    painted = np.array(stats["painted"])
    print(
        f"\nhover: {len(painted)} moves, pointer event -> frame shown: median {np.median(painted):.1f} ms, "
        f"p95 {np.percentile(painted, 95):.1f} ms, max {painted.max():.1f} ms; event -> image drawn: median "
        f"{np.median(stats['latencies']):.2f} ms; forward pass + drawing: median "
        f"{np.median(stats['compute']):.2f} ms, max {np.max(stats['compute']):.2f} ms"
    )
    # The target (issue 14): <= 50 ms from the pointer's move to the frame showing its digit. The
    # median is asserted; the tail depends on how busy the machine's cores are (its p95 is printed).
    assert np.median(painted) <= 50 and max(stats["compute"]) <= 50
    ctx.close()


def test_a_finger_dragged_over_the_map_decodes_at_phone_width(site):
    ctx, page, svg, frames = _open(site, PHONE, has_touch=True, is_mobile=True)
    cdp = ctx.new_cdp_session(page)
    points = map_path(svg.bounding_box(), 20)
    scroll = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop")
    kinds = ["touchStart"] + ["touchMove"] * (len(points) - 2) + ["touchEnd"]
    for kind, (x, y) in zip(kinds, points, strict=True):
        cdp.send(
            "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [] if kind == "touchEnd" else [{"x": x, "y": y}]}
        )
    page.wait_for_timeout(300)
    stats = page.evaluate("() => window.__latentMapStats")
    assert stats["decodes"] >= len(points) - 2  # every move of the finger decoded ...
    assert page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop") == scroll  # ... no scroll
    assert "running" not in page.evaluate("() => window.__states")
    assert json.loads(page.locator("canvas.lm-digit").first.get_attribute("data-z"))
    ctx.close()
