"""The Lab's training in a real browser: speed, time to 170 nats, silence towards the server, first view, caching.

    nice .venv/bin/python bench/lab_speed.py [--seconds 60] [--shots DIR] [--write]

Serves the site with `streamlit run` on 127.0.0.1 (script runs logged by `common.serve_timed`) and
drives Debian's headless Chromium at 1280 px (see ../shared/BROWSER.md). Against the Lab's targets:

1. First view (the site's first-visit target, <= 1 s of the page's own server time): /lab opened by
   URL on a fresh server after its home page (a visitor's usual way in; it pays the first imports);
   browser time from `goto` to its first run over and its `h1` visible, the
   server's script time from the run log, and the time until the trainer is ready (TensorFlow.js and
   the digits loaded, its backend initialised).
2. Training (targets: >= 2,000 digits/s; train -ELBO < 170 nats within 60 s of pressing play; 0 script
   runs and 0 websocket messages to the server meanwhile): Play is pressed and the trainer's own
   record (`window.__vaeLab.trainer`, vae_site/components/lab.js) read every second for `--seconds`
   s: digits seen, seconds trained, and the -ELBO curve it draws (each point the mean of the batches
   of one drawing interval, 0.4 s). The time to 170 nats is the first point from which the mean of
   three points in a row (about 1.2 s of batches) is under 170. Screenshots at 10, 30 and 60 s go to
   `--shots`.
3. Caching: the Cache-Control headers Streamlit sends for static/ files, and what a second visit (a
   new tab in the same browser profile) downloads of them.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import common
from common import fmt, table, verdict
from playwright.sync_api import sync_playwright

from tests.browser import LAPTOP, free_port, launch_chromium, stop
from vae_site import lab

STATIC = "/app/static/"
TARGET_RATE, TARGET_NATS, TARGET_SECONDS, TARGET_FIRST_VIEW = 2000, 170.0, 60, 1.0
SHOTS_AT = (10, 30, 60)
READ_JS = """() => { const t = window.__vaeLab.trainer; const h = t.history;
  return {seconds: t.seconds, seen: t.seen, steps: t.steps, backend: window.__vaeLab.backend, timing: t.timing,
          history: h.map(p => [p.t, p.neg_elbo, p.recon, p.kl])}; }"""


def watch_static(page) -> list[dict]:
    """Every static/ response of `page` (from Chromium's network events): path, status, bytes that came over
    the network (0 when the browser's cache served it), Cache-Control, and whether the cache served it."""
    cdp, seen, by_id = page.context.new_cdp_session(page), [], {}
    cdp.send("Network.enable")

    def received(event):
        response = event["response"]
        if STATIC not in response["url"]:
            return
        headers = {k.lower(): v for k, v in response["headers"].items()}
        by_id[event["requestId"]] = entry = {
            "path": response["url"].split(STATIC, 1)[1].split("?")[0],
            "status": response["status"],
            "bytes": 0,
            "cache_control": headers.get("cache-control", "none"),
            "cached": bool(response.get("fromDiskCache") or response.get("fromMemoryCache")),
        }
        seen.append(entry)

    def finished(event):
        if event["requestId"] in by_id:
            by_id[event["requestId"]]["bytes"] = int(event["encodedDataLength"])

    def from_cache(event):
        if event["requestId"] in by_id:
            by_id[event["requestId"]]["cached"] = True

    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.requestServedFromCache", from_cache)
    return seen


def first_view(context, port: int, run_log: Path, timeout_ms: int) -> tuple:
    """Open /lab after the home page (which pays the server's first imports, as in site_speed): browser
    seconds to its first run over and h1 shown, server time, seconds to the trainer ready."""
    home = common.recorded_page(context)
    common.open_page(home, f"http://127.0.0.1:{port}/", timeout_ms)
    home.close()
    page = common.recorded_page(context)
    frames = {"sent": 0}
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: frames.__setitem__("sent", frames["sent"] + 1)))
    static = watch_static(page)
    since, t0 = time.time(), time.monotonic()
    browser_s = common.open_page(page, f"http://127.0.0.1:{port}/lab", timeout_ms)
    page.wait_for_function("() => window.__vaeLab && window.__vaeLab.ready", timeout=timeout_ms)
    ready_s = time.monotonic() - t0
    common.wait_idle(page, timeout=timeout_ms, settle_ms=1000)
    server = common.server_time(run_log, since, time.time())
    return page, frames, static, {"browser": browser_s, "ready": ready_s, **server}


def train(page, frames: dict, run_log: Path, seconds: int, shots: Path | None, server_pid: int) -> dict:
    """Press play, read the trainer each second for `seconds` s of training, then pause; with the CPU
    time the browser used meanwhile and how busy the whole machine was."""
    sent, since = frames["sent"], time.time()
    cpu, machine, wall = common.browser_cpu_seconds(server_pid), common.machine_cpu_seconds(), time.monotonic()
    page.get_by_role("button", name="Play", exact=True).click()
    samples, shot = [], list(SHOTS_AT)
    while True:
        page.wait_for_timeout(1000)
        state = page.evaluate(READ_JS)
        samples.append(state)
        if shots and shot and state["seconds"] >= shot[0]:
            page.screenshot(path=str(shots / f"lab_{shot.pop(0)}s.png"), full_page=True)
        if state["seconds"] >= seconds:
            break
    page.get_by_role("button", name="Pause", exact=True).click()
    until, wall = time.time(), time.monotonic() - wall
    cpu, machine = common.browser_cpu_seconds(server_pid) - cpu, common.machine_cpu_seconds() - machine
    runs = common.read_runs(run_log, since, until)
    return {
        "samples": samples,
        "runs": len(runs),
        "frames_sent": frames["sent"] - sent,
        "browser_cpu": cpu,
        "busy": machine / (wall * os.cpu_count()),  # the machine's cores' busy share, all processes
        "load": os.getloadavg()[0],
    }


def time_to(history: list, nats: float, window: int = 3) -> float:
    """Training seconds at the first point where `window` points in a row average under `nats` (nan if never)."""
    for i in range(window - 1, len(history)):
        if statistics.fmean(p[1] for p in history[i - window + 1 : i + 1]) < nats:
            return history[i][0]
    return float("nan")


def _drawing(state: dict) -> float:
    """The share of the trainer's time spent drawing rather than stepping."""
    t = state["timing"]
    return t["draw"] / max(1e-9, t["draw"] + t["step"])


def rates(samples: list) -> tuple[float, float]:
    """Digits per second over the whole run, and over its second half (the steady rate)."""
    last, mid = samples[-1], samples[len(samples) // 2]
    overall = last["seen"] / last["seconds"]
    steady = (last["seen"] - mid["seen"]) / max(1e-9, last["seconds"] - mid["seconds"])
    return overall, steady


def at_seconds(history: list, t: float) -> list | None:
    """The curve's point nearest to `t` training seconds."""
    return min(history, key=lambda p: abs(p[0] - t)) if history else None


def repeat_visit(context, port: int, timeout_ms: int) -> list[dict]:
    """A second tab on /lab in the same profile: what it fetched of static/ again."""
    page = common.recorded_page(context)
    static = watch_static(page)
    common.open_page(page, f"http://127.0.0.1:{port}/lab", timeout_ms)
    page.wait_for_function("() => window.__vaeLab && window.__vaeLab.ready", timeout=timeout_ms)
    page.wait_for_timeout(1000)
    page.close()
    return static


def report(view: dict, run: dict, first: list, again: list, seconds: int) -> str:
    """The markdown section."""
    samples = run["samples"]
    history, backend = samples[-1]["history"], samples[-1]["backend"].upper()
    overall, steady = rates(samples)
    reach = time_to(history, TARGET_NATS)
    own = view["server"] - view["models"] - view["imports"]
    ref = lab.reference()
    rows = [
        ["first view: browser, goto → h1 shown (s)", fmt(view["browser"]), "", ""],
        [
            "first view: the page's own server time (s)",
            fmt(own),
            f"≤ {TARGET_FIRST_VIEW:g}",
            verdict(own, TARGET_FIRST_VIEW),
        ],
        ["first view: goto → trainer ready, TF.js + digits loaded (s)", fmt(view["ready"]), "", ""],
        [f"digits/s over {seconds} s ({backend})", fmt(overall), f"≥ {TARGET_RATE:,}", verdict(-overall, -TARGET_RATE)],
        [f"digits/s, second half ({backend})", fmt(steady), f"≥ {TARGET_RATE:,}", verdict(-steady, -TARGET_RATE)],
        ["training s to −ELBO < 170 (3-point mean)", fmt(reach), f"≤ {TARGET_SECONDS}", verdict(reach, TARGET_SECONDS)],
        [
            f"−ELBO after {seconds} s; vae_tf's model of the same architecture",
            f"{fmt(history[-1][1])}; {fmt(ref['neg_elbo'])}",
            "",
            "",
        ],
        [
            "digits per CPU-second of the browser (Chromium and Playwright)",
            fmt(samples[-1]["seen"] / run["browser_cpu"]),
            "",
            "",
        ],
        [
            "the machine's cores busy while training (all processes); load average at the end",
            f"{run['busy']:.0%}; {run['load']:.1f}",
            "",
            "",
        ],
        ["share of the time spent drawing (map, curves, grid)", f"{_drawing(samples[-1]):.0%}", "", ""],
        ["script runs while training", str(run["runs"]), "0", verdict(run["runs"], 0)],
        ["websocket frames sent while training", str(run["frames_sent"]), "0", verdict(run["frames_sent"], 0)],
    ]
    curve = [
        [f"{t}", *(fmt(v) for v in (at_seconds(history, t) or [0, *[float("nan")] * 3])[1:])]
        for t in (5, 10, 20, 30, 45, 60, 90, 120)
        if t <= seconds
    ]
    curve.append(
        [
            f"vae_tf's {ref['model']} ({ref['epochs']} epochs on {ref['train_images']:,} digits, "
            f"{ref['train_seconds']:.0f} s)"
        ]
        + [fmt(ref[k]) for k in ("neg_elbo", "recon", "kl")]
    )
    static_rows = [
        [
            f["path"],
            str(f["status"]),
            f"{f['bytes']:,}",
            f["cache_control"],
            next((str(g["status"]) for g in again if g["path"] == f["path"]), "not fetched"),
            next((f"{g['bytes']:,}" for g in again if g["path"] == f["path"]), "0"),
        ]
        for f in first
    ]
    return "\n\n".join(
        [
            table(["measure", "value", "target", "verdict"], rows),
            "The −ELBO curve as the trainer draws it (nats per digit, the mean of a drawing interval's batches; "
            "train digits, binarized afresh), and vae_tf's model of the same architecture on the same digits "
            "(binarized once, one z each; static/lab/reference.json):",
            table(["training s", "−ELBO", "reconstruction", "KL"], curve),
            "Static files on the first view and on a second visit (a new tab, same browser profile); bytes as "
            "sent over the wire (gzipped where Streamlit compresses). Streamlit sends them without Cache-Control "
            "and answers a conditional request (If-None-Match) with the whole file again (200, checked with curl), "
            "so the browser's HTTP cache alone would fetch them again once its heuristic freshness (a tenth of "
            "the file's age) ran out: the page keeps them in Cache Storage under addresses that carry their "
            "version (vae_site/components/lab.js, `cached`); the second visit requested "
            f"{sum(any(g['path'] == f['path'] for g in again) for f in first)} of these {len(first)} files.",
            table(["file", "status", "bytes", "Cache-Control", "second visit", "second visit: bytes"], static_rows),
        ]
    )


def _again(path: str, again: list) -> list[str]:
    """How the second visit got a file: its status (and whether the browser's cache served it), network bytes."""
    g = next((g for g in again if g["path"] == path), None)
    if g is None:
        return ["not requested", "0"]
    cached = g["cached"] or (g["status"] == 200 and g["bytes"] == 0)  # nothing came over the network
    return [f"{g['status']}" + (", from the browser's cache" if cached else ""), f"{g['bytes']:,}"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=int, default=60, help="seconds of training to record")
    p.add_argument("--shots", type=Path, help="a directory for screenshots at 10, 30 and 60 s")
    p.add_argument("--timeout", type=int, default=120, help="seconds per wait")
    p.add_argument("--note", default="", help="a note for the section (e.g. how busy the machine was)")
    p.add_argument("--write", action="store_true", help="write the section of BENCHMARKS.md")
    args = p.parse_args()
    facts = common.machine_facts()
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        run_log, port = Path(tmp) / "runs.jsonl", free_port()
        server = common.start_server(port, os.environ.copy(), run_log)
        try:
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                context = browser.new_context(viewport=LAPTOP)
                page, frames, first, view = first_view(context, port, run_log, args.timeout * 1000)
                print("first view:", view, flush=True)
                run = train(page, frames, run_log, args.seconds, args.shots, server.pid)
                again = repeat_visit(context, port, args.timeout * 1000)
                body = report(view, run, first, again, args.seconds)
                browser.close()
        finally:
            stop(server)
    print(body)
    if args.write:
        common.write_section("lab_speed", body, facts, args.note)


if __name__ == "__main__":
    main()
