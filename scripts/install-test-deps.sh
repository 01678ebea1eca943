#!/usr/bin/env bash
# Installs what the acceptance suites need beyond cargo:
#   * Debian packages: chromium (and node/npm, python3-venv when they are missing), and
#     prometheus for `promtool` (tests/suites/deploy.rs checks deploy/prometheus-alerts.yml);
#   * tests/clients/node: `npm ci` from the committed package-lock.json
#     (@segment/analytics-node, analytics-node 6, @rudderstack/rudder-sdk-node,
#     @segment/analytics-next, playwright-core);
#   * a Python virtualenv at ${CARGO_TARGET_DIR:-target}/test-clients/python with the
#     pinned tests/clients/python/requirements.txt (segment-analytics-python,
#     rudder-sdk-python).
# Idempotent: each step is skipped when what it installs is already there and up to date
# (the lockfile / requirements file installed last is kept next to what it installed).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
node_dir="$root/tests/clients/node"
requirements="$root/tests/clients/python/requirements.txt"
venv="$target_dir/test-clients/python"

say() { printf 'install-test-deps: %s\n' "$*" >&2; }

# --- Debian packages --------------------------------------------------------------
packages=()
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || packages+=(chromium)
[ -x "${PROMTOOL:-/usr/bin/promtool}" ] || packages+=(prometheus)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
fi
# The spool hardening suite salvages a corrupt spool with sqlite3, as docs/operations.md says.
command -v sqlite3 >/dev/null 2>&1 || packages+=(sqlite3)
# ... and makes its writes fail with a file size limit set by prlimit.
command -v prlimit >/dev/null 2>&1 || packages+=(util-linux)
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    packages+=(python3 python3-venv)
fi
if [ "${#packages[@]}" -gt 0 ]; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    say "installing Debian packages: ${packages[*]}"
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    say "Node.js $(node --version) is too old: @segment/analytics-node and playwright-core need Node.js 20 or later"
    exit 1
fi

# --- npm packages -----------------------------------------------------------------
node_stamp="$node_dir/node_modules/.installed-package-lock.json"
if cmp -s "$node_dir/package-lock.json" "$node_stamp"; then
    say "npm packages are up to date"
else
    say "npm ci in tests/clients/node"
    (cd "$node_dir" && npm ci --ignore-scripts --no-audit --no-fund)
    cp "$node_dir/package-lock.json" "$node_stamp"
fi

# --- Python virtualenv ------------------------------------------------------------
python_stamp="$venv/requirements.installed.txt"
if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$python_stamp"; then
    say "Python virtualenv is up to date ($venv)"
else
    say "creating the Python virtualenv at $venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv --clear "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$requirements"
    "$venv/bin/python" -m pip check
    cp "$requirements" "$python_stamp"
fi
say "done"
