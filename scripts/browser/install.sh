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

if "$(dirname "$0")/../ci/apt-install.sh" browser "(the browser test is skipped)" chromium chromium-driver; then
  echo "browser: installed $(/usr/bin/chromium --version 2>/dev/null | head -1)"
fi
