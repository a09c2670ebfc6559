// Server-sent events read from a fetch body: EventSource cannot POST a JSON body or be stopped
// with an AbortController, so the page parses the stream itself. The rules are the WHATWG "event
// stream interpretation" ones: lines end in \r\n, \n or \r (a \r\n may be split across chunks);
// a blank line dispatches the event; `data:` lines are joined with \n; a line starting with `:`
// is a comment (heartbeat); one space after the colon is dropped; an event the stream ends in
// the middle of is not dispatched. Bytes are decoded with TextDecoder in stream mode, so a
// character split across two chunks arrives whole.

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field, `message` when the event had none. */
  event: string;
  /** The `data:` lines joined with \n. */
  data: string;
  /** The last `id:` seen so far (it carries over to later events), or ''. */
  id: string;
}

/** Turns decoded text, fed in pieces of any size, into events. Not tied to the DOM: the tests run it in Node. */
export class SseParser {
  private buffer = '';
  private skipLineFeed = false; // the last piece ended in \r: a \n starting the next one belongs to it
  private data: string[] = [];
  private event = '';
  private id = '';

  /** Adds a piece of text; returns the events it completed, in order. */
  push(text: string): SseEvent[] {
    if (text === '') return [];
    if (this.skipLineFeed && text.startsWith('\n')) text = text.slice(1);
    this.skipLineFeed = false;
    this.buffer += text;
    const events: SseEvent[] = [];
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = lineEnd.exec(this.buffer); match !== null; match = lineEnd.exec(this.buffer)) {
      const event = this.line(this.buffer.slice(start, match.index));
      if (event !== undefined) events.push(event);
      start = lineEnd.lastIndex;
    }
    this.skipLineFeed = start === this.buffer.length && this.buffer.endsWith('\r');
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      const event = this.data.length === 0 ? undefined : { event: this.event || 'message', data: this.data.join('\n'), id: this.id };
      this.data = [];
      this.event = '';
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    // `retry` and unknown fields are ignored: the page does not reconnect on its own.
    return undefined;
  }
}

/**
 * Reads an event-stream body to its end, yielding each event as soon as its blank line arrives.
 * `onChunk` is called for every chunk read (heartbeats included), e.g. to reset an idle timer.
 * Leaving the loop early cancels the body.
 */
export async function* readEvents(body: ReadableStream<Uint8Array>, onChunk?: () => void): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      onChunk?.();
      if (done) {
        yield* parser.push(decoder.decode()); // an incomplete character at the very end becomes U+FFFD
        finished = true;
        return;
      }
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
