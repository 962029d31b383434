#!/usr/bin/env node
// The `fluo` command. The TypeScript sources are compiled by `npm run build`
// (run automatically by `npm ci` through the root `prepare` script).
import { main } from '../dist/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`fluo: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 70;
  },
);
