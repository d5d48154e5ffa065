"""Screenshots of every page in headless Chromium, at laptop and phone width.

    python bench/screenshots.py --out screenshots [--port 8599] [--models DIR]

Starts `streamlit run` on 127.0.0.1, visits each page, waits for the script to finish, and
saves a full-page PNG. Used to look at the site as a visitor would (see ../shared/BROWSER.md).
"""

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["", "sampling", "reconstruction", "ae_vs_vae", "elbo_curves", "anomaly"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def start_server(port: int, env: dict) -> subprocess.Popen:
    """`streamlit run` on 127.0.0.1:port; returns once /_stcore/health answers ok."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def wait_idle(page, timeout=120_000) -> None:
    """Wait until the app has finished running its script."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
    page.wait_for_timeout(800)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", type=Path, default=ROOT / "screenshots")
    p.add_argument("--port", type=int, default=8599)
    p.add_argument("--models", default=None, help="model directory (default: models/)")
    p.add_argument("--pages", nargs="*", default=PAGES)
    p.add_argument("--height", type=int, default=4200, help="window height: the whole page must fit")
    p.add_argument("--upload", type=Path, default=None, help="an image to upload on the reconstruction page")
    args = p.parse_args()
    env = dict(os.environ, **({"VAE_TF_MODELS": args.models} if args.models else {}))
    args.out.mkdir(parents=True, exist_ok=True)
    server = start_server(args.port, env)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            # Streamlit scrolls inside its own container, so a tall window shows the whole page.
            for width, suffix in ((1280, "laptop"), (390, "phone")):
                page = browser.new_page(viewport={"width": width, "height": args.height})
                for name in args.pages:
                    page.goto(f"http://127.0.0.1:{args.port}/{name}")
                    wait_idle(page)
                    if name == "reconstruction" and args.upload:
                        page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", str(args.upload))
                        wait_idle(page)
                    page.screenshot(path=str(args.out / f"{name or 'theory'}-{suffix}.png"), full_page=False)
                    print("saved", name or "theory", suffix, flush=True)
                page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
