/**
 * Reads a request body with a size limit, decompressing gzip. The limit
 * applies to the bytes received and again to the decompressed bytes, so a
 * small gzip bomb is stopped as soon as its output passes the limit
 * (zlib's maxOutputLength), without inflating it into memory.
 */
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { FluoError } from '../errors.js';
import { formatSizeBytes } from '../config/units.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** Content-Encoding values accepted. */
export const ACCEPTED_ENCODINGS = ['identity', 'gzip', 'deflate'] as const;

function tooLarge(limit: number, what: string): FluoError {
  return new FluoError('PAYLOAD_TOO_LARGE', `the request body ${what} exceeds the limit of ${formatSizeBytes(limit)} (maxBodySize)`, { details: { limit } });
}

/** Throws UNSUPPORTED_MEDIA_TYPE for an encoding other than identity, gzip and deflate. */
export function contentEncodingOf(request: Request): 'identity' | 'gzip' | 'deflate' {
  const raw = (request.headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'identity') return 'identity';
  if (raw === 'gzip' || raw === 'x-gzip') return 'gzip';
  if (raw === 'deflate') return 'deflate';
  throw new FluoError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding '${raw}' is not supported: send identity, gzip or deflate`);
}

export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const encoding = contentEncodingOf(request);
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit, `(${formatSizeBytes(declared)} declared)`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(limit, '');
      }
      chunks.push(value);
    }
  }
  const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
  if (encoding === 'identity') return raw;
  try {
    const out = await (encoding === 'gzip' ? gunzipAsync : inflateAsync)(raw, { maxOutputLength: limit });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) throw tooLarge(limit, 'after decompression');
    throw new FluoError('BAD_CONTENT_ENCODING', `the request body is not valid ${encoding} data: ${e.message}`);
  }
}
