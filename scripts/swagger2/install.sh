#!/usr/bin/env bash
# Test-only tools for the Swagger 2.0 conversion (docs/swagger2.md):
# npm `swagger2openapi` (the reference conversion the differential tests
# compare ours with) and `@readme/oas-examples` (real Swagger 2.0
# documents), installed into target/swagger2/ (SWAGGER2_TOOLS). The tools
# of this project never need them. Idempotent: a second run installs
# nothing. Exits 1 without npm or node, or when the install fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

DIR=${SWAGGER2_TOOLS:-target/swagger2}
S2O=7.0.8
EXAMPLES=8.2.2

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "skipped: no $tool on PATH" >&2; exit 1; }
done
if [ -f "$DIR/node_modules/swagger2openapi/package.json" ] \
  && [ -d "$DIR/node_modules/@readme/oas-examples/2.0" ] \
  && grep -q "\"version\": \"$S2O\"" "$DIR/node_modules/swagger2openapi/package.json"; then
  exit 0
fi
mkdir -p "$DIR"
echo "== npm install swagger2openapi@$S2O @readme/oas-examples@$EXAMPLES into $DIR" >&2
npm install --no-audit --no-fund --no-save --prefix "$DIR" \
  "swagger2openapi@$S2O" "@readme/oas-examples@$EXAMPLES" >&2
