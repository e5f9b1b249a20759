#!/usr/bin/env bash
# Installs the system packages the tests use for real, when they are missing:
#   chromium      the demo's and the docs site's end-to-end tests (headless, /usr/bin/chromium)
#   redis-server  the fleet tests
# On Debian and Ubuntu it installs them with apt-get, as root or through sudo; elsewhere, or
# without the rights to, it says what to install and fails. It does nothing when both are there.
# The README's test command: ./scripts/setup-test-env.sh && npm ci && npm test
set -euo pipefail

fail() {
  echo "setup-test-env: $*" >&2
  exit 1
}

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || fail "Node 20 or later is needed (found: $(node --version 2>/dev/null || echo none))."

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-test-env: chromium and redis-server are installed."
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  fail "the tests need ${missing[*]}, and this is not a Debian-like system (no apt-get): install them with your package manager (Chromium as /usr/bin/chromium), then run again."
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
  as_root=(sudo)
else
  fail "the tests need ${missing[*]}; run as root, or with sudo: sudo apt-get install -y ${missing[*]}"
fi

echo "setup-test-env: installing ${missing[*]} with apt-get..."
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-test-env: installed ${missing[*]}."
