#!/usr/bin/env node
/**
 * Generates packages/engine/src/otlp/otlpDescriptor.ts from the vendored OTLP
 * protos in proto/ (see proto/README.md).
 *
 * The engine never parses .proto text at run time (it has no file access and
 * must run in browsers); it builds its protobufjs types from the JSON
 * descriptor this script writes. Run it after updating proto/:
 *
 *   node scripts/generate-otlp-descriptor.mjs
 *
 * `otlpDescriptor.test.ts` rebuilds the module text with `renderOtlpDescriptorModule`
 * and fails if the checked-in file differs, so the two cannot drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The protos FLUO needs, in load order; imports are resolved against the proto root. */
export const OTLP_PROTO_FILES = [
  'opentelemetry/proto/common/v1/common.proto',
  'opentelemetry/proto/resource/v1/resource.proto',
  'opentelemetry/proto/trace/v1/trace.proto',
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/logs/v1/logs.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
];

export const DEFAULT_PROTO_DIR = join(repoRoot, 'proto');
export const DESCRIPTOR_MODULE_PATH = join(repoRoot, 'packages/engine/src/otlp/otlpDescriptor.ts');

/** Loads the vendored protos and returns protobufjs's JSON descriptor (`root.toJSON()`). */
export function buildOtlpDescriptor(protoDir = DEFAULT_PROTO_DIR) {
  const root = new protobuf.Root();
  // Upstream imports are written relative to the proto root ("opentelemetry/proto/...").
  root.resolvePath = (_origin, target) => (target.startsWith(protoDir) ? target : join(protoDir, target));
  root.loadSync(OTLP_PROTO_FILES.map((file) => join(protoDir, file)), { keepCase: false });
  root.resolveAll();
  return root.toJSON();
}

/** The TypeScript module text for a descriptor. */
export function renderOtlpDescriptorModule(descriptor) {
  const files = OTLP_PROTO_FILES.map((file) => ` *   proto/${file}`).join('\n');
  return `/**
 * GENERATED FILE, do not edit. Produced by scripts/generate-otlp-descriptor.mjs
 * (\`node scripts/generate-otlp-descriptor.mjs\`) from the vendored OTLP protos:
${files}
 * It is protobufjs's JSON descriptor (\`Root.toJSON()\`, camelCase field names,
 * input for \`protobuf.Root.fromJSON\`). otlpDescriptor.test.ts fails if this
 * file differs from a fresh generation.
 */
export const otlpDescriptor = ${JSON.stringify(descriptor, null, 2)};
`;
}

function main() {
  const text = renderOtlpDescriptorModule(buildOtlpDescriptor());
  const previous = (() => {
    try {
      return readFileSync(DESCRIPTOR_MODULE_PATH, 'utf8');
    } catch {
      return null;
    }
  })();
  if (previous === text) {
    console.log(`${DESCRIPTOR_MODULE_PATH} is up to date`);
    return;
  }
  writeFileSync(DESCRIPTOR_MODULE_PATH, text);
  console.log(`wrote ${DESCRIPTOR_MODULE_PATH}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
