/**
 * TLS material for every listener (REST API and UI, OTLP/HTTP, OTLP/gRPC),
 * from PEM files given with --tls-cert and --tls-key. Loaded once at startup
 * and checked before any listener starts: an unreadable file, a file that is
 * not PEM, or a key that does not belong to the certificate is a TlsError
 * naming the option and the file.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { readFile } from 'node:fs/promises';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

export class TlsError extends Error {
  readonly code = 'TLS';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TlsError';
  }
}

async function readPem(file: string, option: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (err as Error).message;
    throw new TlsError(`cannot read ${option} ${file}: ${reason}`, { cause: err });
  }
}

/** Reads and checks the pair; null when TLS is not configured. */
export async function loadTls(certFile: string | null, keyFile: string | null): Promise<TlsMaterial | null> {
  if (certFile === null || keyFile === null) return null;
  const cert = await readPem(certFile, '--tls-cert');
  const key = await readPem(keyFile, '--tls-key');
  try {
    new X509Certificate(cert);
  } catch (err) {
    throw new TlsError(`--tls-cert ${certFile} is not a PEM certificate: ${(err as Error).message}`, { cause: err });
  }
  try {
    createPrivateKey(key);
  } catch (err) {
    throw new TlsError(`--tls-key ${keyFile} is not a PEM private key (or it is encrypted, which FLUO does not support): ${(err as Error).message}`, { cause: err });
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new TlsError(`the private key in --tls-key ${keyFile} does not belong to the certificate in --tls-cert ${certFile}: ${(err as Error).message}`, { cause: err });
  }
  return { cert, key };
}
