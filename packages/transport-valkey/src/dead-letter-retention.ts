/**
 * The retention of one queue's dead-letter stream (packages/transport-valkey/README.md, "Dead-letter
 * retention"): at most `deadLetterMaxLength` entries, none older than `deadLetterMaxAgeMs`, oldest
 * dropped first, every dropped entry counted in `<dead-letter stream>:dropped`. Applied after each
 * dead-letter write and at each stats read (so age takes effect on a queue nobody dead-letters to
 * any more), one script call each; never by trimming on the hot path.
 */
import type { Logger } from '@switchyard/core';
import type { ValkeyClient } from './connection.js';
import type { QueueKeys } from './keys.js';

export interface DeadLetterRetentionLimits {
  /** 0: no limit. */
  readonly deadLetterMaxLength: number;
  /** 0: no limit. */
  readonly deadLetterMaxAgeMs: number;
}

export class DeadLetterRetention {
  constructor(
    private readonly client: ValkeyClient,
    private readonly keys: Pick<QueueKeys, 'deadLetters' | 'deadLettersDropped'>,
    private readonly limits: DeadLetterRetentionLimits,
    private readonly logger: Logger,
  ) {}

  /** Applies the limits; resolves with the total dropped so far. Rejects with the command's error. */
  async apply(): Promise<number> {
    const [, total] = await this.client.syTrimDeadLetters(this.keys.deadLetters, this.keys.deadLettersDropped, this.limits.deadLetterMaxLength, this.limits.deadLetterMaxAgeMs);
    return total;
  }

  /** After a dead-letter write: applies the limits, logging (not failing) when the server cannot be reached; the next write or stats read tries again. */
  async afterDeadLetter(): Promise<void> {
    if (this.limits.deadLetterMaxLength === 0 && this.limits.deadLetterMaxAgeMs === 0) return;
    await this.apply().catch((err: unknown) => this.logger.warn({ err, deadLetters: this.keys.deadLetters }, 'dead-letter retention could not be applied; retrying at the next write or stats read'));
  }
}
