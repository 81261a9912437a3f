#!/usr/bin/env bash
# Fetches two releases of npm `@octokit/openapi` (GitHub's own OpenAPI
# description of api.github.com) for the drift benchmark and the ignored
# real-pair test:
#
#   scripts/drift/octokit.sh [OLD [NEW]]      # default: 22.0.0 23.0.2
#   cargo bench -p drift --bench github
#   cargo test -p drift -- --ignored
#
# Each release is unpacked (npm pack + tar, no install scripts run) into
# target/octokit/VERSION/, keeping only generated/api.github.com.json
# (~12 MB each). List the releases with `npm view @octokit/openapi versions`.
# A version already unpacked is not fetched again.
set -euo pipefail
cd "$(dirname "$0")/../.."

OLD="${1:-${OCTOKIT_OLD:-22.0.0}}"
NEW="${2:-${OCTOKIT_NEW:-23.0.2}}"
CACHE="${OCTOKIT_CACHE:-target/octokit}"

command -v npm >/dev/null || { echo "npm is needed (https://nodejs.org)" >&2; exit 2; }

fetch() {
    local version=$1 dir="$CACHE/$1"
    if [[ -s "$dir/api.github.com.json" ]]; then
        echo "have $dir/api.github.com.json"
        return
    fi
    local tmp
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" RETURN
    echo "fetching @octokit/openapi@$version"
    local tgz
    tgz=$(npm pack --silent --pack-destination "$tmp" "@octokit/openapi@$version" | tail -n 1)
    tar -xzf "$tmp/$tgz" -C "$tmp" package/generated/api.github.com.json package/package.json
    mkdir -p "$dir"
    mv "$tmp/package/generated/api.github.com.json" "$tmp/package/package.json" "$dir/"
    echo "wrote $dir/api.github.com.json"
}

fetch "$OLD"
fetch "$NEW"

cat <<MSG

The bench and the ignored test read these by default (override with):
  export DRIFT_GITHUB_OLD=$PWD/$CACHE/$OLD/api.github.com.json
  export DRIFT_GITHUB_NEW=$PWD/$CACHE/$NEW/api.github.com.json
MSG
