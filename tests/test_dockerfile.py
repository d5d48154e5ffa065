"""The Dockerfile: what it is built from, and its command and health check, run outside a container.

No container runtime runs where these tests run, so the image is never built here. Instead the
Dockerfile's own CMD and HEALTHCHECK commands run in this virtual environment, with the ENV it
sets and a free PORT: Streamlit must answer `ok` on /_stcore/health, and the health check must pass.
"""

import json
import os
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = "\n".join(line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#"))
    joined = text.replace("\\\n", " ")
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip()) for line in joined.splitlines() if line.strip()
    ]


def last(name: str) -> str:
    """The arguments of the last `name` instruction (the one that takes effect)."""
    found = [args for instr, args in instructions() if instr == name]
    assert found, f"the Dockerfile has no {name}"
    return found[-1]


def env() -> dict:
    """Every ENV the Dockerfile sets (the KEY=VALUE form)."""
    pairs = [p for instr, args in instructions() if instr == "ENV" for p in shlex.split(args)]
    return dict(p.split("=", 1) for p in pairs)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_image_is_python_312_slim_non_root_with_only_the_sites_requirements():
    assert last("FROM") == "python:3.12-slim"
    user = last("USER")
    assert user not in ("root", "0") and not user.startswith(("root:", "0:"))
    installs = [args for instr, args in instructions() if instr == "RUN" and "pip install" in args]
    assert installs == ["pip install -r requirements.txt"]
    assert "--server.address 0.0.0.0" in last("CMD")  # reachable from outside the container
    assert env()["PORT"] == "8501"


def test_the_dockerignore_keeps_environments_history_and_tests_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".venv*", ".git", "bench/out", "runs", "tests"):
        assert entry in ignored


def container_env(port: int) -> dict:
    """This process's environment with the Dockerfile's ENV and PORT set; the venv's scripts first on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, **env(), "PORT": str(port), "PATH": bin_dir + os.pathsep + os.environ["PATH"]}


def healthcheck_command() -> list[str]:
    """HEALTHCHECK's command (its exec form), after the options."""
    args = last("HEALTHCHECK")
    return json.loads(args[args.index("CMD") + len("CMD") :])


def wait_for_health(proc, port: int, timeout: float = 60) -> bytes:
    """The body /_stcore/health answers once it answers at all; fails the test on exit or timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the Dockerfile's command exited with {proc.returncode}"
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read()
        except OSError:
            time.sleep(0.2)
    pytest.fail("the Dockerfile's command did not answer /_stcore/health")


def test_the_command_serves_the_site_on_port_and_the_health_check_passes():
    command = json.loads(last("CMD"))
    # This machine may only listen on loopback: the one change to the command as written.
    command = [c.replace("--server.address 0.0.0.0", "--server.address 127.0.0.1") for c in command]
    port = free_port()
    environment = container_env(port)
    proc = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for_health(proc, port) == b"ok"
        check = subprocess.run(healthcheck_command(), env=environment, timeout=10)
        assert check.returncode == 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # With `exec`, sh is replaced by Streamlit, so the SIGTERM a container stop sends reached it.
    assert proc.returncode in (0, -15)
    stopped = subprocess.run(healthcheck_command(), env=environment, timeout=10, capture_output=True)
    assert stopped.returncode != 0  # and with nothing listening, the health check fails
