/** Types of '#peer-require' (peerRequire.ts for ESM, peerRequire.cts for CommonJS). */
export declare const peerRequire: NodeJS.Require;
