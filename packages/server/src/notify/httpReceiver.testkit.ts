/**
 * A real HTTP receiver for notifier tests (node:http on a free port): it
 * records every request (method, path, headers, raw body) and answers with
 * whatever `respond` says, so tests can make it accept, refuse, fail or hang.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  text: string;
}

export type Respond = (request: ReceivedRequest) => { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  respond: Respond = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' });
  private readonly hanging = new Set<ServerResponse>();

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(port = 0): Promise<HttpReceiver> {
    let receiver: HttpReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => receiver!.handle(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    receiver = new HttpReceiver(server, (server.address() as AddressInfo).port);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const request: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, text: body.toString('utf8') };
    const answer = this.respond(request);
    if (answer === 'hang') { this.hanging.add(res); return; }
    this.requests.push(request);
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body ?? '');
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
