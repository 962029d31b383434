/**
 * Parsing: rule text to an ESTree expression, with acorn (a real, standards
 * tracking JavaScript parser). Nothing here decides what is allowed; that is
 * the job of the checkers that walk the tree. This module only guarantees that
 * the text is one JavaScript expression of bounded size.
 */
import { parse, type Node } from 'acorn';
import { RuleError } from './ruleError.js';

/** Longest rule text accepted, in UTF-16 code units. */
export const MAX_RULE_LENGTH = 64 * 1024;
/** Deepest nesting of brackets accepted; acorn is recursive and deeper input could exhaust the stack. */
export const MAX_RULE_NESTING = 256;

export interface Position { line: number; column: number }

/** An ESTree node with acorn's location info. */
export type EsNode = Node & { loc: { start: Position; end: Position }; [key: string]: any };

/** 1-based line and column of a node's start. */
export function positionOf(node: EsNode): Position {
  return { line: node.loc.start.line, column: node.loc.start.column + 1 };
}

function nestingDepth(text: string): { depth: number; offset: number } {
  let depth = 0;
  let max = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) { // ( [ {
      depth++;
      if (depth > max) { max = depth; at = i; }
    } else if (c === 41 || c === 93 || c === 125) {
      depth--;
    }
  }
  return { depth: max, offset: at };
}

function lineColumnAt(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Parses rule text into a single expression node. Throws RuleError:
 * SYNTAX for text that is not JavaScript, NOT_ALLOWED for statements or more
 * than one expression, TOO_LARGE for text over the size or nesting limits.
 */
export function parseRule(text: string): EsNode {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new RuleError('SYNTAX', 'The rule is empty: write an expression such as trace.has(span => span.status === \'ERROR\')', 1, 1);
  }
  if (text.length > MAX_RULE_LENGTH) {
    throw new RuleError('TOO_LARGE', `The rule is ${text.length} characters long; the limit is ${MAX_RULE_LENGTH}`, 1, 1);
  }
  // Brackets inside strings count too: an over-estimate is harmless at this size.
  const nesting = nestingDepth(text);
  if (nesting.depth > MAX_RULE_NESTING) {
    const at = lineColumnAt(text, nesting.offset);
    throw new RuleError('TOO_LARGE', `The rule nests brackets ${nesting.depth} deep; the limit is ${MAX_RULE_NESTING}`, at.line, at.column);
  }
  let program: EsNode;
  try {
    program = parse(text, { ecmaVersion: 'latest', sourceType: 'script', locations: true, allowReturnOutsideFunction: false }) as EsNode;
  } catch (err) {
    const e = err as { message?: string; loc?: Position };
    if (e.loc) {
      const message = String(e.message).replace(/\s*\(\d+:\d+\)$/, '');
      throw new RuleError('SYNTAX', `Syntax error: ${message}`, e.loc.line, e.loc.column + 1, { cause: err });
    }
    if (err instanceof RangeError) {
      throw new RuleError('TOO_LARGE', 'The rule is nested too deeply to parse', 1, 1, { cause: err });
    }
    throw err;
  }
  const body = program.body as EsNode[];
  if (body.length === 0) {
    throw new RuleError('SYNTAX', 'The rule has no expression: write one such as trace.has(span => span.status === \'ERROR\')', 1, 1);
  }
  const first = body[0];
  if (first.type !== 'ExpressionStatement') {
    const pos = positionOf(first);
    throw new RuleError('NOT_ALLOWED', `A rule is one expression, not a ${describeStatement(first.type)}: write it as trace.has(...), trace.missing(...) and so on`, pos.line, pos.column);
  }
  if (body.length > 1) {
    const pos = positionOf(body[1]);
    throw new RuleError('NOT_ALLOWED', 'A rule is a single expression: combine conditions with .and(...) or .or(...) instead of writing several statements', pos.line, pos.column);
  }
  if ((first as any).directive !== undefined) {
    const pos = positionOf(first);
    throw new RuleError('BAD_RULE_SHAPE', 'A rule cannot be a plain string: start it with trace, e.g. trace.has(span => ...)', pos.line, pos.column);
  }
  return first.expression as EsNode;
}

function describeStatement(type: string): string {
  switch (type) {
    case 'VariableDeclaration': return 'variable declaration (const/let/var)';
    case 'FunctionDeclaration': return 'function declaration';
    case 'ClassDeclaration': return 'class declaration';
    case 'IfStatement': return 'if statement';
    case 'ForStatement': case 'ForInStatement': case 'ForOfStatement': case 'WhileStatement': case 'DoWhileStatement': return 'loop';
    case 'BlockStatement': return 'block';
    case 'ReturnStatement': return 'return statement';
    case 'ThrowStatement': return 'throw statement';
    case 'TryStatement': return 'try statement';
    default: return 'statement';
  }
}
