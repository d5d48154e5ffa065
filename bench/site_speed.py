"""Site speed in a real browser: cold start, time per interaction on every page, server memory.

    python bench/site_speed.py [--models DIR] [--write]

Serves the site with `streamlit run` on 127.0.0.1 and drives Debian's headless Chromium
(see ../shared/BROWSER.md). Three measurements, each against the project's target:

1. Cold start (target <= 6 s): from launching `streamlit run` to the home page rendered in
   the browser (script state `notRunning` and the page's `h1` visible), `--repeats` times.
2. Time per interaction (target server p95 <= 150 ms; an upload to its reconstruction <= 300 ms):
   on each page, one warm-up and then `--interactions` of its typical interaction (theory:
   the next test digit; sampling and AE vs VAE: the next seed; reconstruction: upload a PNG
   digit drawn with PIL, then remove it; ELBO curves: the next term; anomaly: the other
   score), plus `--navigations` page switches through the sidebar. Two clocks:
   - browser: from the click/keypress/file `change` event in the page to the app's script
     state returning to `notRunning`, read in the page's own clock. It includes the
     websocket round trip, the upload's HTTP request and the frontend's handling of the
     messages, and, on this machine, Chromium sharing the CPU with the server;
   - server: the script runs in the streamlit process (the ScriptRunner's STARTED to
     STOPPED events, logged by `common.serve_timed`) that the interaction caused.
3. Memory (targets: <= 900 MB with every model loaded; growth <= 50 MB over 20 sessions):
   VmRSS of the streamlit process and its children after each page's first visit, then
   before and after `--sessions` sequential browser sessions that each open every page,
   and again after the server has had `--settle` s to drop the disconnected sessions
   (`server.disconnectedSessionTTL` is 120 s by default).

Every wait is bounded (`--timeout` per step); the whole run takes about 10 minutes.
"""

import argparse
import collections
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
from common import fmt, table, verdict
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

TITLES = {
    "": "theory",
    "sampling": "sampling",
    "reconstruction": "reconstruction",
    "ae_vs_vae": "ae_vs_vae",
    "elbo_curves": "elbo_curves",
    "anomaly": "anomaly",
}
INTERACTION = {
    "": "next test digit (number input +)",
    "sampling": "next seed (number input +)",
    "reconstruction": "upload a PNG digit",
    "ae_vs_vae": "next seed (number input +)",
    "elbo_curves": "switch the term (radio)",
    "anomaly": "switch the score (radio)",
}


class Session:
    """One browser page on the app, with the interaction recorder installed."""

    def __init__(self, context, port: int, run_log: Path, timeout_ms: int):
        self.page = context.new_page()
        self.page.add_init_script("(" + common.RECORDER_JS + ")()")
        self.port, self.run_log, self.timeout = port, run_log, timeout_ms
        self.fallbacks = 0  # interactions whose end was read from the websocket (see common.DONE_JS)

    def open(self, name: str = "") -> float:
        """Load a page by URL; seconds until it is idle with its h1 visible."""
        start = time.perf_counter()
        self.page.goto(f"http://127.0.0.1:{self.port}/{name}", timeout=self.timeout)
        self.page.wait_for_function(common.FIRST_RUN_DONE_JS, timeout=self.timeout, polling=20)
        self.page.wait_for_selector(common.IDLE, timeout=self.timeout)
        self.page.locator("h1").first.wait_for(state="visible", timeout=self.timeout)
        return time.perf_counter() - start

    def timed(self, kind: str, action) -> tuple[float, float]:
        """Run `action` (which fires one `kind` event); browser ms and server ms of the rerun."""
        self.page.evaluate(common.ARM_JS, kind)
        wall = time.time()
        action()
        done = self.page.wait_for_function(common.DONE_JS, timeout=self.timeout, polling=20).json_value()
        browser_ms = done["ms"]
        self.fallbacks += done["fallback"]
        runs = common.read_runs(self.run_log, since=wall - 0.01, until=time.time())
        server_ms = sum(r["end"] - r["start"] for r in runs) * 1000 if runs else float("nan")
        self.page.wait_for_timeout(150)  # let the frontend finish drawing before the next event
        return browser_ms, server_ms

    def navigate(self, name: str) -> tuple[float, float]:
        """Switch page with the sidebar link, as a visitor does."""
        link = self.page.locator(common.nav_link(name)).first
        return self.timed("click", link.click)

    def interact(self, name: str, i: int, pngs: list[Path]) -> tuple[float, float]:
        """The page's typical interaction, the i-th time."""
        page = self.page
        if name in ("", "sampling", "ae_vs_vae"):
            return self.timed("click", page.locator("[data-testid='stNumberInputStepUp']").first.click)
        if name in ("elbo_curves", "anomaly"):
            options = page.locator("[data-testid='stRadioOption']")
            return self.timed("click", options.nth((i + 1) % options.count()).click)
        if name == "reconstruction":
            upload = page.locator("[data-testid='stFileUploaderDropzoneInput']").first
            result = self.timed("change", lambda: upload.set_input_files(str(pngs[i % len(pngs)])))
            self.error_check()
            self.timed("click", page.locator("[data-testid='stFileChipDeleteBtn']").first.click)
            return result
        raise ValueError(name)

    def error_check(self) -> None:
        """Raise PageError if the page shows an exception or an error alert."""
        errors = self.page.locator(common.ERRORS)
        if errors.count():
            raise PageError("the page shows an error: " + errors.first.inner_text()[:300])


class PageError(RuntimeError):
    """The page shows an exception or an error alert (e.g. a missing model)."""


def first_line(err: Exception) -> str:
    """The first line of an error's message, shortened (Playwright appends a long call log)."""
    return (str(err).splitlines() or [""])[0][:300]


def cold_start(repeats: int, env: dict, timeout_ms: int) -> list[dict]:
    """`repeats` cold starts: seconds to healthy, and to the home page rendered."""
    results = []
    with sync_playwright() as pw:
        browser = common.launch_chromium(pw)
        for r in range(repeats):
            port = common.free_port()
            start = time.perf_counter()
            server = common.launch_server(port, env)
            try:
                common.wait_healthy(server, port)
                healthy = time.perf_counter() - start
                context = browser.new_context(viewport={"width": 1280, "height": 1000})
                page = context.new_page()
                page.add_init_script("(" + common.RECORDER_JS + ")()")
                page.goto(f"http://127.0.0.1:{port}/", timeout=timeout_ms)
                page.wait_for_function(common.FIRST_RUN_DONE_JS, timeout=timeout_ms, polling=20)
                page.wait_for_selector(common.IDLE, timeout=timeout_ms)
                page.locator("h1").first.wait_for(state="visible", timeout=timeout_ms)
                total = time.perf_counter() - start
                results.append({"healthy": healthy, "rendered": total, "rss": common.rss_mb(server.pid)})
                print(f"cold start {r + 1}: healthy after {healthy:.2f} s, rendered after {total:.2f} s", flush=True)
                context.close()
            finally:
                common.stop(server)
        browser.close()
    return results


def visit_all(browser, port: int, run_log: Path, timeout_ms: int) -> None:
    """One visitor session: open the home page, then every other page through the sidebar."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        session = Session(context, port, run_log, timeout_ms)
        session.open("")
        for name in common.PAGES[1:]:
            session.navigate(name)
            session.error_check()
    finally:
        context.close()


def start_profiler(pid: int, out: Path) -> subprocess.Popen | None:
    """py-spy sampling the server (collapsed stacks, 200 Hz) until `stop_profiler`, if py-spy is installed."""
    venv_spy = Path(sys.executable).parent / "py-spy"
    spy = str(venv_spy) if venv_spy.exists() else shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy: pip install py-spy")
    proc = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "200",
            "--format",
            "raw",
            "--nonblocking",
            "--threads",
            "--idle",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)  # let it attach
    return proc


def stop_profiler(proc: subprocess.Popen) -> None:
    """Stop py-spy (it writes its file on SIGINT)."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]+):(?P<line>\d+)\)$")
PAGE_FILES = {"theory.py", "sampling.py", "reconstruction.py", "ae_vs_vae.py", "elbo_curves.py", "anomaly.py"}


def _component(path: str) -> str:
    """The package a py-spy frame's file belongs to (py-spy names files relative to sys.path)."""
    return path.split("/", 1)[0] if "/" in path else "Python"


def profile_summary(raw: Path, top: int = 8) -> str:
    """Where the script thread's samples fall: by line of the page script, and by library underneath."""
    lines, libs, total = collections.Counter(), collections.Counter(), 0
    for entry in raw.read_text().splitlines():
        stack, _, count = entry.rpartition(" ")
        frames = [m for m in (FRAME.match(f.strip()) for f in stack.split(";")) if m]
        idx = [i for i, f in enumerate(frames) if Path(f["file"]).name in PAGE_FILES]
        if not idx:
            continue
        n, page = int(count), frames[idx[-1]]
        total += n
        source = common.ROOT / "pages" / Path(page["file"]).name
        text = source.read_text().splitlines()[int(page["line"]) - 1].strip()
        lines[f"{source.name}:{page['line']} `{text[:70]}`"] += n
        below = [_component(f["file"]) for f in frames[idx[-1] + 1 :]]
        own = next((c for c in below if c in ("vae_tf", "vae_site")), None)
        rest = below[below.index(own) + 1 :] if own else below
        lib = next((c for c in rest if c not in ("vae_tf", "vae_site")), "Python")
        libs[f"{own or 'the page'} → {lib}"] += n
    if not total:
        return "(no samples in the page scripts)"
    rows = [[k, f"{100 * v / total:.0f}%"] for k, v in lines.most_common(top)]
    rows2 = [[k, f"{100 * v / total:.0f}%"] for k, v in libs.most_common(top)]
    return (
        table(["page line", "share of script samples"], rows)
        + "\n\n"
        + table(["project module → first library below it", "share"], rows2)
        + f"\n\n({total} samples at 200 Hz, about {total / 200:.1f} s of script time.)"
    )


def load_beta_family(session, out: dict) -> None:
    """Open AE vs VAE at every beta of the family, so that every model of the site is loaded."""
    from vae_tf import store

    for beta in store.BETAS:
        try:
            session.open(f"ae_vs_vae?beta={beta:g}")
        except PlaywrightError as err:
            out["errors"].append(f"AE vs VAE at beta {beta:g}: {first_line(err)}")


def interactions_and_memory(args, env: dict) -> dict:
    """Per-page interaction times, then memory over sequential sessions, on one timed server."""
    out = {"first": {}, "rss_after": {}, "pages": {}, "nav": {}, "sessions_rss": [], "errors": [], "cpu": {}}
    workdir = Path(tempfile.mkdtemp(prefix="site_speed_"))
    run_log = workdir / "runs.jsonl"
    pngs = [common.digit_png(workdir / f"digit{i}.png", i % 10, seed=i) for i in range(10)]
    port = common.free_port()
    server = common.start_server(port, env, run_log)
    try:
        out["rss_start"] = common.rss_mb(server.pid)
        with sync_playwright() as pw:
            browser = common.launch_chromium(pw)
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            session = Session(context, port, run_log, args.timeout * 1000)
            for name in args.pages:
                try:
                    out["first"][name] = session.open(name)
                    out["rss_after"][name] = common.rss_mb(server.pid)
                    session.error_check()
                    if not args.interactions:
                        continue
                    session.interact(name, 0, pngs)  # warm-up
                    spy = start_profiler(server.pid, args.profile / f"{TITLES[name]}.txt") if args.profile else None
                    cpu = common.cpu_seconds(server.pid), common.browser_cpu_seconds(server.pid), time.time()
                    times = [session.interact(name, i, pngs) for i in range(1, args.interactions + 1)]
                    gcs = common.read_runs(run_log, since=cpu[2], kind="gc")
                    out["cpu"][name] = (
                        (common.cpu_seconds(server.pid) - cpu[0]) * 1000 / len(times),
                        (common.browser_cpu_seconds(server.pid) - cpu[1]) * 1000 / len(times),
                        sum(g["end"] - g["start"] for g in gcs) * 1000 / len(times),
                    )
                    if spy:
                        stop_profiler(spy)
                    session.error_check()
                except (PageError, PlaywrightError) as err:  # counted and reported; the other pages go on
                    out["errors"].append(f"{TITLES[name]}: {type(err).__name__}: {first_line(err)}")
                    print(out["errors"][-1], flush=True)
                    continue
                out["pages"][name] = times
                b = [t[0] for t in times]
                print(
                    f"{TITLES[name]}: first visit {out['first'][name]:.2f} s, browser p50 "
                    f"{statistics.median(b):.0f} ms p95 {common.percentile(b, 95):.0f} ms, "
                    f"RSS {out['rss_after'][name]:.0f} MB",
                    flush=True,
                )
            for r in range(args.navigations):
                for name in common.PAGES[1:] + [""]:
                    try:
                        if r == 0 and name == common.PAGES[1]:
                            session.open("")
                        out["nav"].setdefault(name, []).append(session.navigate(name))
                    except PlaywrightError as err:
                        out["errors"].append(f"open {TITLES[name]}: {first_line(err)}")
            out["fallbacks"] = session.fallbacks
            load_beta_family(session, out)
            context.close()
            out["rss_loaded"] = common.rss_mb(server.pid)
            print(f"RSS with every page visited and every model loaded: {out['rss_loaded']:.0f} MB", flush=True)
            if args.sessions:
                try:
                    visit_all(browser, port, run_log, args.timeout * 1000)  # the first one may still cache
                except (PageError, PlaywrightError) as err:
                    out["errors"].append(f"first session: {first_line(err)}")
                out["rss_before_sessions"] = common.rss_mb(server.pid)
                for s in range(args.sessions):
                    try:
                        visit_all(browser, port, run_log, args.timeout * 1000)
                    except (PageError, PlaywrightError) as err:
                        out["errors"].append(f"session {s + 1}: {first_line(err)}")
                    out["sessions_rss"].append(common.rss_mb(server.pid))
                    print(f"session {s + 1}: RSS {out['sessions_rss'][-1]:.0f} MB", flush=True)
            browser.close()
        if args.sessions and args.settle:
            time.sleep(args.settle)
            out["rss_settled"] = common.rss_mb(server.pid)
            print(f"RSS {args.settle} s later: {out['rss_settled']:.0f} MB", flush=True)
        if server.poll() is not None:
            raise RuntimeError("the server died")
    finally:
        common.stop(server)
    return out


INTERACTION_HEADER = [
    "page",
    "interaction",
    "n",
    "browser p50",
    "browser p95",
    "server p50",
    "server p95",
    "full GC",
    "server CPU",
    "browser CPU",
    "target",
    "verdict",
    "first visit (s)",
]
INTERACTION_NOTE = (
    "**browser**: from the DOM event (click, keypress, file `change`) to the app's script state back to "
    "`notRunning`, in the page's clock; includes the websocket round trips (and for uploads the HTTP PUT "
    "of the file) and Chromium running on the same 2 cores as the server. **server**: the script run(s) "
    "the interaction caused, timed inside the streamlit process (ScriptRunner STARTED → STOPPED). "
    "**full GC**: time per interaction the server spent in full (generation 2) garbage collections, which "
    "Streamlit forces after every script run (`runner.postScriptGC`), after the run's end is reported and "
    "holding the GIL. **CPU**: CPU time per timed interaction used by the server process and by the browser "
    "(Chromium and Playwright's driver); on reconstruction these three include removing the file again. "
    'Targets apply to the server p95, as the issue sets them ("server time per interaction"); the '
    "browser columns show what a visitor on this same machine waits. **first visit**: opening the page "
    "by URL for the first time in this server (models loaded, cached data computed)."
)


def cold_start_section(cold: list[dict]) -> str:
    """The cold starts as markdown."""
    med = statistics.median(c["rendered"] for c in cold)
    rows = [[i + 1, fmt(c["healthy"]), fmt(c["rendered"]), fmt(c["rss"])] for i, c in enumerate(cold)]
    rows.append(["**median**", fmt(statistics.median(c["healthy"] for c in cold)), f"**{fmt(med)}**", ""])
    return (
        f"### Cold start (target ≤ 6 s): {verdict(med, 6)}\n\nFrom launching `streamlit run` to the "
        "home page rendered in headless Chromium (script state `notRunning`, its `h1` visible).\n\n"
        + table(["run", "/_stcore/health ok (s)", "home page rendered (s)", "RSS then (MB)"], rows)
    )


def timing_row(page: str, what: str, times: list, target: int, cpu=("", "", ""), first: str = "") -> list:
    """One row of the interaction table: browser and server p50/p95 of (browser, server) pairs, and its verdict."""
    b, s = [t[0] for t in times], [t[1] for t in times]
    p95 = common.percentile(s, 95)  # the server's: the target's
    return [
        TITLES[page],
        what,
        len(b),
        fmt(statistics.median(b)),
        fmt(common.percentile(b, 95)),
        fmt(common.percentile(s, 50)),
        fmt(p95),
        *cpu,
        f"≤ {target}",
        verdict(p95, target),
        first,
    ]


def interaction_section(args, res: dict) -> str:
    """The interactions and page switches as markdown."""
    rows = []
    for name, times in res["pages"].items():
        cpu = res["cpu"].get(name, (float("nan"),) * 3)
        target = 300 if name == "reconstruction" else 150
        rows.append(
            timing_row(
                name, INTERACTION[name], times, target, (fmt(cpu[2]), fmt(cpu[0]), fmt(cpu[1])), fmt(res["first"][name])
            )
        )
    rows += [timing_row(name, "open it from the sidebar", times, 150) for name, times in res["nav"].items()]
    return (
        f"### Time per interaction (ms; {args.interactions} timed after one warm-up, page switches "
        f"{args.navigations} per page)\n\n{INTERACTION_NOTE}\n\n" + table(INTERACTION_HEADER, rows)
    )


def memory_section(args, res: dict) -> str:
    """The server's memory as markdown: after each page, with every model loaded, over the sessions."""
    rows = [["server started, no session yet", fmt(res["rss_start"])]]
    rows += [[f"after first visit of {TITLES[n]}", fmt(v)] for n, v in res["rss_after"].items()]
    loaded = res["rss_loaded"]
    rows.append(
        [f"every page used, every beta model loaded (target ≤ 900): {verdict(loaded, 900)}", f"**{fmt(loaded)}**"]
    )
    trend = ""
    if res["sessions_rss"]:
        growth = res["sessions_rss"][-1] - res["rss_before_sessions"]
        rows += [
            ["before the sequential sessions", fmt(res["rss_before_sessions"])],
            [
                f"after {len(res['sessions_rss'])} sequential sessions (each opens every page)",
                fmt(res["sessions_rss"][-1]),
            ],
            [f"growth over the sessions (target ≤ 50): {verdict(growth, 50)}", f"**{fmt(growth)}**"],
        ]
        if "rss_settled" in res:
            rows.append([f"{args.settle} s later (disconnected sessions past their TTL)", fmt(res["rss_settled"])])
        trend = "\n\nRSS after each session: " + ", ".join(fmt(v) for v in res["sessions_rss"]) + "."
    return (
        "### Server memory (VmRSS of the streamlit process and its children, MB)\n\n"
        + table(["when", "RSS (MB)"], rows)
        + trend
    )


def errors_section(res: dict) -> str:
    """The run's errors, and how many interactions ended by the fallback rule."""
    errors = res["errors"]
    text = f"Errors during the run: {len(errors)}" + "".join(f"\n- {e}" for e in errors[:20])
    if res.get("fallbacks"):
        text += (
            f"\n\n{res['fallbacks']} timed interactions ended without a visible 'running' state; their end "
            "is the last websocket message (see `common.DONE_JS`)."
        )
    return text


def report(args, cold: list[dict], res: dict | None) -> str:
    """The results as markdown."""
    parts = [cold_start_section(cold)] if cold else []
    if res and res["pages"]:
        parts.append(interaction_section(args, res))
    if res and res["rss_after"]:
        parts.append(memory_section(args, res))
    if res is not None:
        parts.append(errors_section(res))
    return "\n\n".join(parts)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    p.add_argument("--models", default=str(common.ROOT / "models"), help="model directory (default: models/)")
    p.add_argument("--repeats", type=int, default=3, help="cold starts (0 to skip)")
    p.add_argument("--interactions", type=int, default=20, help="timed interactions per page (0 to skip)")
    p.add_argument("--navigations", type=int, default=5, help="timed sidebar page switches per page")
    p.add_argument("--sessions", type=int, default=20, help="sequential sessions for memory growth (0 to skip)")
    p.add_argument("--settle", type=int, default=130, help="seconds to wait after the sessions (0 to skip)")
    p.add_argument("--pages", nargs="*", default=common.PAGES, help="pages to time ('' is the home page)")
    p.add_argument("--timeout", type=int, default=120, help="seconds any one step may take")
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the server, e.g. to try a fix: STREAMLIT_RUNNER_POST_SCRIPT_GC=false",
    )
    p.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="also sample the server with py-spy during each page's interactions; collapsed stacks and "
        "a summary go to this directory (the timings are then perturbed: do not --write)",
    )
    p.add_argument("--note", default="", help="a remark to put in the written section (e.g. the CPU was shared)")
    p.add_argument("--write", action="store_true", help="(re)write the site_speed section of BENCHMARKS.md")
    args = p.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, VAE_TF_MODELS=str(Path(args.models).resolve()), **dict(e.split("=", 1) for e in args.env))
    facts = common.machine_facts()
    cold = cold_start(args.repeats, env, args.timeout * 1000) if args.repeats else []
    res = interactions_and_memory(args, env) if args.interactions or args.sessions else None
    body = report(args, cold, res)
    print(body)
    if args.profile:
        summaries = [
            f"### {TITLES[n]}: {INTERACTION[n]}\n\n" + profile_summary(args.profile / f"{TITLES[n]}.txt")
            for n in args.pages
            if (args.profile / f"{TITLES[n]}.txt").exists()
        ]
        (args.profile / "summary.md").write_text("\n\n".join(summaries) + "\n")
        print("\n\n".join(summaries))
    if args.write:
        extra = f" Extra server environment: `{' '.join(args.env)}`." if args.env else ""
        common.write_section(
            "site_speed" + ("-with-env" if args.env else ""),
            f"Models: `{args.models}`.{extra}\n\n{body}",
            facts,
            args.note,
        )


if __name__ == "__main__":
    main()
