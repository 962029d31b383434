/**
 * Bounds that keep hostile OTLP input from exhausting the stack.
 *
 * AnyValue nests (arrays and key-value lists of AnyValue); an attribute value
 * nested deeper than `maxAnyValueDepth` rejects its span. Protobuf input has a
 * second, structural bound in protobufjs itself: a message nested more than 100
 * levels deep fails the whole request. An AnyValue costs two messages a level
 * in an array and three in a key-value list, so that bound is met by arrays
 * about 47 levels deep and by key-value lists about 31 levels deep. The JSON
 * walker has no recursion except through AnyValue.
 */
export const OTLP_LIMITS = {
  maxAnyValueDepth: 32,
} as const;
