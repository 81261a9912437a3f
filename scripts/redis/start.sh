#!/usr/bin/env bash
# Start a throwaway redis-server in the foreground for trying replicas by
# hand (docs/replicas.md): `scripts/redis/start.sh [PORT]` (default 6390),
# loopback only, nothing persisted. Then, in two other shells:
#   mock-server --port 8081 --state redis://127.0.0.1:6390/0
#   mock-server --port 8082 --state redis://127.0.0.1:6390/0
set -euo pipefail
port="${1:-6390}"
command -v redis-server >/dev/null || "$(dirname "$0")/install.sh"
exec redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no
