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
export async function listenHttp(fetch: (request: Request) => Response | Promise<Response>, host: string, port: number, what: string, tls: TlsMaterial | null = null): Promise<HttpListener> {
  const server = (tls === null
    ? createAdaptorServer({ fetch: (request) => fetch(request), hostname: host })
    : createAdaptorServer({ fetch: (request) => fetch(request), hostname: host, createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } })) as Server;
  // Slow clients may not hold a connection forever; OTLP exporters reuse connections well within this.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 120_000;
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
