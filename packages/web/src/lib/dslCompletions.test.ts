import { CompletionContext } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import { dslCompletionSource, spanParameters } from './dslCompletions';

function complete(textWithCursor: string) {
  const pos = textWithCursor.indexOf('|');
  const doc = textWithCursor.replace('|', '');
  const state = EditorState.create({ doc });
  const source = dslCompletionSource(() => ({ spanAttributes: ['http.route', 'payment.amount'], resourceAttributes: ['service.name'] }));
  const result = source(new CompletionContext(state, pos, false));
  return result ? { from: result.from, labels: result.options.map((o) => o.label) } : null;
}

describe('DSL completion', () => {
  it('offers trace conditions after trace.', () => {
    expect(complete('trace.|')!.labels).toEqual(['has', 'missing', 'count', 'where', 'not']);
    expect(complete('trace.ha|')!.from).toBe(6);
  });

  it('offers span members after any arrow-function parameter, and chain methods after )', () => {
    expect(complete('trace.has(s => s.|)')!.labels).toContain('attributes');
    expect(complete('trace.has(span => span.parent.|)')!.labels).toContain('duration');
    expect(complete("trace.has(span => span.name === 'a').|")!.labels).toEqual(['and', 'or', 'within', 'followedBy']);
    expect(complete('foo.|')).toBeNull();
  });

  it('offers attribute keys seen in recent traces inside attributes[ and resource[', () => {
    const attrs = complete("trace.has(span => span.attributes['pay|");
    expect(attrs!.labels).toEqual(['http.route', 'payment.amount']);
    expect(attrs!.from).toBe("trace.has(span => span.attributes['".length);
    expect(complete('trace.has(span => span.resource["|')!.labels).toEqual(['service.name']);
  });

  it('finds parameter names', () => {
    expect([...spanParameters('trace.count(x => x.parent.children.filter((sibling) => sibling.name))')].sort()).toEqual(['sibling', 'span', 'x']);
  });
});
