/**
 * Reads OTLP trace files for `fluo check`: OTLP/JSON (one request), JSON
 * Lines (one request per line, as the Collector's file exporter writes, with
 * .json or .jsonl), and protobuf (.pb, .binpb, .protobuf). Folders are read
 * recursively. Bad input is reported as `file:line:column: message` (or the
 * field path for protobuf and shape errors), never thrown.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { decodeJsonLinesTraces, decodeJsonTraces, decodeProtobufTraces, OtlpDecodeError, type DecodeOptions, type DecodedTraces, type Span } from '@fluohq/engine';

export const TRACE_FILE_EXTENSIONS = ['.json', '.jsonl', '.ndjson', '.pb', '.binpb', '.protobuf'];

export interface TraceFileError { file: string; line?: number; column?: number; path?: string; message: string }

export interface ReadTraces { spans: Span[]; files: string[]; errors: TraceFileError[] }

async function listTraceFiles(path: string, explicit: boolean): Promise<string[]> {
  const info = await stat(path);
  if (info.isFile()) return explicit || TRACE_FILE_EXTENSIONS.includes(extname(path).toLowerCase()) ? [path] : [];
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    out.push(...(await listTraceFiles(join(path, e.name), false)));
  }
  return out;
}

function decode(bytes: Buffer, file: string, options: DecodeOptions): DecodedTraces {
  const ext = extname(file).toLowerCase();
  if (ext === '.pb' || ext === '.binpb' || ext === '.protobuf') {
    return decodeProtobufTraces(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
  }
  const text = bytes.toString('utf8');
  if (ext === '.jsonl' || ext === '.ndjson') return decodeJsonLinesTraces(text);
  if (ext !== '.json') {
    throw new OtlpDecodeError('OTLP_SHAPE', `unknown trace file type '${ext || '(none)'}': use ${TRACE_FILE_EXTENSIONS.join(', ')}`);
  }
  // A .json file holds one request, or one per line (the Collector's file exporter).
  const firstLineEnd = text.indexOf('\n', text.search(/\S/));
  const rest = firstLineEnd >= 0 ? text.slice(firstLineEnd + 1) : '';
  if (rest.trim() !== '' && rest.trimStart().startsWith('{')) {
    try {
      JSON.parse(text.slice(0, firstLineEnd));
      return decodeJsonLinesTraces(text);
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw err;
      // the first line alone is not JSON: a pretty-printed single request
    }
  }
  return decodeJsonTraces(text);
}

/** `options`: decodeProtobufTraces' for protobuf files (arrival mode for a caller that hands the spans to a Detector). */
export async function readTraceFiles(paths: string[], cwd = process.cwd(), options: DecodeOptions = {}): Promise<ReadTraces> {
  const result: ReadTraces = { spans: [], files: [], errors: [] };
  for (const path of paths) {
    let files: string[];
    try {
      files = await listTraceFiles(path, true);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message;
      result.errors.push({ file: path, message: `cannot read: ${reason}` });
      continue;
    }
    for (const file of files) {
      const display = relative(cwd, file) || file;
      result.files.push(display);
      try {
        const decoded = decode(await readFile(file), file, options);
        for (const span of decoded.spans) result.spans.push(span);
        for (const r of decoded.rejected) result.errors.push({ file: display, path: r.path, message: r.message });
      } catch (err) {
        if (err instanceof OtlpDecodeError) {
          result.errors.push({ file: display, line: err.line, column: err.column, path: err.path, message: err.message });
        } else {
          result.errors.push({ file: display, message: `cannot read: ${(err as Error).message}` });
        }
      }
    }
  }
  return result;
}

export function formatTraceFileError(e: TraceFileError): string {
  const where = e.line !== undefined ? `${e.file}:${e.line}:${e.column ?? 1}` : e.file;
  return `${where}: ${e.path && !e.message.includes(e.path) ? `${e.path}: ` : ''}${e.message}`;
}
