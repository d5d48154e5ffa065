"""The Lab trains in the browser: its ELBO is vae_tf's, its steps lower it, and Play talks to no server.

The browser tests' shared `streamlit run` (tests/conftest.py), one page. The page's trainer (`window.__vaeLab.trainer`,
components/lab.js) takes vae_tf's weights of models/vae-2d-lab through its test hook and scores
bundled digits with noise eps given from here; vae_tf scores the same digits at the same
z = mu + sigma * eps with its own q_z_given_x, p_x_given_z and prior. Speed is not tested here
(bench/lab_speed.py measures it).
"""

import json

import numpy as np
import pytest

from tests.browser import LAPTOP, PHONE, needs_chromium, wait_idle
from vae_tf import export_lab, store

pytestmark = needs_chromium
DIGITS = 40
REFERENCE = "vae-2d-lab"


@pytest.fixture(scope="module")
def lab_page(server, chromium):
    page = chromium.new_page(viewport=LAPTOP)
    frames = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: frames.append(f)))
    page.goto(server + "/lab")
    wait_idle(page)
    page.wait_for_function("() => window.__vaeLab && window.__vaeLab.ready", timeout=60_000)
    yield page, frames
    page.close()


@pytest.fixture(scope="module")
def digits():
    """The first bundled digits, binarized once, and their noise: (DIGITS, 784), (DIGITS, 2)."""
    from vae_tf import data

    grey, _ = export_lab.read_digits()
    x = data.binarize(grey[:DIGITS], 7).reshape(DIGITS, 784)
    eps = np.random.default_rng(7).standard_normal((DIGITS, 2)).astype(np.float32)
    return x, eps


def _score(page, x, eps) -> dict:
    return page.evaluate(
        "([x, eps]) => window.__vaeLab.trainer.score(Float32Array.from(x), Float32Array.from(eps))",
        [x.ravel().tolist(), eps.ravel().tolist()],
    )


def test_the_browser_scores_vae_tf_weights_as_vae_tf_does(lab_page, digits):
    import tensorflow as tf

    from vae_tf import models

    page, _ = lab_page
    model = store.load(store.model_dir(REFERENCE))
    layers = [*model.encoder_net.layers, *model.decoder_net.layers]
    arrays = [w.numpy().tolist() for layer in layers if hasattr(layer, "kernel") for w in (layer.kernel, layer.bias)]
    page.evaluate("(w) => { window.__vaeLab.trainer.pause(); window.__vaeLab.trainer.setWeights(w); }", arrays)
    x, eps = digits
    shown = _score(page, x, eps)

    images = tf.constant(x.reshape(-1, 28, 28, 1))
    q = models.q_z_given_x(model, images)
    z = q.mean() + q.stddev() * eps
    recon = -models.p_x_given_z(model, z).log_prob(images).numpy()
    kl = model.prior.kl(q, z).numpy()
    assert recon.mean() > 50  # a real score, not zeros
    np.testing.assert_allclose(shown["recon"], recon, atol=0.1)
    np.testing.assert_allclose(shown["kl"], kl, atol=0.1)
    assert abs(np.mean(shown["recon"]) + np.mean(shown["kl"]) - (recon.mean() + kl.mean())) < 0.1


def test_training_steps_lower_the_elbo(lab_page, digits):
    page, _ = lab_page
    x, eps = digits
    page.evaluate("() => window.__vaeLab.trainer.reset(3)")
    before = _score(page, x, eps)
    page.evaluate("() => { for (let i = 0; i < 60; i++) window.__vaeLab.trainer.step(); }")
    after = _score(page, x, eps)
    neg_elbo = [np.mean(s["recon"]) + np.mean(s["kl"]) for s in (before, after)]
    assert neg_elbo[1] < neg_elbo[0] - 50, neg_elbo  # from ~543 nats (p = 1/2 everywhere) well down


def test_play_trains_without_a_message_to_the_server(lab_page):
    page, frames = lab_page
    page.evaluate("() => window.__vaeLab.trainer.reset(0)")
    wait_idle(page, settle_ms=1000)
    sent = len(frames)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => window.__vaeLab.trainer.history.length >= 3", timeout=30_000)
    assert page.locator(".lab-status").inner_text().startswith("Training:")
    page.keyboard.press("Space")  # the focused button, now Pause
    page.wait_for_function("() => !window.__vaeLab.trainer.running")
    assert page.locator(".lab-sr").inner_text().startswith("Paused")  # what a screen reader hears
    steps = page.evaluate("() => window.__vaeLab.trainer.steps")
    assert steps > 0
    assert len(frames) == sent, "the page sent websocket messages while training"
    page.get_by_role("button", name="One step", exact=True).click()
    assert page.evaluate("() => window.__vaeLab.trainer.steps") == steps + 1
    page.locator("canvas.lab-map").focus()  # the map decodes where the arrow keys move
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowUp")
    assert json.loads(page.locator("canvas.lab-digit").get_attribute("data-z")) == pytest.approx([0.1, 0.1])
    wait_idle(page, settle_ms=0)


def test_at_phone_width_nothing_is_cut_off_and_a_finger_decodes_without_scrolling(lab_page):
    from tests.test_browser import OVERFLOWING

    page, _ = lab_page
    phone = page.context.browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True).new_page()
    phone.goto(page.url.split("/lab")[0] + "/lab?lang=ko")
    wait_idle(phone)
    phone.wait_for_function("() => window.__vaeLab && window.__vaeLab.ready", timeout=60_000)
    phone.wait_for_timeout(500)  # the trainer's first drawing
    assert phone.evaluate(OVERFLOWING) == []
    box = phone.locator("canvas.lab-map").bounding_box()
    scroll = phone.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop")
    cdp = phone.context.new_cdp_session(phone)
    # from the lower left to the upper right quarter of the map (its centre is z = (0, 0))
    points = [
        (box["x"] + box["width"] * (0.2 + 0.05 * i), box["y"] + box["height"] * (0.8 - 0.05 * i)) for i in range(12)
    ]
    for i, (x, y) in enumerate(points):
        kind = "touchStart" if i == 0 else "touchEnd" if i == len(points) - 1 else "touchMove"
        cdp.send(
            "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [] if kind == "touchEnd" else [{"x": x, "y": y}]}
        )
    phone.wait_for_timeout(300)
    z = json.loads(phone.locator("canvas.lab-digit").get_attribute("data-z"))
    assert z[0] > 0 and z[1] > 0, z  # where the finger last moved: up and to the right of the centre
    assert phone.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop") == scroll
    phone.context.close()
