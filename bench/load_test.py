"""Load test: concurrent browser sessions against one `streamlit run`, or N behind HAProxy, for a bounded time.

    python bench/load_test.py [--users 20] [--seconds 120] [--models DIR] [--replicas 1 [2 ...]] [--write]

Starts the site on 127.0.0.1 (with `--replicas N`, N > 1: N `streamlit run` processes behind
HAProxy with cookie affinity, scripts/serve_replicas.py; several values run one load each, in
turn, and put them side by side), opens every page once on each replica (so the models are
loaded), then runs
`--users` browser contexts in ONE headless Chromium (Playwright's async API), arriving over
`--ramp` seconds, each looping until `--seconds` have passed: pause about `--think` seconds,
then open a random page from the sidebar (one step in three) or do that page's interaction
(theory: type a random test digit; sampling and AE vs VAE: type a random seed;
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
With replicas it also reports how the users (by their affinity cookie) and their Streamlit
sessions (by each replica's run log) spread over the replicas, and each replica's RSS.
"""

import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import common
from common import fmt, table, verdict
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright

sys.path.insert(0, str(common.ROOT / "scripts"))
import serve_replicas  # noqa: E402  (N replicas behind HAProxy, for --replicas N)

EXPECTED_ERRORS = ("Unusual for this model",)
NUMBER_RANGE = {"": 999, "sampling": 2**31 - 1, "ae_vs_vae": 2**31 - 1}  # pages that take a typed number (the first)
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
        self.replica = None  # the replica its affinity cookie names (one server, no cookie: r1)

    async def start(self, port: int) -> None:
        """Open a page by URL: the users' first pages go round the site (so some start where they
        upload, even in a short load), a reopened page is a random one."""
        first = self.page is None
        self.page = await self.context.new_page()
        await self.page.add_init_script("(" + common.RECORDER_JS + ")()")
        self.current = common.PAGES[self.number % len(common.PAGES)] if first else self.rng.choice(common.PAGES)
        start = time.monotonic()
        await self.page.goto(
            f"http://127.0.0.1:{port}/{self.current}", timeout=self.args.timeout * 1000, wait_until="commit"
        )
        cookies = {c["name"]: c["value"] for c in await self.context.cookies()}  # set by the first response
        self.replica = cookies.get("SERVERID", "r1")
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
            seen = await self.page.evaluate(STATE_JS)
            raise PlaywrightTimeout(f"{common.first_line(err, None)} Page then: {seen}") from None
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
        link = self.page.locator(common.nav_link(target)).first
        await self.timed(f"open {common.title(target)}", "click", link.click)
        self.current = target

    async def step(self) -> None:
        """One random action: a page switch (one time in three) or the current page's interaction."""
        page, name = self.page, self.current
        if self.rng.random() < 1 / 3:
            await self.switch_page()
        elif name in NUMBER_RANGE:
            field = page.locator("[data-testid='stNumberInputField']").first
            old = await field.input_value()
            value = next(v for v in iter(lambda: str(self.rng.randint(0, NUMBER_RANGE[name])), None) if v != old)
            await field.fill(value)
            await self.timed(f"{common.title(name)}: type a number", "keydown", lambda: field.press("Enter"))
        elif name in ("elbo_curves", "anomaly"):
            options = page.locator("[data-testid='stRadioOption']")
            count = await options.count()
            choices = [i for i in range(count) if not await options.nth(i).locator("input").is_checked()]
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
            self.errors.append(f"user {self.number}, first load: {type(err).__name__}: {common.first_line(err, 200)}")
            return
        while time.monotonic() < deadline:
            try:
                await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.args.think)
                await self.step()
            except Exception as err:  # noqa: BLE001
                where = f"user {self.number}, {common.title(self.current)}"
                self.errors.append(f"{where}: {type(err).__name__}: {common.first_line(err, 600)}")
                if time.monotonic() < deadline:
                    try:
                        await self.page.close()
                        await self.start(port)
                    except Exception:  # noqa: BLE001
                        return


class Site:
    """The server(s) under load: one `streamlit run` as before (n = 1), or n replicas behind HAProxy.

    Either way each replica, named r1..rn as its affinity cookie names it, logs its script runs
    to its own file (common.serve_timed), and `port` is where the visitors go.
    """

    def __init__(self, n: int, env: dict, workdir: Path):
        """Args:
        n: 1 for one process on its own, more for scripts/serve_replicas.py's set-up.
        env: the servers' environment.
        workdir: where the run logs (and HAProxy's files) go.
        """
        self.balancer = None
        if n == 1:
            self.port = common.free_port()
            ports, procs = [self.port], [common.start_server(self.port, env, workdir / f"runs-{self.port}.jsonl")]
        else:
            launch = lambda port, replica_env: common.launch_server(port, replica_env, workdir / f"runs-{port}.jsonl")
            self.balancer = serve_replicas.Replicas(n, env=env, launch=launch, workdir=workdir)
            self.balancer.start()
            self.port, ports, procs = self.balancer.port, self.balancer.replica_ports, self.balancer.processes
        names = [f"r{i}" for i in range(1, n + 1)]
        self.ports, self.procs = dict(zip(names, ports, strict=True)), dict(zip(names, procs, strict=True))
        self.run_logs = {name: workdir / f"runs-{port}.jsonl" for name, port in self.ports.items()}

    def pids(self) -> list[int]:
        """Every server process: the replicas and, if any, HAProxy."""
        return [p.pid for p in self.procs.values()] + ([self.balancer.haproxy.pid] if self.balancer else [])

    def rss(self) -> dict[str, float]:
        """Each replica's RSS now, in MB."""
        return {name: common.rss_mb(proc.pid) for name, proc in self.procs.items()}

    def crashed(self) -> list[str]:
        """The servers that have exited."""
        procs = {**self.procs, **({"haproxy": self.balancer.haproxy} if self.balancer else {})}
        return [name for name, proc in procs.items() if proc.poll() is not None]

    def stop(self) -> None:
        """Stop every process started for this site."""
        if self.balancer:
            self.balancer.stop()
        else:
            common.stop(self.procs["r1"])


async def warm_up(browser, port: int, timeout_ms: int) -> None:
    """Open every page once, so the models and cached data are loaded before the load starts."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    for name in common.PAGES:
        await page.goto(f"http://127.0.0.1:{port}/{name}", timeout=timeout_ms)
        await page.wait_for_selector(common.IDLE, timeout=timeout_ms)
    await context.close()


async def sample_rss(site: Site, samples: list[dict], stop: asyncio.Event) -> None:
    """Every replica's RSS every second until `stop`."""
    while not stop.is_set():
        samples.append(site.rss())
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass


def cpu_now(site: Site) -> tuple[float, float, float]:
    """CPU core-seconds so far: the servers (replicas and HAProxy), the whole machine, the browser."""
    servers = sum(common.cpu_seconds(pid) for pid in site.pids())
    return servers, common.machine_cpu_seconds(), common.browser_cpu_seconds(site.pids())


async def run_users(args, browser, site: Site, pngs: list[Path]) -> dict:
    """The users' loop until the deadline (cut off at a hard limit), with the CPU and RSS it took."""
    contexts = [await browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(args.users)]
    for context in contexts:
        context.set_default_timeout(args.timeout * 1000)
    users = [User(i, c, args, pngs) for i, c in enumerate(contexts)]
    samples, stop = [], asyncio.Event()
    sampler = asyncio.create_task(sample_rss(site, samples, stop))
    cpu_start, start_wall, start = cpu_now(site), time.time(), time.monotonic()
    tasks = [asyncio.create_task(u.run(site.port, start + args.seconds)) for u in users]
    done, pending = await asyncio.wait(tasks, timeout=args.seconds + args.timeout + 30)
    for task in pending:  # bounded: a user stuck past its own timeouts is cut off and counted
        task.cancel()
    out = {"elapsed": time.monotonic() - start, "start_wall": start_wall, "users": users, "cut_off": len(pending)}
    deltas = [b - a for a, b in zip(cpu_start, cpu_now(site), strict=True)]
    out.update(zip(("server_cpu", "machine_cpu", "browser_cpu"), deltas, strict=True))  # cpu_now's order
    stop.set()
    await sampler
    out["crashed"], out["rss_after"] = site.crashed(), site.rss()
    out["rss_peak"] = {name: max([s[name] for s in samples] + [out["rss_after"][name]]) for name in site.procs}
    for c in contexts:
        await c.close()
    return out


def server_side(site: Site, since: float) -> dict:
    """Each replica's script runs and full garbage collections since `since`, from its run log."""
    runs = {name: common.read_runs(log, since=since) for name, log in site.run_logs.items()}
    gcs = [g for log in site.run_logs.values() for g in common.read_runs(log, since=since, kind="gc")]
    return {
        "runs_by_replica": runs,
        "runs": [r for rs in runs.values() for r in rs],
        "gc": sum(g["end"] - g["start"] for g in gcs),
        "balancer": balancer_tally(site),
    }


def balancer_tally(site: Site) -> dict:
    """From HAProxy's log (only the load goes through it: the warm-up went to each replica directly):
    requests, those it answered with an error or could not send to a replica, and those sent to
    another replica than their cookie named."""
    requests = site.balancer.requests() if site.balancer else []
    failed = [r for r in requests if r["status"].startswith("5") or r["status"] == "-1" or r["replica"] == "<NOSRV>"]
    off = [r for r in requests if r["cookie_sent"] not in ("-", f"SERVERID={r['replica']}")]
    return {"requests": len(requests), "failed": failed, "off_affinity": len(off)}


async def load(args, env: dict, replicas: int) -> dict:
    """Start the server(s), warm up every replica, run the users until the deadline, gather the tallies."""
    workdir = Path(tempfile.mkdtemp(prefix="load_test_"))
    pngs = common.digit_pngs(workdir)
    site = Site(replicas, env, workdir)
    try:
        out = {"replicas": replicas, "rss_start": site.rss()}
        async with async_playwright() as pw:
            browser = await common.launch_chromium(pw)
            for port in site.ports.values():  # each replica directly: a cold one would skew the spread
                await warm_up(browser, port, args.timeout * 1000)
            out["rss_before"] = site.rss()
            out.update(await run_users(args, browser, site, pngs))
            await browser.close()
        out.update(server_side(site, out["start_wall"]))
    finally:
        site.stop()
    return out


def by_label(out: dict) -> dict[str, list[float]]:
    """Browser time per interaction label, over all users."""
    times: dict[str, list[float]] = {}
    for u in out["users"]:
        for label, ts in u.times.items():
            times.setdefault(label, []).extend(ts)
    return times


def every_time(out: dict) -> list[float]:
    """Browser time of every interaction, over all users."""
    return [t for ts in by_label(out).values() for t in ts]


def first_loads(out: dict) -> list[float]:
    """Every user's first loads (ms), a new session each."""
    return [t for u in out["users"] for t in u.first_loads]


def errors_of(out: dict) -> list[str]:
    """Every error: the users', servers that exited, users cut off at the hard limit."""
    balancer = [
        f"HAProxy answered {r['status']} to {r['method']} {r['path']} (replica {r['replica']})"
        for r in out["balancer"]["failed"]
    ]
    return (
        [e for u in out["users"] for e in u.errors]
        + [f"{name} exited" for name in out["crashed"]]
        + [f"{out['cut_off']} users cut off at the hard limit"] * bool(out["cut_off"])
        + balancer
    )


def p50_p95(values: list[float]) -> str:
    """'p50 / p95' of values."""
    return f"{fmt(common.percentile(values, 50))} / {fmt(common.percentile(values, 95))}"


def per_replica(values: dict[str, float]) -> str:
    """One number per replica: '828' for one, 'r1 828, r2 830' for several."""
    if len(values) == 1:
        return fmt(next(iter(values.values())))
    return ", ".join(f"{name} {fmt(v)}" for name, v in values.items())


def server_ms(runs: list[dict]) -> list[float]:
    """Script-run durations in ms."""
    return [(r["end"] - r["start"]) * 1000 for r in runs]


def cpu_split(out: dict) -> tuple[str, str]:
    """Core-seconds of the servers / the browser, and what is left of the machine's."""
    other = out["machine_cpu"] - out["server_cpu"] - out["browser_cpu"]
    return f"{fmt(out['server_cpu'])} / {fmt(out['browser_cpu'])}", fmt(other)


def users_per_replica(out: dict) -> dict[str, int]:
    """How many users each replica's affinity cookie pinned."""
    return {name: sum(u.replica == name for u in out["users"]) for name in out["runs_by_replica"]}


SUMMARY_CPU = (
    "CPU used over the load: servers / browser / whole machine (core-seconds; the rest of the machine's "
    "share is other processes, not this benchmark)"
)
SUMMARY_FALLBACKS = "of which ended without a visible 'running' state (end read from the websocket, see common.DONE_JS)"
SUMMARY_GC = (
    "time the servers spent in full garbage collections (s; they hold the GIL, so every session of that replica waits)"
)


def summary(args, out: dict) -> str:
    """The headline figures of one load, as a markdown table."""
    every, errors, runs = every_time(out), errors_of(out), server_ms(out["runs"])
    growth = {name: out["rss_after"][name] - out["rss_before"][name] for name in out["rss_after"]}
    (servers_browser, other), available = cpu_split(out), fmt(out["elapsed"] * os.cpu_count())
    rss = {key: per_replica(out[f"rss_{key}"]) for key in ("start", "before", "peak", "after")}
    rows = [
        ["replicas (`streamlit run` processes; more than 1: behind HAProxy, cookie affinity)", out["replicas"]],
        ["concurrent sessions (browser contexts in one Chromium)", args.users],
        ["time under load (s)", fmt(out["elapsed"])],
        ["interactions done", len(every)],
        ["interactions per second", fmt(len(every) / out["elapsed"])],
        [SUMMARY_FALLBACKS, sum(u.fallbacks for u in out["users"])],
        ["user arrival over / pause between steps (s)", f"{fmt(args.ramp)} / {fmt(args.think)} (0.5 to 1.5 times)"],
        [
            SUMMARY_CPU,
            f"{servers_browser} / {fmt(out['machine_cpu'])} of {available} available (other processes: {other})",
        ],
        [f"errors (target 0): {verdict(len(errors), 0)}", f"**{len(errors)}**"],
        ["interaction time, browser, p50 / p95 (ms)", p50_p95(every)],
        ["script runs in the server(s), p50 / p95 (ms)", f"{p50_p95(runs)} ({len(runs)} runs)"],
        [SUMMARY_GC, fmt(out["gc"])],
        ["RSS per replica after start / after warm-up, before the load (MB)", f"{rss['start']} / {rss['before']}"],
        ["RSS per replica, peak during / after the load (MB)", f"{rss['peak']} / {rss['after']}"],
        ["RSS growth per replica over the load (MB)", per_replica(growth)],
    ]
    return table(["measure", "value"], rows)


SPREAD_HEADER = ["replica", "users pinned (cookie)", "Streamlit sessions", "script runs", "script run p50 / p95 (ms)"]
SPREAD_HEADER += ["RSS after warm-up / peak / after (MB)"]


def spread(out: dict) -> str:
    """How the users and their Streamlit sessions spread over the replicas, with each one's server time."""
    rows, users = [], users_per_replica(out)
    for name, runs in out["runs_by_replica"].items():
        rss = " / ".join(fmt(out[key][name]) for key in ("rss_before", "rss_peak", "rss_after"))
        rows.append([name, users[name], len({r["session"] for r in runs}), len(runs), p50_p95(server_ms(runs)), rss])
    tally, through = out["balancer"], ""
    if tally["requests"]:
        through = (
            f"\n\nThrough HAProxy: {tally['requests']} requests, {len(tally['failed'])} answered with an error, "
            f"{tally['off_affinity']} sent to another replica than their cookie named."
        )
    return table(SPREAD_HEADER, rows) + through


def interactions(out: dict) -> str:
    """Browser time per interaction, and the first loads, as a markdown table."""

    def row(label: str, ts: list[float]) -> list:
        return [label, len(ts), fmt(common.percentile(ts, 50)), fmt(common.percentile(ts, 95)), fmt(max(ts))]

    rows = [row(label, ts) for label, ts in sorted(by_label(out).items())]
    if first_loads(out):
        rows.append(row("(not an interaction) open the site by URL: a new session, frontend loaded", first_loads(out)))
    return table(["interaction", "n", "p50 (ms)", "p95 (ms)", "max (ms)"], rows)


def report(args, out: dict) -> str:
    """One load's results as markdown: the summary, the spread over replicas, every interaction, the errors."""
    errors = errors_of(out)
    shown = "\n".join(f"- {e}" for e in errors[:20]) + (f"\n- … {len(errors) - 20} more" if len(errors) > 20 else "")
    return (
        f"{summary(args, out)}\n\nSpread over the replicas (sessions: distinct Streamlit sessions that ran "
        f"a script during the load, from each replica's run log):\n\n{spread(out)}\n\n"
        f"By interaction (browser time, all users):\n\n{interactions(out)}"
        + (f"\n\nErrors:\n\n{shown}" if errors else "")
    )


COMPARED = [  # (measure, its value for one load)
    ("errors", lambda o: f"**{len(errors_of(o))}**"),
    ("interactions done", lambda o: len(every_time(o))),
    ("of which uploads", lambda o: len(by_label(o).get("reconstruction: upload", []))),
    ("script run in the server, p50 / p95 (ms)", lambda o: p50_p95(server_ms(o["runs"]))),
    ("interaction in the browser, p50 / p95 (ms)", lambda o: p50_p95(every_time(o))),
    ("first load of a new visitor, p50 / p95 (ms)", lambda o: p50_p95(first_loads(o))),
    ("users per replica", lambda o: ", ".join(str(n) for n in users_per_replica(o).values())),
    ("RSS per replica, peak (MB)", lambda o: per_replica(o["rss_peak"])),
    ("CPU: servers / browser / other processes (core-seconds)", lambda o: " / ".join(cpu_split(o))),
]


def replicas_name(out: dict) -> str:
    """'1 replica', '2 replicas'."""
    return f"{out['replicas']} replica{'s' * (out['replicas'] > 1)}"


def comparison(outs: list[dict]) -> str:
    """The loads side by side: one column per replica count."""
    rows = [[label, *(value(o) for o in outs)] for label, value in COMPARED]
    return table(["measure", *(replicas_name(o) for o in outs)], rows)


def write_up(args, outs: list[dict]) -> str:
    """One load's report, or for several the comparison and then each one's report."""
    if len(outs) == 1:
        return report(args, outs[0])
    parts = [f"Side by side (the loads ran one after the other, same settings):\n\n{comparison(outs)}"]
    parts += [f"### {replicas_name(o)}\n\n{report(args, o)}" for o in outs]
    return "\n\n".join(parts)


def main() -> None:
    p = common.parser(__doc__, "load_test", env=True)
    p.add_argument("--users", type=int, default=20, help="concurrent browser sessions")
    p.add_argument("--seconds", type=int, default=120, help="how long the load lasts")
    p.add_argument("--ramp", type=float, default=20, help="seconds over which the users arrive")
    p.add_argument("--think", type=float, default=1.0, help="mean pause between a user's steps, s (0.5 to 1.5 times)")
    p.add_argument("--timeout", type=int, default=60, help="seconds one step may take before it counts as an error")
    p.add_argument(
        "--replicas",
        type=int,
        nargs="+",
        default=[1],
        metavar="N",
        help="1 (default): one streamlit process, as before; N > 1: N replicas behind HAProxy "
        "(scripts/serve_replicas.py). Several values run one load each, in turn, and compare them",
    )
    args = p.parse_args()
    env, facts = common.server_env(args), common.machine_facts()
    outs = [asyncio.run(load(args, env, n)) for n in args.replicas]
    common.finish("load_test", args, write_up(args, outs), facts)


if __name__ == "__main__":
    main()
