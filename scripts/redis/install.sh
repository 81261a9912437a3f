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
if "$(dirname "$0")/../ci/apt-install.sh" redis "" redis-server; then
  echo "redis: installed $(redis-server --version | head -1)"
fi
