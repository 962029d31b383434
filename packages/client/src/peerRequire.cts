/** `require` for optional peer dependencies (CommonJS build; see peerRequire.ts). */
export const peerRequire: NodeJS.Require = require;
