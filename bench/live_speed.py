"""Live speed in a real browser: hover decode on the 2-D latent maps, and a drawn stroke to its reconstruction.

    nice .venv/bin/python bench/live_speed.py [--models DIR] [--moves 60] [--strokes 20] [--write]

Serves the site with `streamlit run` on 127.0.0.1 (script runs logged by `common.serve_timed`)
and drives Debian's headless Chromium at 1280 px (see ../shared/BROWSER.md). Two measurements,
each against its target:

1. Hover decode (target <= 50 ms, 0 script runs): the pointer crosses each latent map (Sampling;
   AE vs VAE: the VAE's, the AE's and the β map) in `--moves` pointer moves. For every move the map
   decodes in the browser; the time from the pointer event to the animation frame that shows its
   digit is the map's own record (`window.__latentMapStats.painted`, see
   vae_site/components/latent_map.js). Script runs during the hover come from the server's run
   log, websocket frames (either way) from Playwright.
2. A drawing stroke (target <= 300 ms server p95): on the Reconstruction page's pad, one warm-up
   stroke and then `--strokes` mouse strokes; each reruns the page (reconstruction, posterior,
   the map's ellipse). Twice: as the page opens, and with its toggle that fits q(z|x) to the
   digit on (opened from its share link, `?fit=True`). Server: the script runs the stroke caused,
   from the run log. Browser: from the mouse-up event to the app's script state back to
   `notRunning`, in the page's clock.
"""

import random
import statistics
import tempfile
import time
from pathlib import Path

import common
from common import fmt, table, verdict
from playwright.sync_api import sync_playwright

from tests.browser import LAPTOP, canvas, map_path, mouse_strokes

# (page, index of its map among the page's `svg.lm-svg`, what it shows)
MAPS = [
    ("sampling", 0, "Sampling: 2-D VAE"),
    ("ae_vs_vae", 0, "AE vs VAE: 2-D VAE"),
    ("ae_vs_vae", 1, "AE vs VAE: 2-D AE"),
    ("ae_vs_vae", 2, "AE vs VAE: β map (default β)"),
]
# The map's own box (its `div.lm`), around its svg.
MAP_ROOT = "xpath=ancestor::div[contains(concat(' ', @class, ' '), ' lm ')][1]"
# Page-clock ms from the armed event to the first 'running' state after it (the rerun's start, as seen).
TO_RUNNING_JS = "() => { const b = window.__bench; const r = b.changes.find(([t, s]) => t >= b.t0 && s === 'running');"
TO_RUNNING_JS += " return r ? r[0] - b.t0 : null; }"
FIT = "?fit=True"  # the Reconstruction page's link with its fitting of q(z|x) on
CLEAR_STATS_JS = "() => { const s = window.__latentMapStats; s.painted.length = s.compute.length = 0; s.decodes = 0; }"


def open_page(context, port: int, name: str, timeout_ms: int):
    """A new page on /name, its first run over; returns it and its list of websocket frames."""
    page, frames = common.recorded_page(context), []
    page.on(
        "websocket",
        lambda ws: (ws.on("framesent", lambda f: frames.append(f)), ws.on("framereceived", lambda f: frames.append(f))),
    )
    common.open_page(page, f"http://127.0.0.1:{port}/{name}", timeout_ms)
    common.wait_idle(page, timeout=timeout_ms, settle_ms=1000)
    return page, frames


def ready_map(page, index: int, timeout_ms: int):
    """The index-th latent map, scrolled into view, its decoder loaded and every message in."""
    svg = page.locator("svg.lm-svg").nth(index)
    svg.wait_for(state="visible", timeout=timeout_ms)
    svg.scroll_into_view_if_needed()
    page.wait_for_function("() => window.__vaeDecoders && window.__vaeDecoders.size > 0", timeout=timeout_ms)
    page.evaluate("() => Promise.all([...window.__vaeDecoders.values()])")
    common.wait_idle(page, timeout=timeout_ms, settle_ms=1500)
    return svg


def hover(page, svg, frames: list, run_log: Path, moves: int) -> dict:
    """Cross the map in `moves` pointer moves; the map's latencies, script runs and frames meanwhile."""
    page.evaluate(CLEAR_STATS_JS)
    before, since = len(frames), time.time()
    if not before:
        raise RuntimeError("no websocket frame seen since the page loaded: the frame counter does not work")
    digits, shown = set(), svg.locator(MAP_ROOT).locator("canvas.lm-digit")
    for i, (x, y) in enumerate(map_path(svg.bounding_box(), moves)):
        page.mouse.move(x, y)
        if i % 6 == 0:
            digits.add(shown.get_attribute("data-z"))
    page.wait_for_timeout(500)
    stats = page.evaluate("() => window.__latentMapStats")
    runs = common.read_runs(run_log, since=since, until=time.time())
    page.mouse.move(1, 1)  # off the map before the next one
    return {
        "painted": stats["painted"],
        "compute": stats["compute"],
        "decodes": stats["decodes"],
        "runs": len(runs),
        "frames": len(frames) - before,
        "distinct": len(digits),
    }


def hovers(browser, port: int, run_log: Path, args) -> list[tuple[str, dict]]:
    """Every map of MAPS hovered, one page per page name."""
    context = browser.new_context(viewport=LAPTOP)
    out, pages = [], {}
    for name, index, label in MAPS:
        if name not in pages:
            pages[name] = open_page(context, port, name, args.timeout * 1000)
        page, frames = pages[name]
        svg = ready_map(page, index, args.timeout * 1000)
        hover(page, svg, frames, run_log, 6)  # warm-up: the first pass compiles the decoder's code path
        out.append((label, hover(page, svg, frames, run_log, args.moves)))
        print(f"{label}: {summary(out[-1][1])}", flush=True)
    context.close()
    return out


def summary(h: dict) -> str:
    """One line about a hover."""
    p = h["painted"]
    return (
        f"{len(p)} frames, median {fmt(statistics.median(p))} ms, p95 {fmt(common.percentile(p, 95))} ms, "
        f"max {fmt(max(p))} ms; {h['runs']} script runs, {h['frames']} websocket frames"
    )


def random_strokes(n: int, seed: int = 0) -> list[list[tuple[float, float]]]:
    """n strokes of three points each, inside the pad's middle, as fractions of its side."""
    rng = random.Random(seed)
    return [[(rng.uniform(0.2, 0.8), rng.uniform(0.15, 0.85)) for _ in range(3)] for _ in range(n)]


def stroke(page, surface, points, run_log: Path, timeout_ms: int) -> tuple:
    """One timed stroke: browser ms (mouse-up to idle), server ms, the script runs it caused, fallback,
    and browser ms from mouse-up to the state 'running' (None if not seen)."""
    done = common.timed(page, "pointerup", lambda: mouse_strokes(page, surface, [points]), run_log, timeout_ms)
    to_running = page.evaluate(TO_RUNNING_JS)
    page.wait_for_timeout(300)  # the frontend draws the new images before the next stroke
    return done["browser"], done["server"], done["runs"], done["fallback"], to_running


def strokes(browser, port: int, run_log: Path, args, query: str = "") -> list[tuple]:
    """One warm-up stroke, then `--strokes` timed ones on the Reconstruction page's pad (opened with `query`)."""
    context = browser.new_context(viewport=LAPTOP)
    page, _ = open_page(context, port, "reconstruction" + query, args.timeout * 1000)
    page.get_by_role("tab", name="Draw").click()
    surface = canvas(page)
    common.wait_idle(page, settle_ms=1000)  # the pad is resized to the measured column
    lines = random_strokes(args.strokes + 1)
    stroke(page, surface, lines[0], run_log, args.timeout * 1000)
    page.get_by_role("heading", name="1. your drawing").wait_for(timeout=args.timeout * 1000)
    times = [stroke(page, canvas(page), line, run_log, args.timeout * 1000) for line in lines[1:]]
    errors = page.locator(common.ERRORS).count()
    context.close()
    if errors:
        raise RuntimeError("the Reconstruction page shows an error after the strokes")
    return times


def hover_report(results: list[tuple[str, dict]], moves: int) -> str:
    """The hover table."""
    rows = []
    for label, h in results:
        p = h["painted"]
        ok = verdict(statistics.median(p), 50) if h["runs"] == 0 else "**MISSED** (script ran)"
        rows.append(
            [label, len(p), h["decodes"], h["distinct"], fmt(statistics.median(p)), fmt(common.percentile(p, 95))]
            + [fmt(max(p)), fmt(statistics.median(h["compute"])), h["runs"], h["frames"], ok]
        )
    return (
        f"### Hover decode on the 2-D latent maps (target ≤ 50 ms, 0 script runs; {moves} pointer moves per map)\n\n"
        "**event → frame**: from the `pointermove` event's timestamp to the `requestAnimationFrame` callback "
        "after the map drew the digit (the map's own record, in the page's clock). **decode**: the forward pass "
        "in the browser plus drawing the 28×28 image. **digits seen**: distinct codes shown, sampled every 6th "
        "move. Script runs from the server's run log, websocket frames (sent and received) from Playwright, "
        "both over the whole hover. The verdict is on the median (the tail depends on the shared cores).\n\n"
        + table(
            ["map", "frames", "decodes", "digits seen", "event → frame p50 (ms)", "p95 (ms)", "max (ms)"]
            + ["decode p50 (ms)", "script runs", "websocket frames", "verdict"],
            rows,
        )
    )


def stroke_row(label: str, times: list[tuple]) -> list:
    """One row of the stroke table."""
    b, s = [t[0] for t in times], [t[1] for t in times]
    p95 = common.percentile(s, 95)
    starts = [t[4] for t in times if t[4] is not None]
    row = [label, len(times), fmt(common.percentile(s, 50)), fmt(p95), fmt(max(s))]
    row += [fmt(common.percentile(b, 50)), fmt(common.percentile(b, 95)), fmt(common.percentile(starts, 50))]
    return row + [collections_line([t[2] for t in times]), verdict(p95, 300)]


def stroke_report(by_label: dict[str, list[tuple]]) -> str:
    """The stroke table: a row per way the page was opened."""
    rows = [stroke_row(label, times) for label, times in by_label.items()]
    fallbacks = sum(t[3] for times in by_label.values() for t in times)
    lagged = f"\n\n{fallbacks} strokes ended without a visible 'running' state (see `common.DONE_JS`)."
    return (
        "### A drawing stroke to its reconstruction and ellipse (target ≤ 300 ms server p95)\n\n"
        "One warm-up stroke (the page switches from test digits to the drawing), then the timed ones, each "
        "three random points drawn with the mouse in 24 moves. **server**: the script run(s) the stroke caused, "
        "timed inside the streamlit process. **browser**: mouse-up to the script state back to `notRunning`, "
        "in the page's clock; **mouse-up → running**: to the script state turning `running` (the pad's message "
        "sent, the rerun requested and begun, as the page sees it).\n\n"
        + table(
            ["interaction", "n", "server p50 (ms)", "server p95 (ms)", "server max (ms)", "browser p50 (ms)"]
            + ["browser p95 (ms)", "mouse-up → running p50 (ms)", "runs per stroke", "verdict"],
            rows,
        )
        + (lagged if fallbacks else "")
    )


def collections_line(counts: list[int]) -> str:
    """How many strokes caused how many runs, e.g. '1 (×20)'."""
    return ", ".join(f"{k} (×{counts.count(k)})" for k in sorted(set(counts)))


def main() -> None:
    p = common.parser(__doc__, "live_speed")
    p.add_argument("--moves", type=int, default=60, help="pointer moves per map (at least 50)")
    p.add_argument("--strokes", type=int, default=20, help="timed strokes on the drawing pad")
    p.add_argument("--timeout", type=int, default=120, help="seconds any one step may take")
    args = p.parse_args()
    facts = common.machine_facts()  # the load average at the start
    run_log = Path(tempfile.mkdtemp(prefix="live_speed_")) / "runs.jsonl"
    port = common.free_port()
    server = common.start_server(port, common.server_env(args), run_log)
    try:
        with sync_playwright() as pw:
            browser = common.launch_chromium(pw)
            body = hover_report(hovers(browser, port, run_log, args), args.moves)
            drawn = {
                "draw one stroke on the Reconstruction pad": strokes(browser, port, run_log, args),
                "the same, q(z|x) fitted to the drawing (`?fit=True`)": strokes(browser, port, run_log, args, FIT),
            }
            body += "\n\n" + stroke_report(drawn)
            browser.close()
    finally:
        common.stop(server)
    common.finish("live_speed", args, body, facts)


if __name__ == "__main__":
    main()
