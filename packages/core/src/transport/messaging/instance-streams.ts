/**
 * The instance side of streamed exchanges over Messaging (docs/messaging-transport.md, "Streamed
 * bodies"): reads its own `instance.<instanceId>.streams` queue from the first streamed REQUEST
 * on, feeds each exchange's body frames to it, and sends its own to the gateway node's streams
 * queue. A streamed REQUEST delivered a second time is not run again (its request body may
 * already have flowed to the instance that first took it): it is answered 502
 * SY_INSTANCE_STREAM_NOT_RETRIABLE, which the gateway relays, or drops when it already has a head.
 */
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { Frame, RequestFrame, ResponseFrame } from '../../protocol/frames.js';
import type { Delivery, Subscription } from '../../queue/types.js';
import { Cancellation } from '../cancellation.js';
import { InstanceStream } from '../streaming/instance-stream.js';
import type { InstanceAnswer } from '../streaming/types.js';
import type { InstanceRequestHandler } from '../types.js';
import { readBodyFrames, sendBodyFrame } from './body-frame-reader.js';
import type { FrameQueues } from './frame-queues.js';
import { gatewayStreamsQueue, instanceStreamsQueue } from './stream-queues.js';

export interface MessagingInstanceStreamsInit {
  readonly queues: FrameQueues;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly blockMs: number;
  readonly signal: AbortSignal;
  /** Registers a running exchange so CANCEL reaches it; `untrack` when it is over. */
  readonly track: (id: string, cancellation: Cancellation) => void;
  readonly untrack: (id: string) => void;
  /** Sends a RESPONSE (or a streamed head) to the REQUEST's replyTo. */
  readonly reply: (replyTo: string, response: ResponseFrame) => Promise<void>;
}

const NOT_RETRIABLE = new TextEncoder().encode(
  JSON.stringify({ error: { code: 'SY_INSTANCE_STREAM_NOT_RETRIABLE', message: 'a streamed request is not run again once delivered: its body may have gone to another instance' } }),
);

export class MessagingInstanceStreams {
  readonly queueName: string;
  private readonly open = new Map<string, InstanceStream>();
  private subscription: Subscription | undefined;
  /** Streamed REQUESTs refused because they were redelivered. */
  notRetried = 0;

  constructor(private readonly init: MessagingInstanceStreamsInit) {
    this.queueName = instanceStreamsQueue(init.instanceId);
  }

  /** Runs one streamed REQUEST to its end (the delivery's lease is held, and renewed, until then). */
  async run(frame: RequestFrame, delivery: Delivery<Frame>, handle: InstanceRequestHandler): Promise<void> {
    const { replyTo } = frame.payload;
    if (delivery.attempt > 1) {
      this.notRetried += 1;
      this.init.logger.warn({ requestId: frame.id, attempt: delivery.attempt }, 'streamed REQUEST redelivered; answered not retriable');
      await this.init.reply(replyTo, this.response(frame.id, { status: 502, headers: { 'content-type': 'application/json' }, body: NOT_RETRIABLE }));
      return;
    }
    this.listen();
    const cancellation = new Cancellation();
    const gateway = gatewayStreamsQueue(replyTo);
    const stream = new InstanceStream(
      frame,
      { clock: this.init.clock, instanceId: this.init.instanceId, replyTo: this.queueName, gateway },
      {
        send: async (f, to) => {
          await sendBodyFrame(this.init.queues.queue(to), f);
        },
        respond: (payload) => this.init.reply(replyTo, { v: 1, type: 'RESPONSE', id: frame.id, sentAt: this.init.clock.now(), payload }),
      },
      cancellation,
    );
    this.open.set(frame.id, stream);
    this.init.track(frame.id, cancellation);
    try {
      let answer: InstanceAnswer;
      try {
        answer = await handle(frame, cancellation, stream.requestBody);
      } catch (err) {
        if (cancellation.cancelled) return;
        this.init.logger.error({ err, requestId: frame.id }, 'request handler threw');
        answer = { status: 500, headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode(JSON.stringify({ error: { code: 'SY_HANDLER_FAILED', message: 'the handler failed before answering' } })) };
      }
      if (cancellation.cancelled) return;
      await stream.answer(answer);
    } catch (err) {
      this.init.logger.warn({ err, requestId: frame.id }, 'streamed RESPONSE could not be sent');
    } finally {
      this.open.delete(frame.id);
      this.init.untrack(frame.id);
    }
  }

  async close(): Promise<void> {
    await this.subscription?.close();
  }

  private response(id: string, answer: Omit<ResponseFrame['payload'], 'instanceId'>): ResponseFrame {
    return { v: 1, type: 'RESPONSE', id, sentAt: this.init.clock.now(), payload: { ...answer, instanceId: this.init.instanceId } };
  }

  private listen(): void {
    if (this.subscription !== undefined || this.init.signal.aborted) return;
    const { queues, blockMs, signal, logger } = this.init;
    this.subscription = readBodyFrames({ queues, queueName: this.queueName, group: 'instance', blockMs, signal, logger }, (frame) => this.open.get(frame.id)?.onFrame(frame));
  }
}
