#!/usr/bin/env bash
# Run Schemathesis (from PyPI) against a running target, for the
# conformance benchmark (`cargo bench -p conformance --bench suite`, see
# docs/performance.md). Loopback targets only.
#
#   scripts/bench/schemathesis.sh URL SPEC [EXTRA SCHEMATHESIS ARGS...]
#
# Installs Schemathesis into a venv (SCHEMATHESIS_VENV, default
# target/bench/schemathesis-venv; SCHEMATHESIS_VERSION pins a version),
# then runs
#
#   schemathesis run SPEC --url URL --checks all --workers 2 \
#     --max-examples ${SCHEMATHESIS_EXAMPLES:-100} --seed 0 \
#     --generation-database none EXTRA...
#
# (no example database: every run starts from scratch, as the suite does,
# and nothing is written to the working directory).
#
# With SCHEMATHESIS_LOGIN=1 the auth hook scripts/bench/schemathesis_hooks.py
# is loaded (SCHEMATHESIS_HOOKS, with AUTH_HOOK_SPEC=SPEC and AUTH_HOOK_URL=URL):
# it logs in the way the spec's x-token-lifecycle says and presents the token
# where each operation reads it (see the hook's docstring; AUTH_HOOK_REFRESH
# sets its refresh interval). SCHEMATHESIS_KEEP_REPORT=FILE copies the ndjson
# event stream there (scripts/bench/schemathesis-fixtures.sh reads it).
#
# and prints, after Schemathesis's own output, machine-readable lines:
#
#   schemathesis_version=4.x.y
#   schemathesis_seconds=12.345     (wall time of `schemathesis run`)
#   schemathesis_requests=N         (interactions in its ndjson report)
#   schemathesis_engine_seconds=9.8 (its own running time, without start-up
#                                    and schema loading)
#   schemathesis_exit=CODE
#
# Schemathesis exits non-zero when it finds a failure; that is reported,
# not treated as an error of this script.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 URL SPEC [EXTRA SCHEMATHESIS ARGS...]" >&2
    exit 2
fi
url=$1
spec=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
shift 2

root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${SCHEMATHESIS_VENV:-$root/target/bench/schemathesis-venv}
python=${PYTHON:-python3}
examples=${SCHEMATHESIS_EXAMPLES:-100}

if [ ! -x "$venv/bin/schemathesis" ]; then
    echo "installing schemathesis into $venv" >&2
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis${SCHEMATHESIS_VERSION:+==$SCHEMATHESIS_VERSION}" >&2
fi
version=$("$venv/bin/schemathesis" --version | awk '{print $NF}')

if [ "${SCHEMATHESIS_LOGIN:-0}" = 1 ]; then
    export SCHEMATHESIS_HOOKS=schemathesis_hooks
    export PYTHONPATH="$root/scripts/bench${PYTHONPATH:+:$PYTHONPATH}"
    export AUTH_HOOK_SPEC="$spec" AUTH_HOOK_URL="$url"
    export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in scripts/bench
fi

report_dir=$(mktemp -d)
trap 'rm -rf "$report_dir"' EXIT

# Run from the scratch directory: Schemathesis keeps a cache
# (.schemathesis/) in its working directory.
cd "$report_dir"
start=$(date +%s.%N)
set +e
"$venv/bin/schemathesis" run "$spec" \
    --url "$url" \
    --checks all \
    --workers 2 \
    --max-examples "$examples" \
    --seed 0 \
    --generation-database none \
    --no-color \
    --report ndjson --report-dir "$report_dir" \
    "$@"
code=$?
set -e
end=$(date +%s.%N)

echo "schemathesis_version=$version"
echo "schemathesis_seconds=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')"
# Every exchange Schemathesis made is one interaction in its ndjson event
# stream; count them when the report exists.
ndjson=$(find "$report_dir" -name '*.ndjson' | head -n 1)
if [ -n "$ndjson" ] && [ -n "${SCHEMATHESIS_KEEP_REPORT:-}" ]; then
    cp "$ndjson" "$SCHEMATHESIS_KEEP_REPORT"
fi
if [ -n "$ndjson" ]; then
    n=$("$venv/bin/python" - "$ndjson" <<'PY'
import json, sys
count = 0
engine = None
with open(sys.argv[1]) as f:
    for line in f:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if "EngineFinished" in event:
            engine = event["EngineFinished"].get("running_time")
        def walk(v):
            global count
            if isinstance(v, dict):
                for k, x in v.items():
                    if k == "interactions" and isinstance(x, (dict, list)):
                        count += len(x)
                    else:
                        walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        walk(event)
print(count)
if engine is not None:
    print("%.3f" % engine)
PY
)
    echo "schemathesis_requests=$(echo "$n" | sed -n 1p)"
    engine=$(echo "$n" | sed -n 2p)
    if [ -n "$engine" ]; then
        echo "schemathesis_engine_seconds=$engine"
    fi
fi
echo "schemathesis_exit=$code"
