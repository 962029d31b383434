/**
 * OTLP trace decoding and encoding: the boundary where FLUO turns OTLP
 * (protobuf, JSON, the Collector's JSON Lines files) into the span model.
 */
export type { DecodeOptions, DecodedTraces, RejectedOtlpSpan } from './decodedTraces.js';
export { OtlpDecodeError, type OtlpDecodeErrorCode } from './otlpDecodeError.js';
export { decodeProtobufTraces, decodeProtobufTracesWithProtobufjs } from './decodeProtobufTraces.js';
export { decodeJsonTraces } from './decodeJsonTraces.js';
export { decodeJsonLinesTraces } from './decodeJsonLinesTraces.js';
export { encodeProtobufTraces } from './encodeProtobufTraces.js';
export { encodeTracesData } from './encodeTracesData.js';
export { encodeTracesDataAsReceived } from './encodeTracesDataAsReceived.js';
export { encodeJsonTraces } from './encodeJsonTraces.js';
export { decodeInt64 } from './decodeInt64.js';
export { OTLP_LIMITS } from './otlpLimits.js';
