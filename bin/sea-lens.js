#!/usr/bin/env node
// The CLI is bundled by `npm run build`; this stub only points at the bundle with a helpful message.
const { existsSync } = require('node:fs');
const path = require('node:path');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
if (!existsSync(bundle)) {
  console.error('sea-lens: dist/cli.js is missing. Run `npm run build` in the SEA Lens checkout first.');
  process.exit(2);
}
require(bundle);
