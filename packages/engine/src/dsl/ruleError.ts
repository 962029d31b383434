/**
 * The one error type of rule compilation. Every problem in a rule, from a
 * syntax error to a call outside the allow-list or a bad duration, is a
 * RuleError with a stable `code`, the 1-based `line` and `column` in the rule
 * text where it was found, and a message that says what is allowed instead.
 */
export type RuleErrorCode =
  | 'SYNTAX'              // the text is not a JavaScript expression
  | 'NOT_ALLOWED'         // a construct outside the allow-list (assignment, new, this, statements, ...)
  | 'UNKNOWN_IDENTIFIER'  // a name that is not `trace`, `traces`, a predicate parameter or an allowed global
  | 'FORBIDDEN_PROPERTY'  // constructor, __proto__, prototype and the like
  | 'UNKNOWN_PROPERTY'    // a field that spans (events, links, scopes) do not have, e.g. `span.nmae`
  | 'UNKNOWN_METHOD'      // a call to a method that is not in the allow-list
  | 'BAD_RULE_SHAPE'      // the rule is not a condition built from `trace` (e.g. `trace.has(...).foo()`)
  | 'BAD_ARGUMENT'        // wrong number or kind of arguments (e.g. `has()` without a predicate)
  | 'BAD_DURATION'        // a duration that cannot be read, e.g. '5 parsecs'
  | 'BAD_REGEX'           // a regular expression that is invalid or not linear-time
  | 'TOO_LARGE';          // the rule exceeds a size or nesting limit

export interface RuleErrorInfo {
  code: RuleErrorCode;
  message: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

export class RuleError extends Error implements RuleErrorInfo {
  readonly code: RuleErrorCode;
  readonly line: number;
  readonly column: number;

  constructor(code: RuleErrorCode, message: string, line: number, column: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuleError';
    this.code = code;
    this.line = line;
    this.column = column;
  }

  toJSON(): RuleErrorInfo {
    return { code: this.code, message: this.message, line: this.line, column: this.column };
  }
}
