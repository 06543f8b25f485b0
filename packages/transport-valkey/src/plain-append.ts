/**
 * Enqueue without a script where nothing asks for one and it pays: a single plain message (no
 * idempotency key, no headers, no delay), the batch a process makes when it sends one message at
 * a time, on a queue no fan-out consumer reads, is one `XADD <stream> * p <payload>`. Measured
 * per message against the enqueue script: 22.5 against 36.5 server CPU-µs and 38 against 47 in
 * the client. Batches of more keep the script, which is cheaper from two messages up (in the
 * client above all: a pipeline of XADDs costs ioredis a command object and a promise each, 7.9
 * client CPU-µs per message in batches of 64 against 2.3 for one script call).
 *
 * Whether a queue is fan-out is its marker key, which a fan-out consumer sets when it opens. This
 * process checks it with an `EXISTS` beside an append when its knowledge is older than
 * FANOUT_RECHECK_MS, and at once when it opens a fan-out consumer itself; a fan-out consumer
 * opened elsewhere is noticed within that time, and the plain appends made until then are trimmed
 * by the next script enqueue (retention trims whole ranges). A queue once seen fan-out stays on
 * the script.
 */
import type { ValkeyClient } from './connection.js';
import type { QueueKeys } from './keys.js';
import { xaddPayload } from './payload-xadd.js';

/** How long a "not fan-out" answer is trusted. */
export const FANOUT_RECHECK_MS = 1_000;

export class PlainAppender {
  /** undefined: not known yet; true: fan-out (always the script); false: competing, as of `checkedAt`. */
  private fanout: boolean | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private checking = false;

  constructor(
    private readonly keys: QueueKeys,
    private readonly now: () => number,
  ) {}

  /** A fan-out consumer of this queue opened in this process: no need to wait for the recheck. */
  fanoutOpened(): void {
    this.fanout = true;
  }

  /** False once the queue was seen fan-out: its enqueues must run the script. */
  usable(): boolean {
    return this.fanout !== true;
  }

  /** Appends one payload; returns its id. */
  append(client: ValkeyClient, payload: Buffer): Promise<string> {
    if (!this.checking && this.now() - this.checkedAt >= FANOUT_RECHECK_MS) this.recheck(client);
    return xaddPayload(client, this.keys.stream, payload);
  }

  private recheck(client: ValkeyClient): void {
    this.checking = true;
    client.exists(this.keys.fanout).then(
      (n) => {
        if (this.fanout !== true) this.fanout = n === 1;
        this.checkedAt = this.now();
        this.checking = false;
      },
      () => {
        this.checking = false;
      },
    );
  }
}
