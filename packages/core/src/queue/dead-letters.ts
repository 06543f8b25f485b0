/**
 * The dead-letter API over a backend queue: list decodes what it can (`message` is undefined for a
 * payload the codec refuses, so a decode-error dead letter can still be inspected and purged).
 */
import { InvalidArgumentError, QueueClosedError } from '../errors.js';
import type { BackendQueue, RawDeadLetter } from './backend.js';
import type { DeadLetter, DeadLetterStore, QueueCodec } from './types.js';

export const DEFAULT_DEAD_LETTER_PAGE = 100;

export class DeadLetters<T> implements DeadLetterStore<T> {
  constructor(
    private readonly queueName: string,
    private readonly backend: BackendQueue,
    private readonly codec: QueueCodec<T>,
    private readonly isClosed: () => boolean,
  ) {}

  async list(options: { limit?: number; after?: string } = {}): Promise<DeadLetter<T>[]> {
    this.open('list dead letters');
    const limit = options.limit ?? DEFAULT_DEAD_LETTER_PAGE;
    if (!Number.isInteger(limit) || limit < 1) throw InvalidArgumentError.format('deadLetters.list limit', 'an integer ≥ 1', limit);
    const raws = await this.backend.listDeadLetters(limit, options.after);
    return raws.map((raw) => this.decode(raw));
  }

  count(): Promise<number> {
    this.open('count dead letters');
    return this.backend.countDeadLetters();
  }

  replay(ids?: readonly string[]): Promise<number> {
    this.open('replay dead letters');
    return this.backend.replayDeadLetters(ids);
  }

  purge(ids?: readonly string[]): Promise<number> {
    this.open('purge dead letters');
    return this.backend.purgeDeadLetters(ids);
  }

  private open(operation: string): void {
    if (this.isClosed()) throw new QueueClosedError(this.queueName, operation);
  }

  private decode(raw: RawDeadLetter): DeadLetter<T> {
    let message: T | undefined;
    try {
      message = this.codec.decode(raw.payload);
    } catch {
      message = undefined;
    }
    return {
      id: raw.id,
      originalId: raw.originalId,
      sourceQueue: raw.sourceQueue,
      message,
      payload: raw.payload,
      headers: raw.headers,
      attempts: raw.attempts,
      reason: raw.reason,
      enqueuedAt: raw.enqueuedAt,
      deadLetteredAt: raw.deadLetteredAt,
    };
  }
}
