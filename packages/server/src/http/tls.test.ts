/**
 * TLS on every listener with a certificate made for the test by the openssl
 * CLI: the REST API with an HTTPS client trusting that certificate, OTLP/HTTP
 * and OTLP/gRPC with the OpenTelemetry SDK's exporters given the CA, and
 * clear startup errors for missing, malformed and mismatched files.
 */
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../server.js';
import { startTestServer, tempDir, testConfig, waitFor, type TestServer } from '../testing/testServer.testkit.js';
import { TlsError } from './tls.js';
// @ts-expect-error -- a plain ES module without types, shared by every test that runs a system binary
import { locateBinary } from '../../../../scripts/system-packages.mjs';

const dir = tempDir('tls');

function openssl(args: string[]): void {
  execFileSync(locateBinary('openssl'), args, { stdio: 'pipe' });
}

function makeCertificate(name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  return { cert, key };
}

function httpsGet(url: string, ca: Buffer | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function sendWithSdk(exporter: SpanExporter, name: string): Promise<void> {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.getTracer('t').startSpan(name).end();
  await provider.forceFlush();
  await provider.shutdown();
}

describe('TLS', () => {
  const pair = makeCertificate('server');
  const ca = readFileSync(pair.cert);
  let s: TestServer;
  beforeAll(async () => { s = await startTestServer({ tlsCert: pair.cert, tlsKey: pair.key, idleTimeout: 100 }); });
  afterAll(async () => { await s.close(); });

  it('serves the REST API over HTTPS to clients that trust the certificate, and only to them', async () => {
    expect(s.server.urls.api).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ok = await httpsGet(`${s.server.urls.api}/api/v1/rules`, ca);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ rules: [] });
    await expect(httpsGet(`${s.server.urls.api}/healthz`, undefined)).rejects.toThrow(/self[- ]signed/i);
    await expect(fetch(`${s.server.urls.api.replace('https:', 'http:')}/healthz`)).rejects.toThrow();
  });

  it('takes OTLP/HTTP and OTLP/gRPC over TLS from the OpenTelemetry SDK exporters', async () => {
    await sendWithSdk(new JsonExporter({ url: `${s.server.urls.otlpHttp}/v1/traces`, httpAgentOptions: { ca } }), 'tls-http-span');
    await sendWithSdk(new GrpcExporter({ url: s.server.urls.otlpGrpc, credentials: grpc.credentials.createSsl(ca) }), 'tls-grpc-span');
    for (const name of ['tls-http-span', 'tls-grpc-span']) {
      await waitFor(name, async () => JSON.parse((await httpsGet(`${s.server.urls.api}/api/v1/traces?name=${name}`, ca)).body).traces.length > 0);
    }
  });

  it('refuses to start with a clear error for missing, malformed or mismatched files', async () => {
    const other = makeCertificate('other');
    const garbage = path.join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    const cases: Array<[{ tlsCert: string; tlsKey: string }, RegExp]> = [
      [{ tlsCert: path.join(dir, 'missing.crt'), tlsKey: pair.key }, /cannot read --tls-cert .*missing\.crt: file not found/],
      [{ tlsCert: pair.cert, tlsKey: path.join(dir, 'missing.key') }, /cannot read --tls-key .*missing\.key: file not found/],
      [{ tlsCert: garbage, tlsKey: pair.key }, /--tls-cert .*garbage\.pem is not a PEM certificate/],
      [{ tlsCert: pair.cert, tlsKey: garbage }, /--tls-key .*garbage\.pem is not a PEM private key/],
      [{ tlsCert: pair.cert, tlsKey: other.key }, /the private key in --tls-key .*other\.key does not belong to the certificate in --tls-cert .*server\.crt/],
    ];
    for (const [files, message] of cases) {
      const err = await startServer(testConfig(tempDir('tls-bad'), files)).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(TlsError);
      expect((err as Error).message).toMatch(message);
    }
  });
});
