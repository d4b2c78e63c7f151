#!/usr/bin/env node
// Runs the compiled CLI when present, otherwise compiles TypeScript on the fly with ts-node-free require hooks.
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'dist', 'generators', 'src', 'cli', 'main.js');
if (!fs.existsSync(compiled)) {
  console.error('mes: the CLI is not built yet; run `npm run build` first.');
  process.exit(1);
}
require(compiled);
