"""Screenshots of every page in headless Chromium, at laptop and phone width.

    python bench/screenshots.py --out screenshots [--port 8599] [--models DIR] [--skip-prompts]

Starts `streamlit run` on 127.0.0.1, visits each page (every page of vae_site.navigation by
default), waits for the script to finish, and saves a full-page PNG. Used to look at the site as a
visitor would (see ../shared/BROWSER.md). With --skip-prompts, every predict-then-check prompt is
skipped first, so that what the prompts hold back is in the picture.
"""

import argparse
import os
from pathlib import Path

from common import ROOT, launch_chromium, skip_prompts, start_server, stop, wait_idle
from playwright.sync_api import sync_playwright

from vae_site import navigation


def shoot(page, url: str, name: str, upload: Path | None, fit: bool = False, skip: bool = False) -> None:
    """Open `url` (with the fit of q(z|x) on, from the page's link, if asked), upload on the reconstruction page
    if asked, skip every prompt if asked, then make the window the page's height.

    Streamlit scrolls inside its own container, so a window as tall as the page shows all of it.
    """
    page.set_viewport_size({"width": page.viewport_size["width"], "height": 1200})
    page.goto(url + ("&fit=True" if name == "reconstruction" and fit else ""))
    wait_idle(page, settle_ms=800)
    if name == "reconstruction" and upload:
        page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", str(upload))
        wait_idle(page, settle_ms=800)
    if skip:
        skip_prompts(page)
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": min(int(height) + 40, 16000)})
    wait_idle(page, settle_ms=800)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", type=Path, default=ROOT / "screenshots")
    p.add_argument("--port", type=int, default=8599)
    p.add_argument("--models", default=None, help="model directory (default: models/)")
    p.add_argument("--pages", nargs="*", default=navigation.url_paths(), help="URL paths ('' is the home page)")
    p.add_argument("--skip-prompts", action="store_true", help="skip every prompt, to show what it holds back")
    p.add_argument("--height", type=int, default=1200, help="first window height; then the page's own height")
    p.add_argument("--langs", nargs="*", default=["en", "ko"], help="languages to visit each page in")
    p.add_argument("--upload", type=Path, default=None, help="an image to upload on the reconstruction page")
    p.add_argument("--fit", action="store_true", help="turn on the reconstruction page's fitting of q(z|x)")
    args = p.parse_args()
    env = dict(os.environ, **({"VAE_TF_MODELS": args.models} if args.models else {}))
    args.out.mkdir(parents=True, exist_ok=True)
    server = start_server(args.port, env)
    try:
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            for width, suffix in ((1280, "laptop"), (390, "phone")):
                page = browser.new_page(viewport={"width": width, "height": args.height})
                for name in args.pages:
                    for lang in args.langs:
                        url = f"http://127.0.0.1:{args.port}/{name}?lang={lang}"
                        shoot(page, url, name, args.upload, args.fit, args.skip_prompts)
                        page.screenshot(path=str(args.out / f"{name or 'theory'}-{suffix}-{lang}.png"), full_page=False)
                        print("saved", name or "theory", suffix, lang, flush=True)
                page.close()
            browser.close()
    finally:
        stop(server)


if __name__ == "__main__":
    main()
