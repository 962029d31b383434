import { Text } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import { problemRange } from './problemRange';

const doc = Text.of(["trace.has(span => span.name = 'x')", '  .and(trace.missing(s => s.nme))', '']);
const marked = (line: number, column: number) => { const r = problemRange(doc, line, column); return doc.sliceString(r.from, r.to); };

describe('problemRange', () => {
  it('marks the token at a 1-based line and column', () => {
    expect(marked(1, 19)).toBe('span');
    expect(marked(1, 29)).toBe('=');
    expect(marked(1, 31)).toBe("'x'");
    expect(marked(2, 29)).toBe('nme');
  });

  it('marks the character before the end of a line or of the text, and clamps positions outside the text', () => {
    expect(marked(1, 35)).toBe(')');
    expect(marked(1, 500)).toBe(')');
    const empty = problemRange(Text.of(['']), 1, 1);
    expect(empty).toEqual({ from: 0, to: 0 });
    expect(problemRange(doc, 99, 1).from).toBe(doc.line(3).from - 1);
  });
});
