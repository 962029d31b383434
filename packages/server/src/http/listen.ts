/**
 * Serves a fetch handler (a Hono app) on host:port with node:http.
 * close() stops accepting, lets in-flight requests finish for `graceMs`, then
 * drops what is left; it is idempotent.
 */
import { createAdaptorServer } from '@hono/node-server';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsMaterial } from './tls.js';
import type { AddressInfo, Socket } from 'node:net';

export interface HttpListener {
  port: number;
  host: string;
  close(graceMs?: number): Promise<void>;
}

export class ListenError extends Error {
  readonly code = 'LISTEN';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ListenError';
  }
}

/** `what` names the listener and its option in errors, e.g. "the REST API (--port)". With `tls`, serves HTTPS. */
/** The JSON body of an error answer in the listener's protocol (the REST API's shape, or OTLP's Status). */
export type ErrorBody = (code: string, message: string) => string;

const API_ERROR_BODY: ErrorBody = (code, message) => JSON.stringify({ error: { code, message } });

/**
 * A request node:http refuses before any handler runs (request line and
 * headers over its 16 KiB limit, a malformed request, a timeout) still gets a
 * JSON answer in the listener's error shape, not node's empty default.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket, errorBody: ErrorBody): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'Request Header Fields Too Large', 'VALIDATION', 'the request line and headers are over 16 KiB: shorten the URL (query) or the headers']
    : err.code === 'HPE_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'VALIDATION', 'the request did not arrive in time']
      : [400, 'Bad Request', 'VALIDATION', `malformed HTTP request (${err.code ?? err.message})`];
  const body = errorBody(code, message);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

export async function listenHttp(fetch: (request: Request) => Response | Promise<Response>, host: string, port: number, what: string, tls: TlsMaterial | null = null, errorBody: ErrorBody = API_ERROR_BODY): Promise<HttpListener> {
  const server = (tls === null
    ? createAdaptorServer({ fetch: (request) => fetch(request), hostname: host })
    : createAdaptorServer({ fetch: (request) => fetch(request), hostname: host, createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } })) as Server;
  // Slow clients may not hold a connection forever; OTLP exporters reuse connections well within this.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 120_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket, errorBody));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const reason = err.code === 'EADDRINUSE' ? 'the address is in use'
        : err.code === 'EACCES' ? 'permission denied'
          : err.code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : err.message;
      reject(new ListenError(`cannot listen on ${host}:${port} for ${what}: ${reason}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | null = null;
  // Requests in progress per connection, so that close() can end idle connections at once (including
  // ones a client opened without sending a request, which closeIdleConnections leaves alone) and
  // busy ones as soon as their response ends.
  const active = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    active.set(socket, 0);
    socket.once('close', () => active.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    active.set(socket, (active.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (active.get(socket) ?? 1) - 1;
      active.set(socket, left);
      if (closing && left === 0) socket.destroy();
    });
  });
  return {
    port: address.port,
    host,
    close(graceMs = 5000) {
      if (closing) return closing;
      closing = new Promise<void>((resolve) => {
        const deadline = setTimeout(() => { for (const socket of active.keys()) socket.destroy(); }, graceMs);
        server.close(() => { clearTimeout(deadline); resolve(); });
        for (const [socket, requests] of active) if (requests === 0) socket.destroy();
      });
      return closing;
    },
  };
}
