#!/usr/bin/env bash
# Record simplejwt's real answers in the three scenarios of record.py and write
# fixtures/simplejwt.recorded.json and its rendering, fixtures/simplejwt.recorded.md.
# Starts and stops its own servers on free loopback ports; leaves nothing running.
#   scripts/simplejwt/record-all.sh [OUT.json]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/../../fixtures/simplejwt.recorded.json}"
TMP="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

record() { # scenario, then env assignments
    local scenario="$1"; shift
    local port; port="$(free_port)"
    env "$@" SIMPLEJWT_DB="$TMP/$scenario.sqlite3" "$HERE/run.sh" "$port" >"$TMP/$scenario.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 600); do
        if curl -s -o /dev/null "http://127.0.0.1:$port/api/me/"; then break; fi
        kill -0 "$PID" 2>/dev/null || { cat "$TMP/$scenario.log" >&2; exit 1; }
        sleep 0.2
    done
    "$HERE/.venv/bin/python" "$HERE/record.py" "http://127.0.0.1:$port" "$scenario" >"$TMP/$scenario.json"
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}

record main SIMPLEJWT_BLACKLIST=1
record expiry SIMPLEJWT_BLACKLIST=1 SIMPLEJWT_ACCESS_TTL=2 SIMPLEJWT_REFRESH_TTL=4
record noblacklist SIMPLEJWT_BLACKLIST=0

"$HERE/.venv/bin/python" - "$TMP" "$OUT" <<'PY'
import json, sys, importlib.metadata as md
tmp, out = sys.argv[1], sys.argv[2]
doc = {
    "target": "djangorestframework-simplejwt (scripts/simplejwt)",
    "versions": {p: md.version(p) for p in ("Django", "djangorestframework", "djangorestframework-simplejwt", "PyJWT")},
    "scenarios": [json.load(open(f"{tmp}/{s}.json")) for s in ("main", "expiry", "noblacklist")],
}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
PY
"$HERE/.venv/bin/python" "$HERE/render.py" "$OUT" > "${OUT%.json}.md"
echo "recorded -> $OUT and ${OUT%.json}.md" >&2
