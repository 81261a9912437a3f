#!/usr/bin/env bash
# The drift gates of docs/ci.md, on this repository's own specs. Usable
# locally and from .ci/run:
#
#   scripts/ci/gates.sh            # lint, diff, mock (and staging when STAGING_URL is set)
#   scripts/ci/gates.sh lint diff  # only some gates: lint, diff, mock, staging
#
# - lint:    `conformance lint` on openapi/*.yaml and fixtures/*.yaml; fails
#            on a breaking finding (fixtures/lint/ holds deliberately broken
#            specs and is not linted here).
# - diff:    openapi/reference.yaml against git:$DIFF_BASE:openapi/reference.yaml
#            (DIFF_BASE defaults to HEAD~1; skipped when that revision or
#            file does not exist, e.g. on a fresh clone with one commit).
# - mock:    for the reference spec and each fixture, mock-server on a free
#            loopback port, then `conformance run --cases $CASES` against it.
# - staging: `conformance run` against $STAGING_URL with $STAGING_USER /
#            $STAGING_USER2 (NAME:PASSWORD) and $STAGING_SPEC; skipped when
#            STAGING_URL is unset.
#
# Reports (JUnit XML, plus diff.md for a PR comment) go to target/ci/.
# Every gate runs; the exit status is 1 when any failed, 2 on bad usage.
# Env: PROFILE=debug|release (default debug, shares .ci/run's build),
# CASES (default 50), DIFF_BASE, CARGO_TARGET_DIR, NO_BUILD=1 (use the
# binaries already in target/PROFILE/).
set -euo pipefail
cd "$(dirname "$0")/../.."

PROFILE="${PROFILE:-debug}"
CASES="${CASES:-50}"
DIFF_BASE="${DIFF_BASE:-HEAD~1}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
OUT="$TARGET_DIR/ci"
BIN="$TARGET_DIR/$PROFILE"
WAIT_SECONDS=30

gates=("$@")
[[ ${#gates[@]} -eq 0 ]] && gates=(lint diff mock staging)
for g in "${gates[@]}"; do
    case "$g" in
        lint | diff | mock | staging) ;;
        *) echo "usage: $0 [lint] [diff] [mock] [staging]" >&2; exit 2 ;;
    esac
done

mkdir -p "$OUT"
failed=()
pids=()

cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z "${NO_BUILD:-}" ]]; then
    echo "== gates: building conformance and mock-server ($PROFILE)"
    build=(cargo build --quiet -p conformance -p mock-server --bins)
    [[ "$PROFILE" == release ]] && build+=(--release)
    "${build[@]}"
fi
CONFORMANCE="$BIN/conformance"
MOCK="$BIN/mock-server"

# The file name without directory and extension: reference, globkurier...
name_of() { local b; b=$(basename "$1"); echo "${b%.*}"; }

gate_lint() {
    local spec name
    for spec in openapi/*.yaml fixtures/*.yaml; do
        name=$(name_of "$spec")
        echo "-- lint $spec"
        # The text on the console, the JUnit report in target/ci/.
        if ! "$CONFORMANCE" lint "$spec" --fail-on breaking; then
            failed+=("lint $spec")
        fi
        "$CONFORMANCE" lint "$spec" --format junit --output "$OUT/lint-$name.xml" >/dev/null || true
    done
}

gate_diff() {
    local spec=openapi/reference.yaml
    if ! git rev-parse --quiet --verify "$DIFF_BASE^{commit}" >/dev/null 2>&1; then
        echo "-- diff skipped: no revision $DIFF_BASE (a fresh clone with one commit?)"
        return
    fi
    if ! git cat-file -e "$DIFF_BASE:$spec" 2>/dev/null; then
        echo "-- diff skipped: $spec does not exist at $DIFF_BASE"
        return
    fi
    echo "-- diff git:$DIFF_BASE:$spec $spec"
    if ! "$CONFORMANCE" diff "git:$DIFF_BASE:$spec" "$spec" --fail-on breaking; then
        failed+=("diff $spec against $DIFF_BASE")
    fi
    "$CONFORMANCE" diff "git:$DIFF_BASE:$spec" "$spec" \
        --format junit --output "$OUT/diff.xml" >/dev/null || true
    "$CONFORMANCE" diff "git:$DIFF_BASE:$spec" "$spec" \
        --format markdown --output "$OUT/diff.md" >/dev/null || true
}

# Starts mock-server for a spec on a free loopback port (--port 0) and sets
# URL from the line it prints once listening. Bounded wait.
start_mock() {
    local spec=$1 log=$2 pid i
    URL=""
    "$MOCK" --spec "$spec" --host 127.0.0.1 --port 0 >"$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    MOCK_PID=$pid
    for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
        # The banner's "  listening on  http://127.0.0.1:PORT" line (older
        # banners: "mock-server: serving ... on http://...").
        URL=$(sed -n -e 's/^  listening on *\(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' \
            -e 's/^mock-server: serving .* on \(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$log" | head -n 1)
        [[ -n "$URL" ]] && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "mock-server exited early:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "mock-server did not start within ${WAIT_SECONDS}s:" >&2
    cat "$log" >&2
    return 1
}

stop_mock() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

gate_mock() {
    local spec name
    for spec in openapi/reference.yaml fixtures/*.yaml; do
        name=$(name_of "$spec")
        echo "-- mock self-test $spec"
        if ! start_mock "$spec" "$OUT/mock-$name.log"; then
            failed+=("mock $spec (did not start)")
            continue
        fi
        # A spec that logs in through the authorization-code flow only is
        # logged in by the worked example's command (docs/oauth.md).
        login=()
        if grep -q 'action: exchange-code' "$spec"; then
            login=(--login-command "python3 scripts/oauth/authcode-login.py")
        fi
        if ! "$CONFORMANCE" run --target "$URL" --spec "$spec" --cases "$CASES" \
            "${login[@]}" --report "junit=$OUT/run-$name.xml"; then
            failed+=("mock self-test $spec")
        fi
        stop_mock "$MOCK_PID"
    done
}

gate_staging() {
    if [[ -z "${STAGING_URL:-}" ]]; then
        echo "-- staging skipped: STAGING_URL is not set"
        return
    fi
    local args=(run --target "$STAGING_URL" --cases "$CASES" --report "junit=$OUT/staging.xml")
    [[ -n "${STAGING_SPEC:-}" ]] && args+=(--spec "$STAGING_SPEC")
    [[ -n "${STAGING_USER:-}" ]] && args+=(--user "$STAGING_USER")
    [[ -n "${STAGING_USER2:-}" ]] && args+=(--user "$STAGING_USER2")
    echo "-- conformance against $STAGING_URL"
    if ! "$CONFORMANCE" "${args[@]}"; then
        failed+=("staging $STAGING_URL")
    fi
}

for g in "${gates[@]}"; do
    echo "== gate: $g"
    "gate_$g"
done

echo "== gates: reports in $OUT/"
if [[ ${#failed[@]} -gt 0 ]]; then
    printf 'FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "all gates passed"
