// The package is "type": "module", so the CommonJS build in dist/cjs needs its
// own package.json saying so (tsc does not write one). Being the nearest
// package.json of the built files, it also maps '#peer-require' to the
// CommonJS implementation (src/peerRequire.cts). Run after the builds.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cjs = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cjs');
mkdirSync(cjs, { recursive: true });
writeFileSync(join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs', imports: { '#peer-require': './peerRequire.cjs' } }, null, 2)}\n`);
