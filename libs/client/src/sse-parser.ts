/** One Server-Sent Event as it arrived: its `id:`, `event:` and the `data:` lines joined. */
export interface RawEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * Splits a stream of text chunks into Server-Sent Events (the WHATWG format): fields per line,
 * events separated by a blank line, comments (`: ...`) ignored, `\r\n`, `\r` or `\n` line ends.
 */
export class SseParser {
  private buffer = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];

  /** Feeds a chunk; answers the events it completed. */
  push(chunk: string): RawEvent[] {
    this.buffer += chunk;
    const events: RawEvent[] = [];
    let end: number;
    while ((end = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone \r at the buffer's end may be the first half of \r\n: wait for the next chunk.
      if (this.buffer[end] === '\r' && end === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): RawEvent | undefined {
    if (line === '') {
      const event = this.data.length > 0 ? { id: this.id, event: this.event || 'message', data: this.data.join('\n') } : undefined;
      this.id = undefined;
      this.event = '';
      this.data = [];
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return undefined;
  }
}
