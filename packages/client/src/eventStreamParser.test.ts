import { describe, expect, it } from 'vitest';
import { EventStreamParser, type ServerSentEvent } from './eventStreamParser.js';

function parse(chunks: Array<string | Uint8Array>, initialId = ''): { events: ServerSentEvent[]; retries: number[]; comments: string[] } {
  const events: ServerSentEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = new EventStreamParser({ onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms), onComment: (c) => comments.push(c) }, initialId);
  for (const c of chunks) parser.push(c);
  parser.end();
  return { events, retries, comments };
}

describe('EventStreamParser (WHATWG event stream)', () => {
  it('reads typed events with ids, multi-line data, comments and retry', () => {
    const { events, retries, comments } = parse(['retry: 2000\n: connected at 0\n\nid: 1\nevent: signal\ndata: {"a":1}\n\n', 'data: line one\ndata: line two\n\n']);
    expect(retries).toEqual([2000]);
    expect(comments).toEqual(['connected at 0']);
    expect(events).toEqual([
      { type: 'signal', data: '{"a":1}', lastEventId: '1' },
      // The id persists for later events; the type does not.
      { type: 'message', data: 'line one\nline two', lastEventId: '1' },
    ]);
  });

  it('splits lines on CRLF, LF and CR, also when a CRLF or a character is split across chunks', () => {
    const bytes = new TextEncoder().encode('data: é\r\n\r\n');
    const splitChar = [bytes.slice(0, 7), bytes.slice(7)];
    expect(parse(splitChar).events.map((e) => e.data)).toEqual(['é']);
    expect(parse(['data: a\r', '\ndata: b\r', '\r']).events.map((e) => e.data)).toEqual(['a\nb']);
    expect(parse(['data: a\r\rdata: b\n\n']).events.map((e) => e.data)).toEqual(['a', 'b']);
  });

  it('ignores one BOM, one space after the colon, unknown fields, ids with NULL and non-numeric retry', () => {
    const { events, retries } = parse(['\ufeffdata:  two spaces\nfoo: bar\nid: a\u0000b\nretry: 1s\n\n'], '7');
    expect(events).toEqual([{ type: 'message', data: ' two spaces', lastEventId: '7' }]);
    expect(retries).toEqual([]);
  });

  it('dispatches nothing for a block without data, and drops an unfinished event at the end', () => {
    const { events } = parse(['event: signal\nid: 3\n\n', 'data: unfinished']);
    expect(events).toEqual([]);
  });

  it('treats a line without a colon as a field with an empty value', () => {
    expect(parse(['data\ndata\n\n']).events.map((e) => e.data)).toEqual(['\n']);
  });
});
