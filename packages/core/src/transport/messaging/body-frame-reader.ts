/**
 * Reads one streams queue (a gateway node's or an instance's, see stream-queues.ts) and hands each
 * body frame to `deliver`. The process is the queue's one reader, so the read is a tail read: no
 * group, no lease, no ack per chunk, and what was read is trimmed. A chunk read by a process that
 * dies is lost with it, and its exchange ends with an error either way. A frame of another type
 * does not belong on a streams queue and is dead-lettered. sendBodyFrame puts one on its way.
 */
import type { Logger } from '../../logger.js';
import type { BodyFrame, Frame } from '../../protocol/frames.js';
import { unexpectedFrameTypeReason } from '../../queue/dead-letter-reasons.js';
import type { MessageQueue, Subscription } from '../../queue/types.js';
import type { FrameQueues } from './frame-queues.js';

/** Body frames read at once from a streams queue. */
const STREAM_READ_CONCURRENCY = 64;

export interface BodyFrameReaderInit {
  readonly queues: FrameQueues;
  readonly queueName: string;
  /** The reader's role, named in the backend's bookkeeping. */
  readonly group: 'gateway' | 'instance';
  readonly blockMs: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

export function readBodyFrames(init: BodyFrameReaderInit, deliver: (frame: BodyFrame) => void): Subscription {
  const { queueName, logger } = init;
  return init.queues.queue(queueName).subscribe(
    (frame: Frame, delivery) => {
      if (frame.type !== 'BODY_CHUNK' && frame.type !== 'BODY_END' && frame.type !== 'CREDIT') {
        logger.warn({ queue: queueName, frame: frame.type, id: frame.id }, 'frame of the wrong type for its queue dead-lettered');
        return delivery.deadLetter(unexpectedFrameTypeReason(frame.type, queueName));
      }
      deliver(frame);
      // Nothing to wait for: the read loop settles a tail delivery at once.
      return undefined;
    },
    { mode: 'tail', group: init.group, concurrency: STREAM_READ_CONCURRENCY, blockMs: init.blockMs, signal: init.signal },
  );
}

/**
 * Puts one body frame on a streams queue, at once and on its own: a body frame is never gathered
 * with others of the same turn (a chunk and a CREDIT often go to one queue together), as a batch
 * would be enqueued by a script whose arguments, the chunk among them, are copied into one
 * command and again into the script. Frames sent one after another stay in that order.
 */
export function sendBodyFrame(queue: MessageQueue<Frame>, frame: BodyFrame): Promise<unknown> {
  return queue.enqueueBatch([{ message: frame }]);
}
