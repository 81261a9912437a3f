#!/usr/bin/env bash
# Schemathesis (every phase, --checks all, --seed 0) with the login hook
# against the release mock, for the reference spec and every fixture with
# operations; one summary table at the end (docs/robustness.md, "Schemathesis
# and the suite against the mock, every fixture"). Loopback only: each mock
# listens on 127.0.0.1, port 0.
#
#   scripts/bench/schemathesis-fixtures.sh [SPEC...]
#
# Without SPEC: openapi/reference.yaml and fixtures/*.yaml. Environment:
#   SCHEMATHESIS_EXAMPLES  --max-examples (default 20)
#   MOCK_SERVER            the mock binary (default target/release/mock-server,
#                          built with `cargo build --release -p mock-server` if absent)
#   OUT                    where reports go (default target/bench/schemathesis-fixtures):
#                          NAME.out (Schemathesis's output), NAME.ndjson (its events,
#                          Authorization sanitized), NAME.hook.log, NAME.mock.log,
#                          summary.txt (the table and every finding)
#
# Columns: requests Schemathesis checked, answers with a 5xx, unique
# response-schema violations (ST101), other unique findings, errors of
# Schemathesis itself, the hook's logins, and for operations behind a token:
# how many there are, requests carrying the hook's token, and how many of
# those got a 2xx (the proof that the hook logs in). `client` is the same for
# requests authenticated as the OAuth client (HTTP Basic). Exit status 1 when
# a 5xx or a schema violation was found, 0 otherwise.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export SCHEMATHESIS_EXAMPLES=${SCHEMATHESIS_EXAMPLES:-20}
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in scripts/bench
mock=${MOCK_SERVER:-$root/target/release/mock-server}
out=${OUT:-$root/target/bench/schemathesis-fixtures}
mkdir -p "$out"

if [ ! -x "$mock" ]; then
    cargo build --release -p mock-server >&2
fi

if [ $# -gt 0 ]; then
    specs=("$@")
else
    specs=(openapi/reference.yaml fixtures/*.yaml)
fi

mock_pid=
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

summary="$out/summary.txt"
: > "$summary"
rows=()
bad=0
for spec in "${specs[@]}"; do
    name=$(basename "$spec" .yaml)
    name=${name%.json}
    "$mock" --spec "$spec" --host 127.0.0.1 --port 0 > "$out/$name.mock.log" 2>&1 &
    mock_pid=$!
    url=
    for _ in $(seq 1 200); do
        url=$(grep -so 'listening on *http://127\.0\.0\.1:[0-9]*' "$out/$name.mock.log" | grep -o 'http://.*' || true)
        [ -n "$url" ] && break
        kill -0 "$mock_pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$url" ]; then
        echo "$name: the mock did not start:" >&2
        cat "$out/$name.mock.log" >&2
        exit 2
    fi
    rm -f "$out/$name.hook.log" "$out/$name.ndjson"
    echo "== $name ($spec) at $url" >&2
    SCHEMATHESIS_LOGIN=1 \
        AUTH_HOOK_LOG="$out/$name.hook.log" \
        SCHEMATHESIS_KEEP_REPORT="$out/$name.ndjson" \
        scripts/bench/schemathesis.sh "$url" "$spec" \
        --phases examples,coverage,fuzzing,stateful > "$out/$name.out" 2>&1 || true
    grep '^schemathesis_' "$out/$name.out" >&2 || true
    cleanup
    mock_pid=
    venv=${SCHEMATHESIS_VENV:-$root/target/bench/schemathesis-venv}
    if [ ! -s "$out/$name.ndjson" ]; then
        echo "$name: Schemathesis wrote no report; see $out/$name.out" >&2
        rows+=("$name - - - - - - - - - - -")
        bad=1
        continue
    fi
    report=$("$venv/bin/python" scripts/bench/schemathesis_report.py "$spec" "$out/$name.ndjson" "$out/$name.hook.log")
    figures=$(echo "$report" | sed -n 1p)
    {
        echo "## $name: $figures"
        echo "$report" | sed -n '2,$p' | sed 's/^finding=/  /'
    } >> "$summary"
    get() { echo "$figures" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    if [ "$(get s5xx)" != 0 ] || [ "$(get schema)" != 0 ] || [ "$(get server_error)" != 0 ]; then
        bad=1
    fi
    rows+=("$name $(get requests) $(get s5xx) $(get schema) $(get other) $(get errors) $(get logins) $(get token_ops) $(get token_reqs) $(get token_2xx) $(get client_reqs) $(get client_2xx)")
done

{
    echo
    echo "Schemathesis $("${SCHEMATHESIS_VENV:-$root/target/bench/schemathesis-venv}/bin/schemathesis" --version | awk '{print $NF}'), --max-examples $SCHEMATHESIS_EXAMPLES, every phase, --checks all, --seed 0, login hook"
    printf '%-28s %8s %5s %7s %6s %7s %7s %10s %11s %10s %12s %11s\n' \
        spec requests 5xx schema other errors logins token-ops token-reqs token-2xx client-reqs client-2xx
    for row in "${rows[@]}"; do
        # shellcheck disable=SC2086
        printf '%-28s %8s %5s %7s %6s %7s %7s %10s %11s %10s %12s %11s\n' $row
    done
} | tee -a "$summary"
echo "findings: $summary" >&2
exit "$bad"
