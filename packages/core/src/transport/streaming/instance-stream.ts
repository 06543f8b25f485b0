/**
 * The instance's half of one streamed exchange, for any transport (docs/protocol.md, "Streamed
 * bodies"): receives the request body into a Readable the handler reads (granting credit as it
 * reads), runs the handler, sends the RESPONSE head, then the handler's body stream under the
 * gateway's credit. A CANCEL, or a lost connection, ends both bodies with the reason.
 */
import type { Readable } from 'node:stream';
import type { Clock } from '../../clock.js';
import type { BodyChunkFrame, BodyEndFrame, BodyFrame, CreditFrame, RequestFrame, ResponsePayload } from '../../protocol/frames.js';
import type { Cancellation } from '../cancellation.js';
import { IncomingBody } from './incoming-body.js';
import { OutgoingBody, type OutgoingOutcome } from './outgoing-body.js';
import { STREAM_DEFAULTS, type InstanceAnswer } from './types.js';

/** How an instance transport carries this exchange's frames. */
export interface InstanceStreamWire {
  /** Sends a body frame to the gateway's stream address (`to`; '' on a connection transport). */
  send(frame: BodyChunkFrame | BodyEndFrame | CreditFrame, to: string): Promise<void>;
  /** Sends the RESPONSE head (or a whole RESPONSE). */
  respond(payload: ResponsePayload): Promise<void>;
}

export interface InstanceStreamOptions {
  readonly clock: Pick<Clock, 'now'>;
  readonly instanceId: string;
  /** Where the gateway sends this exchange's frames ('' on a connection transport). */
  readonly replyTo: string;
  /** Where this instance sends the exchange's body frames. */
  readonly gateway: string;
  /** Window of the request body. @default STREAM_DEFAULTS.requestWindowBytes */
  readonly requestWindow?: number;
}

export type InstanceStreamOutcome = 'answered' | 'cancelled' | OutgoingOutcome;

export class InstanceStream {
  readonly body: IncomingBody | undefined;
  private response: OutgoingBody | undefined;

  constructor(
    private readonly frame: RequestFrame,
    private readonly options: InstanceStreamOptions,
    private readonly wire: InstanceStreamWire,
    private readonly cancellation: Cancellation,
  ) {
    const info = frame.payload.stream;
    if (info?.body === true) {
      this.body = new IncomingBody({
        id: frame.id,
        stream: 'request',
        window: options.requestWindow ?? STREAM_DEFAULTS.requestWindowBytes,
        alreadyGranted: 0,
        idleMs: info.idleMs,
        grant: (bytes) => this.sendCredit(bytes),
      });
    }
    cancellation.onCancel((reason) => {
      this.body?.abort(reason);
      this.response?.stop(reason);
    });
  }

  /** A body frame of this exchange from the gateway. */
  onFrame(frame: BodyFrame): void {
    switch (frame.type) {
      case 'BODY_CHUNK':
        if (frame.payload.stream === 'request') this.body?.chunk(frame.payload.seq, frame.payload.body);
        return;
      case 'BODY_END':
        if (frame.payload.stream === 'request') this.body?.receiveEnd(frame.payload.chunks, frame.payload.error);
        return;
      case 'CREDIT':
        if (frame.payload.stream === 'response') this.response?.grant(frame.payload.bytes);
        return;
    }
  }

  /**
   * Sends `answer`: whole when it has no body stream, else its head and then its stream. Resolves
   * when the response is sent (or given up on: cancelled, or the transport failed).
   */
  async answer(answer: InstanceAnswer): Promise<InstanceStreamOutcome> {
    const head: ResponsePayload = { status: answer.status, headers: answer.headers, body: answer.body, instanceId: this.options.instanceId };
    if (answer.bodyStream === undefined) {
      this.body?.destroy();
      await this.wire.respond(head);
      return 'answered';
    }
    if (this.cancellation.cancelled) {
      release(answer.bodyStream);
      return 'cancelled';
    }
    const info = this.frame.payload.stream;
    this.response = new OutgoingBody(
      { id: this.frame.id, stream: 'response', clock: this.options.clock, maxChunkBytes: STREAM_DEFAULTS.maxChunkBytes, initialCredit: info?.window ?? 0 },
      (frame) => this.wire.send(frame, this.options.gateway),
    );
    try {
      await this.wire.respond({ ...head, body: new Uint8Array(0), stream: { replyTo: this.options.replyTo } });
    } catch (err) {
      release(answer.bodyStream);
      throw err;
    }
    return this.response.run(answer.bodyStream, () => 'handler-failed');
  }

  /** The request body as the handler sees it, when it streams. */
  get requestBody(): Readable | undefined {
    return this.body;
  }

  private sendCredit(bytes: number): void {
    const frame: CreditFrame = {
      v: 1,
      type: 'CREDIT',
      id: this.frame.id,
      sentAt: this.options.clock.now(),
      payload: { stream: 'request', bytes, replyTo: this.options.replyTo },
    };
    this.wire.send(frame, this.options.gateway).catch(() => this.body?.abort('transport-failed', 'a CREDIT could not be sent'));
  }
}

/** Tells a body stream nobody will read it (a Node Readable is destroyed by its iterator's return()). */
function release(stream: AsyncIterable<unknown>): void {
  void Promise.resolve(stream[Symbol.asyncIterator]().return?.()).catch(() => undefined);
}
