/**
 * The error for OTLP input that cannot be decoded as a whole (the server
 * answers it with HTTP 400). Problems confined to one span are not errors:
 * they are reported in `DecodedTraces.rejected` and the other spans are kept.
 *
 * - `OTLP_PROTOBUF`: the bytes are not a valid protobuf ExportTraceServiceRequest.
 * - `OTLP_JSON`: the text is not JSON; `line` and `column` (1-based) say where.
 * - `OTLP_SHAPE`: valid JSON whose structure is not an ExportTraceServiceRequest
 *   (e.g. `resourceSpans` is not an array); `path` says where.
 *
 * `message` always names what was wrong and where, so it can be shown as is.
 */
export type OtlpDecodeErrorCode = 'OTLP_PROTOBUF' | 'OTLP_JSON' | 'OTLP_SHAPE';

export interface OtlpDecodeErrorInit {
  path?: string;
  line?: number;
  column?: number;
  cause?: unknown;
}

export class OtlpDecodeError extends Error {
  readonly code: OtlpDecodeErrorCode;
  /** Field path, e.g. `resourceSpans[0].scopeSpans`. */
  readonly path?: string;
  /** 1-based line (JSON text; for JSON Lines, the line in the file). */
  readonly line?: number;
  /** 1-based column in UTF-16 code units. */
  readonly column?: number;

  constructor(code: OtlpDecodeErrorCode, message: string, init: OtlpDecodeErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'OtlpDecodeError';
    this.code = code;
    if (init.path !== undefined) this.path = init.path;
    if (init.line !== undefined) this.line = init.line;
    if (init.column !== undefined) this.column = init.column;
  }

  toJSON(): { code: OtlpDecodeErrorCode; message: string; path?: string; line?: number; column?: number } {
    return { code: this.code, message: this.message, path: this.path, line: this.line, column: this.column };
  }
}
