/**
 * The gateway side of streamed exchanges over Messaging (docs/messaging-transport.md, "Streamed
 * bodies"). The REQUEST and its RESPONSE head travel as any other (the transport's dispatch); the
 * bodies travel as BODY_CHUNK / BODY_END / CREDIT frames, in order, on the node's own streams
 * queue and on the streams queue of the instance that took the REQUEST. The node's streams queue
 * is read from the first streamed exchange on (competing groups start from the queue's beginning,
 * so nothing sent before is missed): a gateway that never streams reads one queue less.
 *
 * The request body goes only to the instance that first granted credit for it; a REQUEST
 * redelivered to another instance never gets any of it, and that instance refuses to run it.
 */
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import { newFrameId } from '../../protocol/ids.js';
import type { BodyFrame, CancelReason, Frame, RequestPayload, ResponsePayload } from '../../protocol/frames.js';
import type { Delivery, Subscription } from '../../queue/types.js';
import { unexpectedFrameTypeReason } from '../../queue/dead-letter-reasons.js';
import { GatewayStream } from '../streaming/gateway-stream.js';
import type { StreamDispatchOptions, StreamedResponse } from '../streaming/types.js';
import type { DispatchOptions, DispatchTarget } from '../types.js';
import type { FrameQueues } from './frame-queues.js';
import { gatewayStreamsQueue, isInstanceStreamsQueue } from './stream-queues.js';

export interface MessagingGatewayStreamsInit {
  readonly queues: FrameQueues;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly responsesQueue: string;
  readonly blockMs: number;
  readonly signal: AbortSignal;
  readonly dispatch: (target: DispatchTarget, request: Omit<RequestPayload, 'replyTo'>, options: DispatchOptions) => Promise<ResponsePayload>;
  readonly cancel: (service: string, requestId: string, reason: CancelReason) => void;
}

const DONE: Promise<void> = Promise.resolve();
/** Body frames read at once from the node's streams queue. */
const STREAM_READ_CONCURRENCY = 64;

export class MessagingGatewayStreams {
  readonly queueName: string;
  private readonly open = new Map<string, GatewayStream>();
  private subscription: Subscription | undefined;
  /** Body frames for no open exchange (late, or of an exchange already over), dropped. */
  dropped = 0;

  constructor(private readonly init: MessagingGatewayStreamsInit) {
    this.queueName = gatewayStreamsQueue(init.responsesQueue);
  }

  async dispatch(
    target: DispatchTarget,
    request: Omit<RequestPayload, 'replyTo' | 'stream' | 'body'>,
    body: AsyncIterable<Uint8Array> | undefined,
    options: StreamDispatchOptions,
  ): Promise<StreamedResponse> {
    this.listen();
    const id = options.requestId ?? newFrameId();
    const stream = new GatewayStream(
      {
        id,
        clock: this.init.clock,
        window: options.window,
        idleMs: options.idleMs,
        replyTo: this.queueName,
        cancellation: options.cancellation,
        requestSent: options.requestSent,
        closed: () => this.open.delete(id),
      },
      {
        send: async (frame, to) => {
          if (!isInstanceStreamsQueue(to)) throw new Error(`"${to}" is not an instance streams queue`);
          await this.init.queues.queue(to).enqueue(frame);
        },
        cancel: (reason) => this.init.cancel(target.service, id, reason),
      },
      body,
    );
    this.open.set(id, stream);
    const info = { body: stream.streamsRequestBody, window: options.window, idleMs: options.idleMs };
    try {
      const head = await this.init.dispatch(target, { ...request, body: new Uint8Array(0), stream: info }, { requestId: id, cancellation: options.cancellation });
      return stream.head(head);
    } catch (err) {
      stream.fail('dispatch-failed', (err as Error).message);
      throw err;
    }
  }

  /** Open exchanges now. */
  get size(): number {
    return this.open.size;
  }

  async close(): Promise<void> {
    for (const stream of [...this.open.values()]) stream.fail('shutdown');
    await this.subscription?.close();
  }

  private listen(): void {
    if (this.subscription !== undefined || this.init.signal.aborted) return;
    this.subscription = this.init.queues.queue(this.queueName).subscribe((frame, delivery) => this.onFrame(frame, delivery), {
      // This process is the queue's one reader: a tail read (no group, no lease, no ack per
      // chunk); what was read is trimmed. A chunk read by a process that dies is lost with it,
      // and its exchange ends with an error either way.
      mode: 'tail',
      group: 'gateway',
      concurrency: STREAM_READ_CONCURRENCY,
      blockMs: this.init.blockMs,
      signal: this.init.signal,
    });
  }

  private onFrame(frame: Frame, delivery: Delivery<Frame>): Promise<void> {
    if (frame.type !== 'BODY_CHUNK' && frame.type !== 'BODY_END' && frame.type !== 'CREDIT') {
      this.init.logger.warn({ queue: this.queueName, frame: frame.type, id: frame.id }, 'frame of the wrong type for its queue dead-lettered');
      return delivery.deadLetter(unexpectedFrameTypeReason(frame.type, this.queueName));
    }
    const stream = this.open.get(frame.id);
    if (stream === undefined) this.dropped += 1;
    else stream.onFrame(frame as BodyFrame);
    return DONE;
  }
}
