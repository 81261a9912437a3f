#!/usr/bin/env bash
# Install Debian's redis-server for the replica tests
# (mock-server/tests/it/redis.rs) and benchmark (mock-server/benches/redis.rs).
# Idempotent: does nothing when redis-server is already there; `apt-get
# update` only when the package is unknown. Debian/Ubuntu with root (or
# sudo). Exits 0 with a message when it cannot install: outside CI the tests
# then say they were skipped; in CI (CI set) they fail, as they must run.
set -euo pipefail

if command -v redis-server >/dev/null; then
  echo "redis: $(redis-server --version | head -1)"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "redis: no apt-get here; install redis-server by hand"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "redis: not root and no sudo; cannot install redis-server"
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show redis-server >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi
if $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null; then
  echo "redis: installed $(redis-server --version | head -1)"
else
  echo "redis: apt-get install redis-server failed"
fi
