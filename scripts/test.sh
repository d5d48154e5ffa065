#!/usr/bin/env bash
# Set up and run every test on a fresh machine: a virtual environment with the pinned
# requirements, Debian's Chromium (and fonts, HAProxy) for the browser tests, ruff, then pytest.
#
#   bash scripts/test.sh              # with python3.11 (or $PYTHON), in .venv
#   PYTHON=python3.12 VENV=.venv312 bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
VENV=${VENV:-.venv}

# Debian's packages: Chromium for the browser tests, a CJK font so that it draws Hangul, HAProxy
# for the multi-replica test.
PACKAGES="chromium fonts-noto-cjk haproxy"
if ! dpkg -s $PACKAGES >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >/dev/null
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -r requirements.txt -r requirements-dev.txt
"$VENV/bin/python" --version
"$VENV/bin/ruff" check .  # lint (pyproject.toml)
"$VENV/bin/ruff" format --check .
TF_CPP_MIN_LOG_LEVEL=2 "$VENV/bin/python" -m pytest -p no:cacheprovider -q "$@"
