/**
 * Enqueue without a script where nothing asks for one and it pays: a single plain message (no
 * idempotency key, no headers, no delay), the batch a process makes when it sends one message at
 * a time, on a queue no fan-out consumer reads, is one `XADD <stream> * p <payload>`. Measured
 * per message against the enqueue script: 22.5 against 36.5 server CPU-µs and 38 against 47 in
 * the client. Batches of more keep the script, which is cheaper from two messages up (in the
 * client above all: a pipeline of XADDs costs ioredis a command object and a promise each, 7.9
 * client CPU-µs per message in batches of 64 against 2.3 for one script call), unless the queue's
 * one reader is a tail consumer: then a batch is one entry (packed-append.ts).
 *
 * Whether a queue is fan-out is its marker key, which a fan-out consumer sets when it opens. This
 * process checks it with an `EXISTS` beside an append when its knowledge is older than
 * MARKER_RECHECK_MS (marker-watch.ts), and at once when it opens a fan-out consumer itself; a
 * fan-out consumer opened elsewhere is noticed within that time, and the plain appends made until
 * then are trimmed by the next script enqueue (retention trims whole ranges). A queue once seen
 * fan-out stays on the script.
 */
import type { ValkeyClient } from './connection.js';
import type { QueueKeys } from './keys.js';
import { MarkerWatch } from './marker-watch.js';
import { xaddPayload } from './payload-xadd.js';

export class PlainAppender {
  private readonly stream: string;
  /** Sticky: a queue once seen fan-out stays on the script. */
  private readonly fanout: MarkerWatch;

  constructor(keys: QueueKeys, now: () => number) {
    this.stream = keys.stream;
    this.fanout = new MarkerWatch(keys.fanout, now, true);
  }

  /** A fan-out consumer of this queue opened in this process: no need to wait for the recheck. */
  fanoutOpened(): void {
    this.fanout.markedHere();
  }

  /** False once the queue was seen fan-out: its enqueues must run the script. */
  usable(): boolean {
    return this.fanout.known !== true;
  }

  /** Appends one payload; returns its id. */
  append(client: ValkeyClient, payload: Buffer): Promise<string> {
    this.fanout.refresh(client);
    return xaddPayload(client, this.stream, payload);
  }
}
