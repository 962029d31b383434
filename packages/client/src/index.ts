/**
 * @fluohq/fluo: the Node.js client of FLUO (CommonJS and ESM).
 *
 *   const { Fluo } = require('@fluohq/fluo');
 *   const fluoClient = new Fluo({ url: 'http://localhost:3000' });
 *   fluoClient.on('data', (data) => { const span = data.span; });
 */
export { Fluo } from './fluo.js';
export type { CallOptions, ConnectedEvent, DisconnectedEvent, FluoEventMap, FluoOptions, ReconnectOptions, SignalFilter } from './fluo.js';
export { FluoApiError } from './fluoApiError.js';
export type { FluoErrorCode } from './fluoApiError.js';
export { EventStreamParser } from './eventStreamParser.js';
export type { EventStreamHandlers, ServerSentEvent } from './eventStreamParser.js';
export { EXPORTER_PACKAGE } from './traceExporter.js';
export type { SpanExporterLike, TraceExporterOptions } from './traceExporter.js';
export type * from './types.js';
