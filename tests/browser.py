"""Helpers for the real-browser tests: serve the site with `streamlit run` on 127.0.0.1 and drive
Debian's Chromium with Playwright (../shared/BROWSER.md). The benchmarks in bench/ use them too.

    with serving() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 2400})
        page.goto(url + "/sampling"); wait_idle(page)
"""

import atexit
import contextlib
import functools
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
EXCEPTION = "[data-testid='stException']"
PHONE = {"width": 390, "height": 2400}
LAPTOP = {"width": 1280, "height": 2400}
AXE = ROOT / "tests" / "axe" / "axe.min.js"  # vendored from npm (tests/axe/README.md), never fetched
AXE_VERSION = "4.14.1"
SHOTS = ROOT / "screenshots" / "tmp"  # what tests draw for a person to look at (not committed)

needs_chromium = pytest.mark.skipif(
    not shutil.which(CHROMIUM) and not os.environ.get("CI"), reason="Debian's chromium is not installed"
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(port: int) -> list[str]:
    """`streamlit run` of the site on 127.0.0.1:port, as the tests and benchmarks serve it."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "streamlit_app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]


def wait_healthy(proc: subprocess.Popen, port: int, timeout: float = 60) -> None:
    """Return once /_stcore/health answers ok; kill the server and raise after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("streamlit did not start")


@contextlib.contextmanager
def serving(env: dict | None = None):
    """A fresh `streamlit run` of the site; yields its base URL and stops it afterwards."""
    port = free_port()
    proc = launch(streamlit_command(port), env or dict(os.environ))
    try:
        wait_healthy(proc, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def launch(command: list[str], env: dict) -> subprocess.Popen:
    """Start a server command in the repository, its output discarded; returns at once."""
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen) -> None:
    """Terminate a server we started (and only it), then reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def launch_chromium(playwright):
    """Debian's Chromium, headless, with the flags that keep it off the network (Playwright's sync or async API)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@functools.cache
def _playwright():
    """Playwright's sync driver, started once per process and stopped at exit: its sync API allows one
    at a time, and the browser tests' shared Chromium (tests/conftest.py) may be open beside a file's own."""
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    atexit.register(driver.stop)
    return driver


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, headless, with the flags that keep it off the network."""
    browser = launch_chromium(_playwright())
    try:
        yield browser
    finally:
        browser.close()


def wait_idle(page, timeout: int = 120_000, settle_ms: int = 300) -> None:
    """Wait until the app has finished running its script, then `settle_ms` more for drawing."""
    page.wait_for_selector(IDLE, timeout=timeout)
    if settle_ms:
        page.wait_for_timeout(settle_ms)


def wait_rerun(page, settle_ms: int = 500) -> None:
    """After an action: wait for the run it starts to end and nothing on the page to be stale (greyed
    out), then `settle_ms` for drawing. The app can still report idle just after the action."""
    page.wait_for_timeout(300)
    wait_idle(page, settle_ms=0)
    page.wait_for_function("() => !document.querySelector(\"[data-stale='true']\")", timeout=60_000)
    page.wait_for_timeout(settle_ms)


def open_site(page, url: str, heading: str | None = None) -> None:
    """Go to `url`, wait for its first run to end (and for `heading`, if given); no exception shown."""
    page.goto(url)
    wait_idle(page)
    if heading:
        page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
        wait_idle(page)
    assert page.locator(EXCEPTION).count() == 0, url


def map_path(box: dict, n: int) -> list[tuple[float, float]]:
    """n points on a diagonal across a latent map's plot area (inside its axes' margins)."""
    steps = [0.08 + 0.84 * i / (n - 1) for i in range(n)]
    return [(box["x"] + 50 + (box["width"] - 60) * a, box["y"] + 12 + (box["height"] - 52) * (1 - a)) for a in steps]


def canvas(page, scope=None):
    """The drawing surface of the (only visible) drawing pad (vae_site/drawing.py)."""
    found = (scope or page).locator("canvas.dp-canvas")
    found.first.wait_for(state="visible", timeout=30_000)
    found.first.scroll_into_view_if_needed()  # the pointer only reaches what the viewport shows
    return found.first


def mouse_strokes(page, surface, strokes) -> float:
    """Draw `strokes` (lists of points as fractions of the box) with the mouse; returns the last mouse-up's time."""
    surface.scroll_into_view_if_needed()
    box = surface.bounding_box()
    for stroke in strokes:
        (x, y), rest = stroke[0], stroke[1:]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12)
        page.mouse.up()
        released = time.monotonic()
        page.wait_for_timeout(150)
    return released


def digit_png(path: Path, digit: int, seed: int) -> Path:
    """A black digit on white, 280x280, drawn with PIL's font at a random size, place and slant."""
    import random

    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(seed)
    image = Image.new("L", (280, 280), 255)
    font = ImageFont.load_default(size=rng.randint(150, 210))
    ImageDraw.Draw(image).text(
        (rng.randint(60, 100), rng.randint(0, 40)),
        str(digit),
        font=font,
        fill=0,
        stroke_width=rng.randint(4, 10),
        stroke_fill=0,
    )
    image.rotate(rng.uniform(-12, 12), fillcolor=255).save(path)
    return path


def skip_prompts(page) -> int:
    """Choose "Skip: just show me" in every predict-then-check prompt (vae_site.teach) that waits for a
    choice and is in view (not in a closed tab or expander), one after the other (each choice reruns
    the page), so that what they hold back is shown; returns how many were skipped."""
    waiting = page.locator("[class*='st-key-prompt_']:not(:has(input:checked))").filter(visible=True)
    skipped = 0
    while waiting.count() and skipped < 20:
        waiting.first.locator("[role='radiogroup'] label").last.click()
        wait_rerun(page)
        skipped += 1
    return skipped


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (every rule axe runs by default, WCAG 2.2 A and AA
    among them): [{"id", "impact", "help", "nodes": [{"target", "html", "failureSummary"}]}]."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    assert page.evaluate("() => axe.version") == AXE_VERSION
    return page.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ["violations"]});
          return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 200),
                                      failureSummary: n.failureSummary}))}));
        }"""
    )
