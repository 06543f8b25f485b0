/**
 * Opens the transport's queues with one set of options per role, so the gateway side and the
 * instance side of one process (tests, embedding) ask the factory for identical queues.
 */
import type { MessageQueue, MessageQueueFactory, QueueStats } from '../../queue/types.js';
import type { Frame } from '../../protocol/frames.js';
import { unsignedFrameCodec } from '../../protocol/frame-redaction.js';
import type { MessagingTransportOptions } from './options.js';
import type { FrameAuthenticator } from './frame-authenticator.js';
import { isStreamsQueue } from './stream-queues.js';
import { streamsQueueCodec } from './streams-codec.js';

export class FrameQueues {
  private readonly open = new Map<string, MessageQueue<Frame>>();

  constructor(
    readonly factory: MessageQueueFactory,
    private readonly options: MessagingTransportOptions,
    /** Signs and verifies every frame when given; frames travel unsigned otherwise (memory backend, `auth.insecure`). */
    private readonly auth?: FrameAuthenticator,
  ) {}

  /** A control or responses queue (generic lease). */
  queue(name: string): MessageQueue<Frame> {
    return this.get(name, this.options.leaseMs);
  }

  /** A `service.<name>.<version>.requests` queue (REQUEST lease, `requestLeaseMs`). */
  requests(name: string): MessageQueue<Frame> {
    return this.get(name, this.options.requestLeaseMs);
  }

  private get(name: string, leaseMs: number): MessageQueue<Frame> {
    let queue = this.open.get(name);
    if (queue === undefined) {
      const codec = this.auth?.codecFor(name) ?? unsignedFrameCodec;
      queue = this.factory.queue<Frame>(name, {
        codec: isStreamsQueue(name) ? streamsQueueCodec(codec) : codec,
        leaseMs,
        maxDeliveries: this.options.maxDeliveries,
        deadLetterSuffix: this.options.deadLetterSuffix,
      });
      this.open.set(name, queue);
    }
    return queue;
  }

  /** Stats of every queue opened so far, by name. */
  async stats(): Promise<Record<string, QueueStats>> {
    const out: Record<string, QueueStats> = {};
    for (const [name, queue] of this.open) out[name] = await queue.stats();
    return out;
  }
}
