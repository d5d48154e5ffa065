"""Serve the site from N `streamlit run` replicas behind HAProxy, on 127.0.0.1.

    python scripts/serve_replicas.py start [--replicas 2] [--port 8500] [--detach]
    python scripts/serve_replicas.py stop [--port 8500]

One Streamlit process serves every visitor from one Python interpreter. This starts N of them
on ports PORT+1..PORT+N and HAProxy on PORT (config: deploy/haproxy.cfg) with cookie-based
session affinity, because a Streamlit session lives in one process: its websocket, its
uploaded files and the XSRF token an upload must carry. It waits until every replica answers
/_stcore/health and HAProxy reports them all UP, prints the URL, and stops everything it
started on Ctrl-C (or, with --detach, leaves them running and `stop` ends them).

From Python (the test and bench/load_test.py):

    with Replicas(2) as site:
        ... site.url, site.replica_ports, site.requests() ...
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "haproxy.cfg"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

Launcher = Callable[[int, dict], subprocess.Popen]


def free_port_block(n: int) -> int:
    """A port P such that P..P+n are free on 127.0.0.1 right now (checked, not reserved)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + n < 65536 and all(_is_free(base + i) for i in range(n + 1)):
            return base
    raise RuntimeError(f"no block of {n + 1} free ports found")


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def launch_streamlit(port: int, env: dict) -> subprocess.Popen:
    """One replica: `streamlit run streamlit_app.py` on 127.0.0.1:port (settings from .streamlit/config.toml).

    Args:
      port: where it listens.
      env: its environment.
    Returns:
      The process, started in its own session so a Ctrl-C reaches only this script, which stops it.
    """
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "streamlit_app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def health_ok(port: int) -> bool:
    """Whether http://127.0.0.1:port/_stcore/health answers `ok` now."""
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok"
    except OSError:
        return False


def render_config(port: int, replica_ports: list[int], stats_socket: Path) -> str:
    """deploy/haproxy.cfg with its placeholders filled in.

    Args:
      port: the balancer's port.
      replica_ports: one server line each, named r1..rN (the affinity cookie's values).
      stats_socket: where HAProxy's stats socket goes.
    Returns:
      The configuration text.
    """
    servers = "\n".join(f"    server r{i} 127.0.0.1:{p} check cookie r{i}" for i, p in enumerate(replica_ports, 1))
    return string.Template(TEMPLATE.read_text()).substitute(port=port, servers=servers, stats_socket=stats_socket)


class Replicas:
    """N replicas of the site behind HAProxy; a context manager that stops all it started."""

    def __init__(
        self,
        n: int = 2,
        port: int | None = None,
        env: dict | None = None,
        launch: Launcher = launch_streamlit,
        workdir: Path | None = None,
        timeout: float = 180,
    ):
        """Args:
        n: how many `streamlit run` processes.
        port: the balancer's port (default: a free block); replicas use port+1..port+n.
        env: the replicas' environment (default: this process's). One cookie secret is shared by all
          replicas, so an XSRF token stays valid on whichever replica a failover lands on.
        launch: starts one replica, given (port, env); bench/load_test.py passes one that logs script runs.
        workdir: where the HAProxy config, stats socket and log go (default: a new temporary directory).
        timeout: seconds to wait for everything to be healthy.
        """
        self.port = port or free_port_block(n)
        self.replica_ports = [self.port + i for i in range(1, n + 1)]
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))
        self.launch, self.timeout = launch, timeout
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="replicas_"))
        self.stats_socket = self.workdir / "haproxy.sock"
        if len(str(self.stats_socket)) > 100:  # a Unix socket's path must fit in 108 bytes
            self.stats_socket = Path(tempfile.mkdtemp(prefix="replicas_")) / "haproxy.sock"
        self.log_path = self.workdir / "haproxy.log"
        self.processes: list[subprocess.Popen] = []
        self.haproxy: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The balancer's address, what visitors open."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        """Start the replicas, wait until each is healthy, then HAProxy until it sees them all UP.

        Returns:
          The URL. Raises RuntimeError (after stopping what it started) if something does not come up.
        """
        try:
            self.processes = [self.launch(p, self.env) for p in self.replica_ports]
            self._wait(lambda: all(map(health_ok, self.replica_ports)), "the replicas' /_stcore/health")
            self._start_haproxy()
            self._wait(lambda: self.servers_up() == len(self.replica_ports), "HAProxy to see every replica UP")
        except BaseException:
            self.stop()
            raise
        return self.url

    def _start_haproxy(self) -> None:
        config = self.workdir / "haproxy.cfg"
        config.write_text(render_config(self.port, self.replica_ports, self.stats_socket))
        log = open(self.log_path, "ab")
        # -db: stay in the foreground (a child we can stop); the log goes to stdout, i.e. the file.
        self.haproxy = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not ready():
            dead = [p.args for p in [*self.processes, self.haproxy] if p is not None and p.poll() is not None]
            if dead:
                raise RuntimeError(f"exited while waiting for {what}: {dead[0]}; HAProxy log: {self.log_text()[-500:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {self.timeout} s waiting for {what}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop HAProxy and every replica this object started (and only those), then reap them."""
        for proc in [self.haproxy, *self.processes]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in [self.haproxy, *self.processes]:
            if proc is not None:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def __enter__(self) -> "Replicas":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stats(self) -> list[dict]:
        """HAProxy's `show stat` rows for the replicas: name (svname), status, scur, stot, ... as strings."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(self.stats_socket))
            s.sendall(b"show stat\n")
            data = b"".join(iter(lambda: s.recv(65536), b""))
        lines = data.decode().lstrip("# ").splitlines()
        header = lines[0].split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return [r for r in rows if r["pxname"] == "replicas" and r["svname"] not in ("FRONTEND", "BACKEND")]

    def servers_up(self) -> int:
        """How many replicas HAProxy's health checks report UP (0 while its socket is not there yet)."""
        try:
            return sum(r["status"] == "UP" for r in self.stats())
        except OSError:
            return 0

    def log_text(self) -> str:
        """HAProxy's log so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def requests(self) -> list[dict]:
        """HAProxy's log as one dict per request: time (Unix s), replica, status, method, path,
        cookie sent, cookie set. A cookie field is the captured `SERVERID=<replica>`, or "-" when
        there was none; replica is `<NOSRV>` for a connection that never reached one (a bad request).
        """
        keys = ("time", "replica", "status", "method", "path", "cookie_sent", "cookie_set")
        rows = [line.split(" ") for line in self.log_text().splitlines()]
        return [
            dict(zip(keys, [r[0], r[1].split("/", 1)[1], *r[2:]], strict=True))
            for r in rows
            if len(r) == 7 and r[0].isdigit() and "/" in r[1]
        ]


# --- The command line ---------------------------------------------------------------------------


def state_file(port: int) -> Path:
    """Where a detached set-up records what it started."""
    return Path(tempfile.gettempdir()) / f"vae-site-replicas-{port}.json"


def start_command(args) -> None:
    """`start`: serve until Ctrl-C (or SIGTERM), or with --detach record the processes and return."""
    site = Replicas(args.replicas, args.port)
    ports = f"{site.replica_ports[0]}-{site.replica_ports[-1]}"
    print(f"starting {args.replicas} replicas on ports {ports} ...", flush=True)
    site.start()
    print(f"serving at {site.url} (HAProxy log: {site.log_path})", flush=True)
    if args.detach:
        pids = [p.pid for p in [site.haproxy, *site.processes]]
        state_file(site.port).write_text(json.dumps({"pids": pids, "workdir": str(site.workdir)}))
        print(f"stop with: python scripts/serve_replicas.py stop --port {site.port}")
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # SIGTERM stops it like Ctrl-C: through `finally`
    try:
        while all(p.poll() is None for p in [site.haproxy, *site.processes]):
            time.sleep(1)
        print("a process exited; stopping the rest", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


def stop_command(args) -> None:
    """`stop`: end the processes a detached `start` on this port recorded, if they are still ours."""
    path = state_file(args.port)
    if not path.exists():
        sys.exit(f"nothing recorded for port {args.port} ({path})")
    for pid in json.loads(path.read_text())["pids"]:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue  # already gone
        if b"haproxy" in cmdline or b"streamlit" in cmdline:  # not a reused pid of something else
            os.kill(pid, signal.SIGTERM)
    path.unlink()
    print(f"stopped the set-up on port {args.port}")


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start N replicas behind HAProxy")
    start.add_argument("--replicas", type=int, default=2, help="how many streamlit processes (default 2)")
    start.add_argument("--port", type=int, default=8500, help="the balancer's port; replicas use the next N")
    start.add_argument("--detach", action="store_true", help="leave them running; `stop --port` ends them")
    stop = sub.add_parser("stop", help="stop a detached set-up")
    stop.add_argument("--port", type=int, default=8500)
    args = p.parse_args()
    {"start": start_command, "stop": stop_command}[args.command](args)


if __name__ == "__main__":
    main()
