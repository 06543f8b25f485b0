/**
 * The gateway's half of one streamed exchange, for any transport (docs/protocol.md, "Streamed
 * bodies"). The transport sends the REQUEST (with `stream`) through its ordinary dispatch, routes
 * the exchange's body frames here by request id, and hands the RESPONSE head to `head()`. This
 * sends the request body as the instance grants credit, and receives the response body into a
 * Readable that grants credit as the gateway's HTTP client takes it.
 *
 * The request body goes to the first instance that grants credit for it, and only there: a
 * REQUEST redelivered to another instance never receives a byte of it.
 */
import type { Clock } from '../../clock.js';
import type { BodyChunkFrame, BodyEndFrame, BodyFrame, CancelReason, CreditFrame, ResponsePayload } from '../../protocol/frames.js';
import type { Cancellation } from '../cancellation.js';
import { IncomingBody } from './incoming-body.js';
import { OutgoingBody } from './outgoing-body.js';
import { STREAM_DEFAULTS, type StreamedResponse } from './types.js';

/** How a gateway transport carries this exchange's frames. */
export interface GatewayStreamWire {
  /** Sends a body frame to the instance's stream address (`to`; '' on a connection transport). */
  send(frame: BodyChunkFrame | BodyEndFrame | CreditFrame, to: string): Promise<void>;
  /** Sends CANCEL for the exchange (used once its RESPONSE head came; before that the dispatch cancels). */
  cancel(reason: CancelReason): void;
}

export interface GatewayStreamOptions {
  readonly id: string;
  readonly clock: Pick<Clock, 'now'>;
  readonly window: number;
  readonly idleMs: number;
  /** Where the instance sends this exchange's frames ('' on a connection transport). */
  readonly replyTo: string;
  readonly cancellation: Cancellation | undefined;
  readonly requestSent?: (() => void) | undefined;
  /** Called once when the exchange is over (both bodies done): the transport forgets it. */
  readonly closed: () => void;
}

export class GatewayStream {
  private readonly response: IncomingBody;
  private readonly request: OutgoingBody | undefined;
  /** The instance's stream address, from its first CREDIT or its RESPONSE head. */
  private instance: string | undefined;
  private headSeen = false;
  private over = false;
  private pendingCredit = 0;

  constructor(
    private readonly options: GatewayStreamOptions,
    private readonly wire: GatewayStreamWire,
    body: AsyncIterable<Uint8Array> | undefined,
  ) {
    this.response = new IncomingBody({
      id: options.id,
      stream: 'response',
      window: options.window,
      alreadyGranted: options.window,
      idleMs: options.idleMs,
      grant: (bytes) => this.sendCredit(bytes),
    });
    // A reader that stops reading (destroys the body) ends the exchange: the instance is told.
    this.response.once('close', () => {
      if (this.headSeen && !this.response.readableEnded && !this.over && options.cancellation?.cancelled !== true) this.wire.cancel('client-disconnected');
      this.close();
    });
    options.cancellation?.onCancel(this.onCancel);
    if (body === undefined) {
      options.requestSent?.();
      return;
    }
    this.request = new OutgoingBody({ id: options.id, stream: 'request', clock: options.clock, maxChunkBytes: STREAM_DEFAULTS.maxChunkBytes }, (frame) =>
      this.wire.send(frame, this.instance ?? ''),
    );
    void this.request.run(body, bodyErrorReason).then((outcome) => {
      if (outcome === 'complete') options.requestSent?.();
    });
  }

  /** Whether the REQUEST should say its body streams. */
  get streamsRequestBody(): boolean {
    return this.request !== undefined;
  }

  /** A body frame of this exchange from the instance. */
  onFrame(frame: BodyFrame): void {
    if (this.over) return;
    switch (frame.type) {
      case 'CREDIT':
        if (frame.payload.stream !== 'request' || this.request === undefined) return;
        // The first instance to grant credit is the one that runs the exchange; any other (a
        // redelivery elsewhere) gets nothing.
        this.instance ??= frame.payload.replyTo;
        if (frame.payload.replyTo !== this.instance) return;
        this.request.grant(frame.payload.bytes);
        return;
      case 'BODY_CHUNK':
        if (frame.payload.stream === 'response') this.response.chunk(frame.payload.seq, frame.payload.body);
        return;
      case 'BODY_END':
        if (frame.payload.stream === 'response') this.response.receiveEnd(frame.payload.chunks, frame.payload.error);
        return;
    }
  }

  /** The RESPONSE head arrived: the exchange's answer. A head without `stream` ends the exchange. */
  head(payload: ResponsePayload): StreamedResponse {
    this.headSeen = true;
    const out: StreamedResponse = { status: payload.status, headers: payload.headers, body: payload.body, instanceId: payload.instanceId };
    if (payload.stream === undefined) {
      this.close();
      return out;
    }
    this.instance ??= payload.stream.replyTo;
    if (this.pendingCredit > 0) {
      const bytes = this.pendingCredit;
      this.pendingCredit = 0;
      this.sendCredit(bytes);
    }
    return { ...out, bodyStream: this.response };
  }

  /** The exchange failed (dispatch rejected, connection lost): both bodies end with `reason`. */
  fail(reason: string, detail?: string): void {
    this.response.abort(reason, detail);
    this.close();
  }

  private readonly onCancel = (reason: CancelReason): void => {
    if (this.headSeen && !this.over) this.wire.cancel(reason);
    this.fail(reason);
  };

  private sendCredit(bytes: number): void {
    if (this.over) return;
    if (this.instance === undefined) {
      this.pendingCredit += bytes;
      return;
    }
    const frame: CreditFrame = {
      v: 1,
      type: 'CREDIT',
      id: this.options.id,
      sentAt: this.options.clock.now(),
      payload: { stream: 'response', bytes, replyTo: this.options.replyTo },
    };
    this.wire.send(frame, this.instance).catch(() => this.fail('transport-failed', 'a CREDIT could not be sent'));
  }

  private close(): void {
    if (this.over) return;
    this.over = true;
    this.request?.stop('exchange over');
    this.options.cancellation?.offCancel(this.onCancel);
    if (!this.response.done) this.response.abort('exchange-over');
    this.options.closed();
  }
}

function bodyErrorReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length > 0 && code.length <= 64 ? code : 'source-failed';
}
