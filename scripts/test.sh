#!/usr/bin/env bash
# Set up and run every test on a fresh machine: a virtual environment with the pinned
# requirements, Debian's Chromium for the browser test, then pytest.
#
#   bash scripts/test.sh              # with python3.11 (or $PYTHON), in .venv
#   PYTHON=python3.12 VENV=.venv312 bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
VENV=${VENV:-.venv}

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -r requirements.txt -r requirements-dev.txt
"$VENV/bin/python" --version
TF_CPP_MIN_LOG_LEVEL=2 "$VENV/bin/python" -m pytest -p no:cacheprovider -q "$@"
