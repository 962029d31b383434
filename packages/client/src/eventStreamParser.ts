/**
 * A parser for the `text/event-stream` format, following the WHATWG HTML
 * standard, section 9.2.6 "Interpreting an event stream":
 * - the stream is UTF-8 (decoded as a stream, so a character split across
 *   chunks survives), with one leading BOM ignored;
 * - lines end with CRLF, LF or CR (a CR at the end of a chunk waits for the
 *   next chunk to tell whether an LF follows);
 * - a blank line dispatches the event being built; a line starting with ':'
 *   is a comment; `field: value` strips one space after the colon; a line
 *   without a colon is a field with an empty value;
 * - `data` lines are joined with LF; the event is not dispatched when no data
 *   line was seen; `event` sets the type (default "message"); `id` sets the
 *   last event id unless it contains NULL, and it persists for later events;
 *   `retry` with ASCII digits only sets the reconnection time; other fields
 *   are ignored;
 * - an event not ended by a blank line when the stream ends is discarded.
 */
export interface ServerSentEvent {
  type: string;
  data: string;
  /** The last event id in force when the event was dispatched ('' for none). */
  lastEventId: string;
}

export interface EventStreamHandlers {
  onEvent(event: ServerSentEvent): void;
  /** A valid `retry` field: the reconnection time in ms. */
  onRetry?(ms: number): void;
  onComment?(text: string): void;
}

export class EventStreamParser {
  private readonly decoder = new TextDecoder('utf-8');
  private pending = '';
  private bomChecked = false;
  /** A CR ended the last chunk: an LF starting the next one belongs to it. */
  private skipLeadingLf = false;
  private data = '';
  private hasData = false;
  private type = '';
  private lastEventId = '';

  constructor(private readonly handlers: EventStreamHandlers, initialLastEventId = '') {
    this.lastEventId = initialLastEventId;
  }

  /** Feeds bytes (or an already decoded string) of the stream. */
  push(chunk: Uint8Array | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.bomChecked && text.length > 0) {
      this.bomChecked = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.skipLeadingLf && text.length > 0) {
      this.skipLeadingLf = false;
      if (text[0] === '\n') text = text.slice(1);
    }
    this.pending += text;
    let start = 0;
    for (let i = 0; i < this.pending.length; i++) {
      const c = this.pending[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.pending.slice(start, i));
      if (c === '\r') {
        if (i + 1 < this.pending.length) {
          if (this.pending[i + 1] === '\n') i++;
        } else {
          this.skipLeadingLf = true;
        }
      }
      start = i + 1;
    }
    this.pending = this.pending.slice(start);
  }

  /** The stream ended: an unfinished event is discarded (per the standard). */
  end(): void {
    this.decoder.decode();
    this.pending = '';
    this.data = '';
    this.hasData = false;
    this.type = '';
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line[0] === ':') {
      this.handlers.onComment?.(line.slice(1).replace(/^ /, ''));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    switch (field) {
      case 'event':
        this.type = value;
        break;
      case 'data':
        this.data += `${value}\n`;
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    if (!this.hasData) {
      this.type = '';
      return;
    }
    const event: ServerSentEvent = { type: this.type === '' ? 'message' : this.type, data: this.data.slice(0, -1), lastEventId: this.lastEventId };
    this.data = '';
    this.hasData = false;
    this.type = '';
    this.handlers.onEvent(event);
  }
}
