/**
 * Bounds that keep hostile OTLP input from exhausting the stack.
 *
 * AnyValue nests (arrays and key-value lists of AnyValue); an attribute value
 * nested deeper than `maxAnyValueDepth` rejects its span. Protobuf input has a
 * second, structural bound in protobufjs itself: a message nested more than 100
 * levels deep fails the whole request, which an AnyValue about 45 levels deep
 * already reaches. The JSON walker has no recursion except through AnyValue.
 */
export const OTLP_LIMITS = {
  maxAnyValueDepth: 32,
} as const;
