/**
 * Server-sent events (`text/event-stream`) for a handler of a streaming endpoint:
 *
 *   const events = new EventStream();
 *   void (async () => { for (const n of [1, 2, 3]) await events.send({ data: { n } }); events.close(); })();
 *   return events.response();
 *
 * Each `send()` writes one event and resolves once it is on its way, or after the client caught
 * up when it is slow (backpressure), so a producer awaiting it never runs ahead of its client.
 * It rejects once the client is gone; `closed` says so too.
 */
import { PassThrough } from 'node:stream';
import type { ServiceResponse } from './types.js';

/** One event. `data` that is not a string is sent as JSON. */
export interface ServerSentEvent {
  readonly data: unknown;
  readonly event?: string;
  readonly id?: string;
  /** Reconnection time the client should use, in ms. */
  readonly retry?: number;
}

const LINE_BREAK = /\r\n|\r|\n/;

export class EventStream {
  private readonly out = new PassThrough();

  /** True once closed here, or once the client went away. */
  get closed(): boolean {
    return this.out.destroyed || this.out.writableEnded;
  }

  /** Sends one event. Rejects when the stream is closed (the client is gone). */
  send(event: ServerSentEvent): Promise<void> {
    let text = '';
    if (event.event !== undefined) text += `event: ${oneLine(event.event, 'event')}\n`;
    if (event.id !== undefined) text += `id: ${oneLine(event.id, 'id')}\n`;
    if (event.retry !== undefined) text += `retry: ${Math.max(0, Math.floor(event.retry))}\n`;
    const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
    for (const line of data.split(LINE_BREAK)) text += `data: ${line}\n`;
    return this.write(`${text}\n`);
  }

  /** Sends a comment line (clients ignore it; useful as a keep-alive). */
  comment(text: string): Promise<void> {
    return this.write(`: ${oneLine(text, 'comment')}\n\n`);
  }

  /** Ends the stream after what was sent. */
  close(): void {
    if (!this.closed) this.out.end();
  }

  /** The handler's answer: status 200 (or `status`), `text/event-stream`, no caching, this stream as the body. */
  response(init: { status?: number; headers?: Readonly<Record<string, string>> } = {}): ServiceResponse {
    return {
      status: init.status ?? 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...init.headers },
      stream: this.out,
    };
  }

  private write(text: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the event stream is closed (the client went away or close() was called)'));
    if (this.out.write(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.out.off('drain', done);
        this.out.off('close', gone);
        resolve();
      };
      const gone = (): void => {
        this.out.off('drain', done);
        reject(new Error('the event stream closed before the event was sent (the client went away)'));
      };
      this.out.once('drain', done);
      this.out.once('close', gone);
    });
  }
}

function oneLine(value: string, field: string): string {
  if (LINE_BREAK.test(value)) throw new TypeError(`server-sent event ${field} must be one line (got ${JSON.stringify(value)})`);
  return value;
}
