"""Load test: concurrent browser sessions against one `streamlit run`, for a bounded time.

    python bench/load_test.py [--users 20] [--seconds 120] [--models DIR] [--write]

Starts the site on 127.0.0.1, opens every page once (so the models are loaded), then runs
`--users` browser contexts in ONE headless Chromium (Playwright's async API), arriving over
`--ramp` seconds, each looping until `--seconds` have passed: pause about `--think` seconds,
then open a random page from the sidebar (one step in three) or do that page's interaction (theory: type a random test digit; sampling and AE vs VAE: type a random seed;
reconstruction: upload a PNG digit drawn with PIL, or remove the last one; ELBO curves and
anomaly: pick another radio option).

An error is any of: an element `[data-testid='stException']`, an error alert
(`stAlertContentError`) other than the anomaly page's expected "Unusual for this model"
verdict, a step that times out (`--timeout`), a Playwright failure, or the server exiting.
The target is 0 errors. Reported: interactions done, errors, interaction time p50/p95 (in
the browser, from the DOM event to the app's script state back to `notRunning`; includes
the websocket round trips and Chromium's own share of the 2 CPU cores), the script-run time
inside the server under load, the server's RSS before, at its peak and after, and the CPU
time the server, the browser (Chromium and Playwright's driver) and the whole machine used:
on a 2-core machine the 20 browser pages compete with the server for the same cores.
"""

import argparse
import asyncio
import os
import random
import tempfile
import time
from pathlib import Path

from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright

import common
from common import fmt, table, verdict

EXPECTED_ERRORS = ("Unusual for this model",)
NUMBER_FIELD = {"": 0, "sampling": 0, "ae_vs_vae": 0}  # which number input a page's interaction types into
NUMBER_RANGE = {"": 999, "sampling": 2**31 - 1, "ae_vs_vae": 2**31 - 1}
# What a timed-out step saw: whether its event fired, and the script states and messages since.
STATE_JS = """() => { const b = window.__bench; const app = document.querySelector("[data-testid='stApp']");
  const since = b.t0 === null ? [] : b.changes.filter(([t]) => t >= b.t0).map(([, s]) => s);
  return JSON.stringify({event_seen: b.t0 !== null, states_since: since,
    messages_since: b.t0 === null ? 0 : b.messages.filter(t => t >= b.t0).length,
    state_now: app && app.getAttribute('data-test-script-state'),
    number_fields: [...document.querySelectorAll("[data-testid='stNumberInputField']")].map(e => e.value)}); }"""


class User:
    """One visitor: a browser context with one page, and its tally."""

    def __init__(self, number: int, context, args, pngs: list[Path]):
        self.number, self.context, self.args, self.pngs = number, context, args, pngs
        self.last_png = None  # the file input ignores the same file set again: no rerun to wait for
        self.rng = random.Random(number)
        self.times: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.fallbacks = 0  # interactions whose end was read from the websocket (see common.DONE_JS)
        self.first_loads: list[float] = []  # ms from goto to the first run's end, a new session each
        self.current = ""
        self.page = None

    async def start(self, port: int) -> None:
        """Open a random page by URL."""
        self.page = await self.context.new_page()
        await self.page.add_init_script("(" + common.RECORDER_JS + ")()")
        self.current = self.rng.choice(common.PAGES)
        start = time.monotonic()
        await self.page.goto(f"http://127.0.0.1:{port}/{self.current}", timeout=self.args.timeout * 1000,
                             wait_until="commit")
        await self.page.wait_for_function(common.FIRST_RUN_DONE_JS, timeout=self.args.timeout * 1000, polling=100)
        self.first_loads.append((time.monotonic() - start) * 1000)
        await self.check("first load")

    async def timed(self, label: str, kind: str, action) -> None:
        """Run `action` (which fires one `kind` event), wait for the rerun to end, record the time."""
        await self.page.evaluate(common.ARM_JS, kind)
        await action()
        try:
            handle = await self.page.wait_for_function(common.DONE_JS, timeout=self.args.timeout * 1000, polling=100)
        except PlaywrightTimeout as err:  # say what the page saw, to tell "no rerun came" from "a rerun hung"
            first_line = (str(err).splitlines() or [""])[0]
            raise PlaywrightTimeout(f"{first_line} Page then: {await self.page.evaluate(STATE_JS)}") from None
        done = await handle.json_value()
        self.times.setdefault(label, []).append(done["ms"])
        self.fallbacks += done["fallback"]
        await self.check(label)

    async def check(self, label: str) -> None:
        """Record an exception or an unexpected error alert on the page."""
        for element in await self.page.locator(common.ERRORS).all():
            text = (await element.inner_text()).strip()
            if not any(e in text for e in EXPECTED_ERRORS):
                self.errors.append(f"user {self.number}, {label}: {text[:200]}")

    async def switch_page(self) -> None:
        """Open another page, chosen at random, from the sidebar."""
        target = self.rng.choice([p for p in common.PAGES if p != self.current])
        link = self.page.locator(f"[data-testid='stSidebarNavLink'][href$='/{target}']").first
        await self.timed(f"open {target or 'theory'}", "click", link.click)
        self.current = target

    async def step(self) -> None:
        """One random action: a page switch (one time in three) or the current page's interaction."""
        page, name = self.page, self.current
        if self.rng.random() < 1 / 3:
            await self.switch_page()
        elif name in NUMBER_FIELD:
            field = page.locator("[data-testid='stNumberInputField']").nth(NUMBER_FIELD[name])
            old = await field.input_value()
            value = next(v for v in iter(lambda: str(self.rng.randint(0, NUMBER_RANGE[name])), None) if v != old)
            await field.fill(value)
            await self.timed(f"{name or 'theory'}: type a number", "keydown", lambda: field.press("Enter"))
        elif name in ("elbo_curves", "anomaly"):
            options = page.locator("[data-testid='stRadioOption']")
            choices = [i for i in range(await options.count()) if not await options.nth(i).locator("input").is_checked()]
            if not choices:  # the radio is not on screen: the page stopped early, and `check` has said why
                await self.switch_page()
                return
            await self.timed(f"{name}: radio", "click", options.nth(self.rng.choice(choices)).click)
        elif name == "reconstruction":
            chips = page.locator("[data-testid='stFileChipDeleteBtn']")
            if await chips.count() >= 2:
                await self.timed("reconstruction: remove a file", "click", chips.first.click)
            else:
                upload = page.locator("[data-testid='stFileUploaderDropzoneInput']").first
                self.last_png = self.rng.choice([p for p in self.pngs if p != self.last_png])
                png = str(self.last_png)
                await self.timed("reconstruction: upload", "change", lambda: upload.set_input_files(png))

    async def run(self, port: int, deadline: float) -> None:
        """Loop until the deadline; a failed step is counted, and the page is reopened."""
        await asyncio.sleep(self.args.ramp * self.number / max(self.args.users, 1))
        try:
            await self.start(port)
        except Exception as err:  # noqa: BLE001 (every failure is a counted error)
            self.errors.append(f"user {self.number}, first load: {type(err).__name__}: "
                               f"{(str(err).splitlines() or [''])[0][:200]}")
            return
        while time.monotonic() < deadline:
            try:
                await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.args.think)
                await self.step()
            except Exception as err:  # noqa: BLE001
                self.errors.append(f"user {self.number}, {self.current or 'theory'}: {type(err).__name__}: "
                                   f"{(str(err).splitlines() or [''])[0][:600]}")
                if time.monotonic() < deadline:
                    try:
                        await self.page.close()
                        await self.start(port)
                    except Exception:  # noqa: BLE001
                        return


async def warm_up(browser, port: int, timeout_ms: int) -> None:
    """Open every page once, so the models and cached data are loaded before the load starts."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    for name in common.PAGES:
        await page.goto(f"http://127.0.0.1:{port}/{name}", timeout=timeout_ms)
        await page.wait_for_selector(common.IDLE, timeout=timeout_ms)
    await context.close()


async def sample_rss(pid: int, samples: list[float], stop: asyncio.Event) -> None:
    """The server's RSS every second until `stop`."""
    while not stop.is_set():
        samples.append(common.rss_mb(pid))
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except asyncio.TimeoutError:
            pass


async def load(args, env: dict) -> dict:
    """Start the server, warm up, run the users until the deadline, and gather the tallies."""
    workdir = Path(tempfile.mkdtemp(prefix="load_test_"))
    run_log = workdir / "runs.jsonl"
    pngs = [common.digit_png(workdir / f"digit{i}.png", i % 10, seed=i) for i in range(10)]
    port = common.free_port()
    server = common.start_server(port, env, run_log)
    out = {"rss_start": common.rss_mb(server.pid)}
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=common.CHROMIUM, args=common.CHROMIUM_ARGS)
            await warm_up(browser, port, args.timeout * 1000)
            out["rss_before"] = common.rss_mb(server.pid)
            contexts = [await browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(args.users)]
            for context in contexts:
                context.set_default_timeout(args.timeout * 1000)
            users = [User(i, c, args, pngs) for i, c in enumerate(contexts)]
            samples, stop = [], asyncio.Event()
            sampler = asyncio.create_task(sample_rss(server.pid, samples, stop))
            cpu_start = common.cpu_seconds(server.pid), common.machine_cpu_seconds(), common.browser_cpu_seconds(server.pid)
            start_wall, start = time.time(), time.monotonic()
            deadline = start + args.seconds
            tasks = [asyncio.create_task(u.run(port, deadline)) for u in users]
            done, pending = await asyncio.wait(tasks, timeout=args.seconds + args.timeout + 30)
            for task in pending:  # bounded: a user stuck past its own timeouts is cut off and counted
                task.cancel()
            out["elapsed"] = time.monotonic() - start
            out["server_cpu"] = common.cpu_seconds(server.pid) - cpu_start[0]
            out["machine_cpu"] = common.machine_cpu_seconds() - cpu_start[1]
            out["browser_cpu"] = common.browser_cpu_seconds(server.pid) - cpu_start[2]
            stop.set()
            await sampler
            out["crashed"] = server.poll() is not None
            out["rss_after"] = common.rss_mb(server.pid)
            out["rss_peak"] = max(samples + [out["rss_after"]])
            for c in contexts:
                await c.close()
            await browser.close()
        out["cut_off"] = len(pending)
        out["users"] = users
        out["runs"] = common.read_runs(run_log, since=start_wall)
        out["gc"] = sum(g["end"] - g["start"] for g in common.read_runs(run_log, since=start_wall, kind="gc"))
    finally:
        common.stop_server(server)
    return out


def report(args, out: dict) -> str:
    """The results as markdown."""
    users = out["users"]
    by_label: dict[str, list[float]] = {}
    for u in users:
        for label, ts in u.times.items():
            by_label.setdefault(label, []).extend(ts)
    every = [t for ts in by_label.values() for t in ts]
    errors = [e for u in users for e in u.errors] + (["the server exited"] if out["crashed"] else []) \
        + [f"{out['cut_off']} users cut off at the hard limit"] * bool(out["cut_off"])
    server_ms = [(r["end"] - r["start"]) * 1000 for r in out["runs"]]
    growth = out["rss_after"] - out["rss_before"]
    summary = table(["measure", "value"], [
        ["concurrent sessions (browser contexts in one Chromium)", args.users],
        ["time under load (s)", fmt(out["elapsed"])],
        ["interactions done", len(every)],
        ["interactions per second", fmt(len(every) / out["elapsed"])],
        ["of which ended without a visible 'running' state (end read from the websocket, see common.DONE_JS)",
         sum(u.fallbacks for u in users)],
        ["user arrival over / pause between steps (s)", f"{fmt(args.ramp)} / {fmt(args.think)} (0.5 to 1.5 times)"],
        ["CPU used over the load: server / browser / whole machine (core-seconds)",
         f"{fmt(out['server_cpu'])} / {fmt(out['browser_cpu'])} / {fmt(out['machine_cpu'])} "
         f"of {fmt(out['elapsed'] * os.cpu_count())} available"],
        [f"errors (target 0): {verdict(len(errors), 0)}", f"**{len(errors)}**"],
        ["interaction time, browser, p50 / p95 (ms)",
         f"{fmt(common.percentile(every, 50))} / {fmt(common.percentile(every, 95))}"],
        ["script runs in the server, p50 / p95 (ms)",
         f"{fmt(common.percentile(server_ms, 50))} / {fmt(common.percentile(server_ms, 95))} ({len(server_ms)} runs)"],
        ["time the server spent in full garbage collections (s; they hold the GIL, so every session waits)",
         fmt(out["gc"])],
        ["server RSS after start / after warm-up, before the load (MB)", f"{fmt(out['rss_start'])} / {fmt(out['rss_before'])}"],
        ["server RSS peak during / after the load (MB)", f"{fmt(out['rss_peak'])} / {fmt(out['rss_after'])}"],
        ["RSS growth over the load (MB)", fmt(growth)],
    ])
    rows = [[label, len(ts), fmt(common.percentile(ts, 50)), fmt(common.percentile(ts, 95)), fmt(max(ts))]
            for label, ts in sorted(by_label.items())]
    loads = [t for u in users for t in u.first_loads]
    if loads:
        rows.append(["(not an interaction) open the site by URL: a new session, frontend loaded", len(loads),
                     fmt(common.percentile(loads, 50)), fmt(common.percentile(loads, 95)), fmt(max(loads))])
    detail = table(["interaction", "n", "p50 (ms)", "p95 (ms)", "max (ms)"], rows)
    shown = "\n".join(f"- {e}" for e in errors[:20]) + (f"\n- … {len(errors) - 20} more" if len(errors) > 20 else "")
    return (f"{summary}\n\nBy interaction (browser time, all users):\n\n{detail}"
            + (f"\n\nErrors:\n\n{shown}" if errors else ""))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--models", default=str(common.ROOT / "models"), help="model directory (default: models/)")
    p.add_argument("--users", type=int, default=20, help="concurrent browser sessions")
    p.add_argument("--seconds", type=int, default=120, help="how long the load lasts")
    p.add_argument("--ramp", type=float, default=20, help="seconds over which the users arrive")
    p.add_argument("--think", type=float, default=1.0, help="mean pause between a user's steps, s (0.5 to 1.5 times it)")
    p.add_argument("--timeout", type=int, default=60, help="seconds one step may take before it counts as an error")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="extra environment for the server, e.g. to try a fix: STREAMLIT_RUNNER_POST_SCRIPT_GC=false")
    p.add_argument("--note", default="", help="a remark to put in the written section (e.g. the CPU was shared)")
    p.add_argument("--write", action="store_true", help="(re)write the load_test section of BENCHMARKS.md")
    args = p.parse_args()
    env = dict(os.environ, VAE_TF_MODELS=str(Path(args.models).resolve()), **dict(e.split("=", 1) for e in args.env))
    facts = common.machine_facts()
    out = asyncio.run(load(args, env))
    body = report(args, out)
    print(body)
    if args.write:
        extra = f" Extra server environment: `{' '.join(args.env)}`." if args.env else ""
        common.write_section("load_test" + ("-with-env" if args.env else ""), f"Models: `{args.models}`.{extra}\n\n{body}", facts, args.note)


if __name__ == "__main__":
    main()
