#!/usr/bin/env bash
# Install headless Chromium for the browser test
# (mock-server/tests/it/browser.rs). Idempotent: does nothing when Chromium
# is already there; `apt-get update` only when the package is unknown.
# Debian/Ubuntu with root (or sudo). Exits 0 with a message when it cannot
# install: the test then says it was skipped and why.
set -euo pipefail

for c in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  if [ -n "$c" ] && [ -x "$c" ]; then
    echo "browser: $c present"
    exit 0
  fi
done

if ! command -v apt-get >/dev/null; then
  echo "browser: no apt-get here; install Chromium by hand (the browser test is skipped)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "browser: not root and no sudo; cannot install Chromium (the browser test is skipped)"
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show chromium >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi
if $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; then
  echo "browser: installed $(/usr/bin/chromium --version 2>/dev/null | head -1)"
else
  echo "browser: apt-get install chromium failed (the browser test is skipped)"
fi
