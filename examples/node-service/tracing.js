// OpenTelemetry setup: load it before anything else (service.js imports it first).
// Configured by the standard environment variables:
//   OTEL_SERVICE_NAME                    service.name (default: customers)
//   OTEL_EXPORTER_OTLP_ENDPOINT          FLUO's OTLP/HTTP address (default http://localhost:4318)
//   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT   full traces URL, overrides the above
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({
    'service.name': process.env.OTEL_SERVICE_NAME || 'customers',
    'service.version': '1.0.0',
  }),
  // The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT itself.
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 500 })],
});
// Registers the tracer provider, W3C trace context propagation and the AsyncLocalStorage context manager.
provider.register();

/** Sends what is buffered and stops; call before the process exits. */
export async function shutdownTracing() {
  await provider.shutdown();
}
