/**
 * `require` for optional peer dependencies, resolved from this package's
 * location (ESM build). The CommonJS build uses peerRequire.cts; package.json
 * "imports" picks the file matching the format that loads it.
 */
import { createRequire } from 'node:module';

export const peerRequire: NodeJS.Require = createRequire(import.meta.url);
