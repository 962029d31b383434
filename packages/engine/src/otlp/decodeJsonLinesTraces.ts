/**
 * Decodes the OpenTelemetry Collector file exporter's format (JSON Lines):
 * one OTLP/JSON ExportTraceServiceRequest per line, blank lines skipped,
 * `\n` or `\r\n` line ends.
 *
 * A line that is not JSON, or not a request, fails the whole input with an
 * OtlpDecodeError whose `line` is the 1-based line in the file (and whose
 * message starts with it). Rejected spans keep going, with paths that start
 * with their line: `line 3: resourceSpans[0].scopeSpans[0].spans[1].spanId`.
 */
import type { DecodedTraces } from './decodedTraces.js';
import { decodeJsonRequestInto, parseJsonText } from './decodeJsonTraces.js';
import { OtlpDecodeError } from './otlpDecodeError.js';
import { JsonSyntaxError } from './parseJson.js';

export function decodeJsonLinesTraces(text: string): DecodedTraces {
  if (typeof text !== 'string') {
    throw new OtlpDecodeError('OTLP_JSON', `JSON Lines input must be a string, got ${text === null ? 'null' : typeof text}`);
  }
  const out: DecodedTraces = { spans: [], rejected: [] };
  let lineNumber = 0;
  let start = 0;
  while (start <= text.length) {
    lineNumber++;
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    start = end + 1;
    if (line.trim() === '') {
      if (newline === -1) break;
      continue;
    }
    try {
      decodeJsonRequestInto(parseJsonText(line), out, `line ${lineNumber}: `);
    } catch (err) {
      if (!(err instanceof OtlpDecodeError)) throw err;
      const message = err.cause instanceof JsonSyntaxError
        ? `line ${lineNumber}, column ${err.cause.column}: invalid JSON: ${err.cause.description}`
        : `line ${lineNumber}: ${err.message}`;
      throw new OtlpDecodeError(err.code, message, {
        path: err.path,
        line: lineNumber,
        column: err.column,
        cause: err,
      });
    }
    if (newline === -1) break;
  }
  return out;
}
