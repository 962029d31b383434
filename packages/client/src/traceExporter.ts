/**
 * The OTLP span exporter behind `Fluo.traceExporter()`. The exporter package
 * (@opentelemetry/exporter-trace-otlp-proto) is an optional peer dependency,
 * loaded on first use so that clients that only read signals do not need it.
 */
import { peerRequire } from '#peer-require';

export const EXPORTER_PACKAGE = '@opentelemetry/exporter-trace-otlp-proto';

/** Options of the OTLP exporter (see OTLPExporterNodeConfigBase); `url` defaults to FLUO's OTLP/HTTP endpoint. */
export interface TraceExporterOptions {
  /** Full OTLP/HTTP traces URL, e.g. http://fluo.internal:4318/v1/traces. */
  url?: string;
  headers?: Record<string, string>;
  /** ms per export request. */
  timeoutMillis?: number;
  concurrencyLimit?: number;
  compression?: 'gzip' | 'none';
  [option: string]: unknown;
}

/** The part of OpenTelemetry's SpanExporter a span processor uses (structurally a SpanExporter). */
export interface SpanExporterLike {
  export(spans: unknown[], resultCallback: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

export function createTraceExporter(options: TraceExporterOptions): SpanExporterLike {
  let exporterModule: { OTLPTraceExporter: new (config: TraceExporterOptions) => SpanExporterLike };
  try {
    exporterModule = peerRequire(EXPORTER_PACKAGE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' || (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(`fluoClient.traceExporter() needs the package ${EXPORTER_PACKAGE}: run 'npm install ${EXPORTER_PACKAGE} @opentelemetry/sdk-trace-base' in your application`, { cause: err });
    }
    throw err;
  }
  return new exporterModule.OTLPTraceExporter(options);
}
