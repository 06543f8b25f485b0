/**
 * The gateway side of streamed exchanges over Messaging (docs/messaging-transport.md, "Streamed
 * bodies"). The REQUEST and its RESPONSE head travel as any other (the transport's dispatch); the
 * bodies travel as BODY_CHUNK / BODY_END / CREDIT frames, in order, on the node's own streams
 * queue and on the streams queue of the instance that took the REQUEST. The node's streams queue
 * is read from the first streamed exchange on (its tail read starts from the queue's beginning,
 * so nothing sent before is missed): a gateway that never streams reads one queue less.
 *
 * The request body goes only to the instance that first granted credit for it; a REQUEST
 * redelivered to another instance never gets any of it, and that instance refuses to run it.
 */
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import { newFrameId } from '../../protocol/ids.js';
import type { CancelReason, RequestPayload, ResponsePayload } from '../../protocol/frames.js';
import type { Subscription } from '../../queue/types.js';
import { GatewayStream } from '../streaming/gateway-stream.js';
import type { StreamDispatchOptions, StreamedResponse } from '../streaming/types.js';
import type { DispatchOptions, DispatchTarget } from '../types.js';
import { readBodyFrames, sendBodyFrame } from './body-frame-reader.js';
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
          await sendBodyFrame(this.init.queues.queue(to), frame);
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
    const { queues, blockMs, signal, logger } = this.init;
    this.subscription = readBodyFrames({ queues, queueName: this.queueName, group: 'gateway', blockMs, signal, logger }, (frame) => {
      const stream = this.open.get(frame.id);
      if (stream === undefined) this.dropped += 1;
      else stream.onFrame(frame);
    });
  }
}
