import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without type declarations
import { buildOtlpDescriptor, DESCRIPTOR_MODULE_PATH, renderOtlpDescriptorModule } from '../../../../scripts/generate-otlp-descriptor.mjs';
import { otlpDescriptor } from './otlpDescriptor.js';

describe('otlpDescriptor', () => {
  it('is exactly what scripts/generate-otlp-descriptor.mjs makes from proto/ (regenerate after changing the protos)', () => {
    const fresh = buildOtlpDescriptor();
    expect(otlpDescriptor).toEqual(fresh);
    expect(readFileSync(DESCRIPTOR_MODULE_PATH, 'utf8')).toBe(renderOtlpDescriptorModule(fresh));
  });

  it('describes the OTLP trace and logs messages FLUO uses', () => {
    const json = JSON.stringify(otlpDescriptor);
    for (const name of ['ExportTraceServiceRequest', 'ExportTracePartialSuccess', 'ResourceSpans', 'ScopeSpans', 'AnyValue', 'ExportLogsServiceRequest', 'LogRecord']) {
      expect(json).toContain(`"${name}"`);
    }
  });
});
