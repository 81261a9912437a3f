// Converts Swagger 2.0 documents with npm swagger2openapi, for the
// differential tests (openapi/tests/it/swagger2.rs). Installed by
// scripts/swagger2/install.sh into target/swagger2/ (or SWAGGER2_TOOLS).
//
//   node scripts/swagger2/convert.js FILE...
//
// Prints one JSON object: each FILE to its conversion, or to
// {"error": message} when swagger2openapi refuses it.
'use strict';
const fs = require('fs');
const path = require('path');
const dir = process.env.SWAGGER2_TOOLS || path.join(__dirname, '..', '..', 'target', 'swagger2');
const s2o = require(path.resolve(dir, 'node_modules', 'swagger2openapi'));
const yaml = require(path.resolve(dir, 'node_modules', 'yaml'));

async function main() {
  const out = {};
  for (const file of process.argv.slice(2)) {
    const text = fs.readFileSync(file, 'utf8');
    const doc = text.trimStart().startsWith('{') ? JSON.parse(text) : yaml.parse(text);
    try {
      // patch: fix what 2.0 allows loosely; warnOnly: what cannot be
      // converted losslessly (tsv) is marked, not refused.
      const result = await s2o.convertObj(doc, { patch: true, warnOnly: true, direct: true });
      out[file] = result;
    } catch (e) {
      out[file] = { error: String(e && e.message || e) };
    }
  }
  process.stdout.write(JSON.stringify(out));
}
main().catch((e) => { console.error(e); process.exit(1); });
