"""Two replicas behind HAProxy (scripts/serve_replicas.py), driven by two visitors in headless Chromium.

A Streamlit session lives in one process, so the balancer must keep each visitor on one
replica: the page, its websocket (/_stcore/stream) and its uploads (/_stcore/upload_file, which
carry the XSRF token of the replica that set it). Checked three ways: the affinity cookie each
browser holds, the X-Replica header on every response it received, and HAProxy's own log.
Needs HAProxy and Debian's Chromium (scripts/test.sh installs both; see ../shared/BROWSER.md).
"""

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from tests import browser as site_browser
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import serve_replicas  # noqa: E402  (scripts/serve_replicas.py: the set-up under test)

MISSING = [
    what
    for what, path in (("haproxy", serve_replicas.HAPROXY), ("chromium", site_browser.CHROMIUM))
    if not shutil.which(path)
]
# In CI both are installed, so a missing one there is a failure, not a skip.
pytestmark = pytest.mark.skipif(bool(MISSING) and not os.environ.get("CI"), reason=f"not installed: {MISSING}")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with serve_replicas.Replicas(2, workdir=tmp_path_factory.mktemp("replicas")) as replicas:
        yield replicas


class Visitor:
    """One browser context (its own cookies: one visitor) that notes which replica answered each response."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1280, "height": 2400})
        self.served_by: list[tuple[str, str]] = []  # (replica, url) of every response from the network
        self.context.on("response", self._note)
        self.page = self.context.new_page()

    def _note(self, response) -> None:
        if response.url.startswith("http"):  # not blob: or data: URLs, which the browser answers itself
            self.served_by.append((response.headers.get("x-replica", "none"), response.url))

    def open(self, url: str) -> None:
        self.page.goto(url)
        site_browser.wait_idle(self.page, settle_ms=300)
        assert self.page.locator("[data-testid='stException']").count() == 0, url

    def replica(self) -> str:
        """The replica named by this visitor's affinity cookie."""
        cookies = {c["name"]: c["value"] for c in self.context.cookies()}
        return cookies["SERVERID"]

    def upload(self, path) -> None:
        """Upload a PNG on the reconstruction page and wait for its reconstruction."""
        self.page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", str(path))
        self.page.get_by_role("heading", name=f"1. {path.name}").wait_for(timeout=60_000)
        site_browser.wait_idle(self.page, settle_ms=300)


def test_two_visitors_land_on_different_replicas_and_each_stays_on_its_own(site, chromium, tmp_path):
    probe = EmptyConnection(site.port)  # checked at the end, once HAProxy's request timeout has passed
    upload = site_browser.digit_png(tmp_path / "three.png", 3, seed=0)
    visitors = [Visitor(chromium), Visitor(chromium)]
    for visitor in visitors:
        visitor.open(site.url + "/reconstruction")
    assert {v.replica() for v in visitors} == {"r1", "r2"}  # round robin over the first requests
    for visitor in visitors:
        visitor.upload(upload)
        assert visitor.page.locator("[data-testid='stException']").count() == 0
        # Its input and reconstruction at least (the page's wording is tested in test_browser.py).
        assert visitor.page.locator("[data-testid='stImage'] img").count() >= 2
    replicas = [v.replica() for v in visitors]
    for visitor, replica in zip(visitors, replicas, strict=True):
        assert len(visitor.served_by) > 10  # the pages, scripts, media and upload responses
        other = [(name, url) for name, url in visitor.served_by if name != replica]
        assert not other, f"responses not from {replica}: {other[:5]}"
        visitor.context.close()
    check_haproxy_log(site.requests(), set(replicas))
    assert probe.answer() == b""


class EmptyConnection:
    """A connection that never sends a request, as Chromium opens spare ones ahead of need.

    HAProxy must close it without an answer (option http-ignore-probes): a 408 sent on it can
    be read by the browser as the answer to a request it sends at that moment (seen in load_test).
    """

    TIMEOUT = 15  # deploy/haproxy.cfg's `timeout http-request`

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.opened = time.monotonic()

    def answer(self) -> bytes:
        """What HAProxy sent before closing it, once its request timeout has passed."""
        time.sleep(max(0.0, self.opened + self.TIMEOUT + 1 - time.monotonic()))
        self.sock.settimeout(5)
        try:
            return self.sock.recv(100)
        finally:
            self.sock.close()


def check_haproxy_log(requests: list[dict], replicas: set[str]) -> None:
    """Every request that carried an affinity cookie went to its replica; each replica served a
    websocket and an accepted upload to the visitor pinned to it."""
    pinned = [r for r in requests if r["cookie_sent"] != "-"]
    assert pinned and all(r["cookie_sent"] == f"SERVERID={r['replica']}" for r in pinned)
    for name in replicas:
        mine = [r for r in pinned if r["replica"] == name]
        assert any(r["path"] == "/_stcore/stream" and r["status"] == "101" for r in mine), name
        uploads = [r for r in mine if r["path"].startswith("/_stcore/upload_file") and r["method"] == "PUT"]
        assert uploads and all(r["status"] in ("200", "204") for r in uploads), (name, uploads)


def test_stats_socket_reports_every_replica_up_and_stop_ends_every_process(tmp_path):
    replicas = serve_replicas.Replicas(2, workdir=tmp_path)
    replicas.start()
    processes = [replicas.haproxy, *replicas.processes]
    assert [(r["svname"], r["status"]) for r in replicas.stats()] == [("r1", "UP"), ("r2", "UP")]
    replicas.stop()
    assert all(p.poll() is not None for p in processes)
    assert not any(serve_replicas.health_ok(p) for p in [replicas.port, *replicas.replica_ports])


def test_the_command_line_starts_a_detached_set_up_and_stop_ends_it():
    port = serve_replicas.free_port_block(2)
    script = [sys.executable, str(ROOT / "scripts" / "serve_replicas.py")]
    started = subprocess.run(
        [*script, "start", "--replicas", "2", "--port", str(port), "--detach"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        assert started.returncode == 0, started.stderr
        assert f"serving at http://127.0.0.1:{port}" in started.stdout
        assert all(serve_replicas.health_ok(p) for p in (port, port + 1, port + 2))
    finally:
        stopped = subprocess.run([*script, "stop", "--port", str(port)], capture_output=True, text=True, timeout=30)
    assert stopped.returncode == 0, stopped.stderr
    deadline = time.monotonic() + 20
    while any(serve_replicas.health_ok(p) for p in (port, port + 1, port + 2)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(serve_replicas.health_ok(p) for p in (port, port + 1, port + 2))
