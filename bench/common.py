"""Shared pieces of the benchmark scripts: serving the site, driving Chromium, measuring, reporting.

The scripts in bench/ start `streamlit run` on 127.0.0.1, drive Debian's Chromium with
Playwright (see ../shared/BROWSER.md). Every script in bench/ writes its results into
BENCHMARKS.md with `--write`, each between its own markers. Nothing here imports TensorFlow.
"""

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Serving and the browser, shared with the real-browser tests.
from tests.browser import (  # noqa: E402, F401
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    digit_png,
    free_port,
    stop,
    streamlit_command,
    wait_healthy,
)

RESULTS = ROOT / "BENCHMARKS.md"
PAGES = ["", "sampling", "reconstruction", "ae_vs_vae", "elbo_curves", "anomaly"]
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"


# --- The server --------------------------------------------------------------------------------


def streamlit_args(port: int) -> list[str]:
    """The `streamlit run` arguments every benchmark (and the screenshots) use: the tests' own."""
    return streamlit_command(port)[3:]  # without "python -m streamlit"


def launch_server(port: int, env: dict, run_log: Path | None = None) -> subprocess.Popen:
    """Start `streamlit run` and return at once (no health check).

    Args:
      port: where it listens, on 127.0.0.1.
      env: its environment (VAE_TF_MODELS picks the models).
      run_log: if given, the server runs through `serve_timed` and appends one JSON line per
        script run (session, start and end time) to this file: the server-side time.
    """
    if run_log is None:
        command = [sys.executable, "-m", "streamlit", *streamlit_args(port)]
    else:
        code = (
            f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import common; "
            f"common.serve_timed({str(run_log)!r})"
        )
        command = [sys.executable, "-c", code, *streamlit_args(port)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_server(port: int, env: dict, run_log: Path | None = None) -> subprocess.Popen:
    """`streamlit run` on 127.0.0.1:port; returns once /_stcore/health answers ok."""
    proc = launch_server(port, env, run_log)
    wait_healthy(proc, port)
    return proc


def serve_timed(run_log: str) -> None:
    """Run the streamlit CLI with every script run's start and end logged to `run_log`.

    Hooks `AppSession._on_scriptrunner_event`, which the script thread calls synchronously
    when a run starts and stops, so the times are the script's own, without the websocket.
    Also logs every full (generation 2) garbage collection, as {"gc": 2, "start", "end"}.
    """
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunnerEvent
    from streamlit.web import cli

    original = AppSession._on_scriptrunner_event
    lock, started = threading.Lock(), {}
    out = open(run_log, "a", buffering=1)

    def hooked(self, sender, event, *args, **kwargs):
        now = time.time()
        if event == ScriptRunnerEvent.SCRIPT_STARTED:
            started[self.id] = now
        elif event.name.startswith("SCRIPT_STOPPED") and self.id in started:
            with lock:
                out.write(
                    json.dumps({"session": self.id, "start": started.pop(self.id), "end": now, "event": event.name})
                    + "\n"
                )
        return original(self, sender, event, *args, **kwargs)

    def on_gc(phase, info):  # full collections only: Streamlit forces them after every run
        if info["generation"] == 2:
            if phase == "start":
                started["gc"] = time.time()
            elif "gc" in started:
                with lock:
                    out.write(json.dumps({"gc": 2, "start": started.pop("gc"), "end": time.time()}) + "\n")

    AppSession._on_scriptrunner_event = hooked
    gc.callbacks.append(on_gc)
    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main()


def read_runs(run_log: Path, since: float = 0.0, until: float = float("inf"), kind: str = "session") -> list[dict]:
    """The script runs (or with kind="gc", the full collections) in `run_log` that started in [since, until]."""
    if not run_log.exists():
        return []
    runs = [json.loads(line) for line in run_log.read_text().splitlines() if line.strip()]
    return [r for r in runs if kind in r and since <= r["start"] <= until]


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


def launch_chromium(playwright):
    """Debian's Chromium, headless, with the flags that keep it off the network."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_idle(page, timeout=120_000, settle_ms=800) -> None:
    """Wait until the app has finished running its script, then `settle_ms` more for drawing."""
    page.wait_for_selector(IDLE, timeout=timeout)
    if settle_ms:
        page.wait_for_timeout(settle_ms)


# Records, in the page's own clock, when the app's script state changes, when a websocket
# message arrives, and when the next event of an armed kind (click, keydown, change) happens:
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
  for (const kind of ['click', 'keydown', 'change']) {
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
    """The q-th percentile (0-100) by linear interpolation, as numpy's default; nan if empty."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def table(header: list[str], rows: list[list]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_facts() -> str:
    """nproc, CPU model, load, Python, Streamlit and TensorFlow versions, as one markdown line."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    load = Path("/proc/loadavg").read_text().split()[:3]
    versions = {}
    for name in ("streamlit", "tensorflow", "playwright"):
        from importlib.metadata import PackageNotFoundError, version

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
