"""Shared pieces of the benchmark scripts: serving the site, driving Chromium, measuring, reporting.

The scripts in bench/ start `streamlit run` on 127.0.0.1, drive Debian's Chromium with
Playwright (see ../shared/BROWSER.md). Every script in bench/ writes its results into
BENCHMARKS.md with `--write`, each between its own markers. Nothing here imports TensorFlow.
"""

import argparse
import datetime
import gc
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Serving and the browser, shared with the real-browser tests.
from tests.browser import (  # noqa: E402, F401
    CHROMIUM,
    IDLE,
    digit_png,
    free_port,
    launch,
    launch_chromium,
    skip_prompts,
    stop,
    streamlit_command,
    wait_healthy,
    wait_idle,
)

RESULTS = ROOT / "BENCHMARKS.md"
PAGES = ["", "sampling", "reconstruction", "ae_vs_vae", "elbo_curves", "anomaly"]
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"


def title(page: str) -> str:
    """A page's name in the reports: its URL path, "theory" for the home page ("")."""
    return page or "theory"


# --- The server --------------------------------------------------------------------------------


def launch_server(port: int, env: dict, run_log: Path | None = None, profile_dir: Path | None = None):
    """Start `streamlit run` and return its Popen at once (no health check).

    Args:
      port: where it listens, on 127.0.0.1.
      env: its environment (VAE_TF_MODELS picks the models).
      run_log: if given, the server runs through `serve_timed`, which logs its script runs (session,
        start and end time), full collections and cache misses to this file: the server-side time.
      profile_dir: with run_log, also profile every script run into this directory (see `serve_timed`).
    """
    if run_log is None:
        return launch(streamlit_command(port), env)
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import common; "
        f"common.serve_timed({str(run_log)!r}, {str(profile_dir) if profile_dir else None!r})"
    )
    return launch([sys.executable, "-c", code, *streamlit_command(port)[3:]], env)  # [3:]: after "python -m streamlit"


def start_server(port: int, env: dict, run_log: Path | None = None, profile_dir: Path | None = None):
    """`streamlit run` on 127.0.0.1:port; returns once /_stcore/health answers ok."""
    proc = launch_server(port, env, run_log, profile_dir)
    wait_healthy(proc, port)
    return proc


def serve_timed(run_log: str, profile_dir: str | None = None) -> None:
    """Run the streamlit CLI with what happens in its script runs logged to `run_log`, one JSON line each.

    - every script run: {"session", "start", "end", "event"}, from `AppSession._on_scriptrunner_event`,
      which the script thread calls synchronously when a run starts and stops: the script's own time,
      without the websocket;
    - every full (generation 2) garbage collection: {"gc": 2, "start", "end"};
    - every cache miss of an `st.cache_resource` / `st.cache_data` function: {"miss": its qualified
      name, "start", "end"} (a model load is a miss of `vae_site.resources._load`);
    - every first import of a module that takes 10 ms or more: {"imports": its name, "start", "end"};
      an import inside a cached function (TensorFlow's, in the first model load) counts as part of it;
    - every served function's trace at its first call (`vae_tf.inference`): {"trace": 1, "start", "end"}.

    With `profile_dir`, each script run is also profiled with cProfile in its own thread (cProfile in
    the main thread does not see Streamlit's script thread), into `profile_dir`/<start time>.prof.
    """
    from streamlit.web import cli

    log = _RunLog(run_log)
    _log_script_runs(log)
    _log_cache_misses(log)
    _log_imports(log)
    gc.callbacks.append(log.on_gc)
    if profile_dir:
        _profile_script_runs(Path(profile_dir))
    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main()


class _RunLog:
    """The server's run log: JSON lines appended from any thread."""

    def __init__(self, path: str):
        self.out, self.lock, self.gc_start = open(path, "a", buffering=1), threading.Lock(), None
        self.inside = threading.local()  # .busy: this thread is in a logged miss or import

    def timed(self, kind: str, name: str, call, min_s: float = 0.0, nested: bool = False):
        """Return call(), logging it as {kind: name, "start", "end"}, unless it is inside another such call
        (or even then, if `nested`)."""
        outer = getattr(self.inside, "busy", False)
        if outer and not nested:
            return call()
        self.inside.busy, start = True, time.time()
        try:
            return call()
        finally:
            self.inside.busy = outer
            if time.time() - start >= min_s:
                self.write(**{kind: name, "start": start, "end": time.time()})

    def write(self, **entry) -> None:
        """Append one entry (made outside the lock: a collection it sets off logs itself, taking the lock)."""
        line = json.dumps(entry) + "\n"
        with self.lock:
            self.out.write(line)

    def on_gc(self, phase: str, info: dict) -> None:
        """A gc callback: full collections only (Streamlit forces one after every run)."""
        if info["generation"] == 2:
            if phase == "start":
                self.gc_start = time.time()
            elif self.gc_start is not None:
                self.write(gc=2, start=self.gc_start, end=time.time())
                self.gc_start = None


def _log_script_runs(log: _RunLog) -> None:
    """Log each script run's start and stop, as the AppSession hears of them."""
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunnerEvent

    original, started = AppSession._on_scriptrunner_event, {}

    def hooked(self, sender, event, *args, **kwargs):
        now = time.time()
        if event == ScriptRunnerEvent.SCRIPT_STARTED:
            started[self.id] = now
        elif event.name.startswith(("SCRIPT_STOPPED", "FRAGMENT_STOPPED")) and self.id in started:  # fragments too
            log.write(session=self.id, start=started.pop(self.id), end=now, event=event.name)
        return original(self, sender, event, *args, **kwargs)

    AppSession._on_scriptrunner_event = hooked


def _log_cache_misses(log: _RunLog) -> None:
    """Log each computation of a cached function (Streamlit's CachedFunc, on a miss)."""
    from streamlit.runtime.caching.cache_utils import CachedFunc

    original = CachedFunc._handle_cache_miss

    def hooked(self, *args, **kwargs):
        func = self._info.func
        return log.timed("miss", f"{func.__module__}.{func.__qualname__}", lambda: original(self, *args, **kwargs))

    CachedFunc._handle_cache_miss = hooked


def _log_imports(log: _RunLog) -> None:
    """Log each outermost `import` that takes 10 ms or more: a module imported for the first time.

    The same hook times the served functions' first calls (`_time_first_calls`) once `vae_tf.inference`
    is imported (by the first model load), so that the server starts without TensorFlow, as it does
    unmeasured.
    """
    import builtins

    original, hooked_class = builtins.__import__, []

    def hooked(name, *args, **kwargs):
        module = log.timed("imports", name, lambda: original(name, *args, **kwargs), min_s=0.01)
        if name == "vae_tf.inference" and not hooked_class:  # its import is over: the module is complete
            hooked_class.append(sys.modules[name]._TracedOnFirstCall)
            _time_first_calls(log, hooked_class[0])
        return module

    builtins.__import__ = hooked


def _time_first_calls(log: _RunLog, traced) -> None:
    """Log the calls of `traced` objects that find them not yet traced, also inside a logged cache miss
    (a model load traces nothing: its functions are traced by their first calls)."""
    original = traced.__call__

    def hooked(self, *args):
        if self._ready:
            return original(self, *args)
        return log.timed("trace", 1, lambda: original(self, *args), nested=True)  # e.g. inside `_codes`

    traced.__call__ = hooked


def _profile_script_runs(profile_dir: Path) -> None:
    """cProfile around every script run, in the script thread, one .prof file per run."""
    import cProfile

    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    original = ScriptRunner._run_script
    profile_dir.mkdir(parents=True, exist_ok=True)

    def profiled(self, *args, **kwargs):
        profile, start = cProfile.Profile(), time.time()
        try:
            return profile.runcall(original, self, *args, **kwargs)
        finally:
            profile.dump_stats(profile_dir / f"{start:.6f}.prof")

    ScriptRunner._run_script = profiled


def read_runs(run_log: Path, since: float = 0.0, until: float = float("inf"), kind: str = "session") -> list[dict]:
    """The entries of one kind in `run_log` ("session": script runs, "gc", "miss", "imports") that started
    in [since, until]."""
    if not run_log.exists():
        return []
    runs = [json.loads(line) for line in run_log.read_text().splitlines() if line.strip()]
    return [r for r in runs if kind in r and since <= r["start"] <= until]


def seconds(entries: list[dict]) -> float:
    """The summed duration of run-log entries, in seconds."""
    return sum(e["end"] - e["start"] for e in entries)


def server_time(run_log: Path, since: float, until: float) -> dict:
    """What the server did in [since, until]: its script runs' time ("server", s, nan if none), how many
    runs, and of that time the model loads ("models": misses of `resources._load` and of
    `resources.inference_class`, TensorFlow's import, and the served functions' traces at their first calls)
    and the other first imports ("imports"), from the run log."""
    runs = read_runs(run_log, since, until)
    loading = ("resources._load", "resources.inference_class")  # a model, and the model code (TensorFlow's import)
    loads = [m for m in read_runs(run_log, since, until, kind="miss") if m["miss"].endswith(loading)]
    return {
        "server": seconds(runs) if runs else float("nan"),
        "runs": len(runs),
        "models": seconds(loads) + seconds(read_runs(run_log, since, until, kind="trace")),
        "imports": seconds(read_runs(run_log, since, until, kind="imports")),
    }


def profile_summary(profile_dir: Path, since: float, until: float, top: int = 15) -> str:
    """The script runs profiled (see `serve_timed`) in [since, until]: the project's functions by
    cumulative time, as pstats prints them."""
    import io
    import pstats

    files = [str(f) for f in sorted(profile_dir.glob("*.prof")) if since <= float(f.stem) <= until]
    if not files:
        return "(no profiled script run)"
    out = io.StringIO()
    stats = pstats.Stats(*files, stream=out)
    stats.files = []  # no list of the files read
    stats.sort_stats("cumulative").print_stats(r"/(pages|vae_site|vae_tf)/", top)
    return out.getvalue().strip()


# --- Memory --------------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """All descendants of pid, from /proc."""
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids + [g for k in kids for g in descendants(k)]


def rss_mb(pid: int) -> float:
    """VmRSS of pid and its descendants, in MB (2^20 bytes)."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        total += int(match.group(1)) if match else 0
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def browser_cpu_seconds(server_pid: int | list[int]) -> float:
    """CPU time of this script's descendants other than the server: Playwright's driver and Chromium.

    Args:
      server_pid: the server's pid, or several (replicas and their load balancer), left out with
        their own descendants.
    Returns:
      Core-seconds.
    """
    servers = [server_pid] if isinstance(server_pid, int) else list(server_pid)
    excluded = set(servers) | {d for s in servers for d in descendants(s)}
    total = 0.0
    for pid in descendants(os.getpid()):
        if pid not in excluded:
            try:
                total += cpu_seconds(pid)
            except OSError:
                pass
    return total


def machine_cpu_seconds() -> float:
    """CPU time all processes have used (all cores, not idle or iowait), in seconds."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


# --- The browser ---------------------------------------------------------------------------------


def nav_link(page: str) -> str:
    """The sidebar's link to `page`: Streamlit's own menu (absolute hrefs) or the site's st.page_link
    menu (relative hrefs, perhaps with a query such as ?lang=ko)."""
    bar = "[data-testid='stSidebar'] a"
    return f"{bar}[href$='/{page}'], {bar}[href='{page}'], {bar}[href^='{page}?']"


def recorded_page(context):
    """A new page of `context` with the interaction recorder (RECORDER_JS) installed."""
    page = context.new_page()
    page.add_init_script("(" + RECORDER_JS + ")()")
    return page


def open_page(page, url: str, timeout_ms: int) -> float:
    """Load `url` in a recorded page; seconds until its first run is over and its h1 shows."""
    start = time.perf_counter()
    page.goto(url, timeout=timeout_ms)
    page.wait_for_function(FIRST_RUN_DONE_JS, timeout=timeout_ms, polling=20)
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.locator("h1").first.wait_for(state="visible", timeout=timeout_ms)
    return time.perf_counter() - start


def timed(page, kind: str, action, run_log: Path, timeout_ms: int) -> dict:
    """Run `action`, which fires one `kind` event (click, keydown, change, mouseup) in a recorded page,
    and wait for the rerun it causes to end.

    Returns:
      {"browser": ms from the event to the script state back to `notRunning` (page clock),
       "server": ms of the script runs meanwhile (nan if none), "runs": how many,
       "fallback": whether the end was read from the websocket (see DONE_JS)}.
    """
    page.evaluate(ARM_JS, kind)
    wall = time.time()
    action()
    done = page.wait_for_function(DONE_JS, timeout=timeout_ms, polling=20).json_value()
    runs = read_runs(run_log, since=wall - 0.01, until=time.time())
    server = seconds(runs) * 1000 if runs else float("nan")
    return {"browser": done["ms"], "server": server, "runs": len(runs), "fallback": done["fallback"]}


def digit_pngs(directory: Path, n: int = 10) -> list[Path]:
    """n PNG digits (0-9 in turn) to upload, drawn with PIL (see tests/browser.digit_png)."""
    return [digit_png(directory / f"digit{i}.png", i % 10, seed=i) for i in range(n)]


def first_line(err: Exception, limit: int | None = 300) -> str:
    """The first line of an error's message, shortened (Playwright appends a long call log)."""
    return (str(err).splitlines() or [""])[0][:limit]


# Records, in the page's own clock, when the app's script state changes, when a websocket
# message arrives, and when the next event of an armed kind (click, keydown, change, mouseup) happens:
# the start of an interaction.
RECORDER_JS = """
() => {
  if (window.__bench) return;
  const b = window.__bench = {changes: [], messages: [], t0: null, armed: null};
  const Native = window.WebSocket;
  const Wrapped = function (...args) {
    const ws = new Native(...args);
    ws.addEventListener('message', () => b.messages.push(performance.now()));
    return ws;
  };
  Wrapped.prototype = Native.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Wrapped[k] = Native[k];
  window.WebSocket = Wrapped;
  const watch = () => {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app) { setTimeout(watch, 5); return; }
    b.changes.push([performance.now(), app.getAttribute('data-test-script-state')]);
    new MutationObserver(() => b.changes.push([performance.now(), app.getAttribute('data-test-script-state')]))
      .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  };
  watch();
  for (const kind of ['click', 'keydown', 'change', 'mouseup', 'pointerup']) {
    document.addEventListener(kind, () => {
      if (b.armed === kind && b.t0 === null) b.t0 = performance.now();
    }, true);
  }
}
"""
ARM_JS = "kind => { window.__bench.armed = kind; window.__bench.t0 = null; }"
# The interaction is over when the script ran (state 'running' after t0) and then stopped:
# returns {ms, fallback: false}. When the browser lags, the frontend may apply 'running' and
# 'notRunning' in one render, so the attribute never changes: then, once the state reads
# 'notRunning' and no websocket message has come for 1.5 s, the last message after t0 (the
# run's `scriptFinished`) ends it: {ms, fallback: true}.
DONE_JS = """
() => {
  const b = window.__bench;
  if (b.t0 === null) return false;
  let ran = false;
  for (const [t, s] of b.changes) {
    if (t < b.t0) continue;
    if (s === 'running') ran = true;
    else if (ran && s === 'notRunning') return {ms: t - b.t0, fallback: false};
  }
  const app = document.querySelector("[data-testid='stApp']");
  const last = b.messages.length ? b.messages[b.messages.length - 1] : -1;
  if (!ran && last > b.t0 && performance.now() - last > 1500
      && app && app.getAttribute('data-test-script-state') === 'notRunning') {
    return {ms: last - b.t0, fallback: true};
  }
  return false;
}
"""


# A freshly loaded page is ready when its first script run has ended (state 'running', then
# 'notRunning': before the first run the state may read 'notRunning' too) and its title shows.
FIRST_RUN_DONE_JS = """
() => {
  const b = window.__bench;
  if (!b) return false;
  const ran = b.changes.findIndex(([t, s]) => s === 'running');
  return ran >= 0 && b.changes.slice(ran).some(([t, s]) => s === 'notRunning')
    && document.querySelector("[data-testid='stApp']").getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector('h1') !== null;
}
"""


# --- Numbers and reports -------------------------------------------------------------------------


def percentile(values, q: float) -> float:
    """`np.percentile` (q in 0-100), but nan for no values (a table shows "n/a"), where NumPy raises."""
    return float(np.percentile(values, q)) if len(values) else float("nan")


def table(header: list[str], rows: list[list]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_facts() -> str:
    """nproc, CPU model, load, Python, Streamlit and TensorFlow versions, as one markdown line."""
    from importlib.metadata import PackageNotFoundError, version

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown")
    load = Path("/proc/loadavg").read_text().split()[:3]
    versions = {}
    for name in ("streamlit", "tensorflow", "playwright"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"nproc {os.cpu_count()}, CPU {cpu}, load average at start {' '.join(load)}; "
        f"Python {platform.python_version()}, TensorFlow {versions['tensorflow']}, "
        f"Streamlit {versions['streamlit']}, Playwright {versions['playwright']}, {chromium or 'no chromium'}"
    )


def command_line() -> str:
    """The command that ran this script, relative to the repository."""
    return "python " + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])


def write_section(name: str, body: str, facts: str, note: str = "") -> None:
    """(Re)write the `name` section of BENCHMARKS.md, between its markers."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"{start}\n## {name}\n\n`{command_line()}`, run {stamp}.\n\n"
        f"Machine: {facts}\n\n" + (f"**Note:** {note}\n\n" if note else "") + f"{body.strip()}\n{end}"
    )
    text = (
        RESULTS.read_text()
        if RESULTS.exists()
        else (
            "# Benchmarks\n\nEvery section is written by a script in bench/ run with `--write` (the command is "
            "given in the section); each script rewrites only its own section.\n"
        )
    )
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text)
    print(f"wrote the {name} section of {RESULTS.relative_to(ROOT)}")


def fmt(v: float) -> str:
    """A number rounded for a table: 3 significant-ish digits, 'n/a' for nan."""
    return "n/a" if v != v else (f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}" if abs(v) >= 1 else f"{v:.3f}")


def verdict(value: float, target: float) -> str:
    """'met' or 'MISSED' for a value that must be at most `target`."""
    return "met" if value <= target else "**MISSED**"


# --- The command line ----------------------------------------------------------------------------


def parser(doc: str, section: str, env: bool = False) -> argparse.ArgumentParser:
    """The options of a benchmark that serves the site: --models, --note, --write (its `section` of
    BENCHMARKS.md) and, with `env`, --env; its docstring as the help."""
    p = argparse.ArgumentParser(
        description=doc.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=doc
    )
    p.add_argument("--models", default=str(ROOT / "models"), help="model directory (default: models/)")
    p.add_argument("--note", default="", help="a remark to put in the written section (e.g. the CPU was shared)")
    p.add_argument("--write", action="store_true", help=f"(re)write the {section} section of BENCHMARKS.md")
    if env:
        p.add_argument(
            "--env",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="extra environment for the server, e.g. to try a fix: STREAMLIT_RUNNER_POST_SCRIPT_GC=false",
        )
    return p


def server_env(args) -> dict:
    """The server's environment: this process's, the models of --models, and any --env."""
    extra = dict(e.split("=", 1) for e in getattr(args, "env", []))
    return dict(os.environ, VAE_TF_MODELS=str(Path(args.models).resolve()), **extra)


def finish(section: str, args, body: str, facts: str) -> None:
    """Print the results; with --write, (re)write their section, headed by the models and any --env."""
    print(body)
    if args.write:
        env = getattr(args, "env", [])
        extra = f" Extra server environment: `{' '.join(env)}`." if env else ""
        name = section + ("-with-env" if env else "")
        write_section(name, f"Models: `{args.models}`.{extra}\n\n{body}", facts, args.note)
