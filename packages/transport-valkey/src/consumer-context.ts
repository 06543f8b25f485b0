/** What one consumer's parts need from its queue and backend: a narrow view, not the whole backend. */
import type { BackendQueueSpec, Clock, ConsumptionMode, Logger } from '@switchyard/core';
import type { ValkeyClient } from './connection.js';
import type { DeadLetterRetention } from './dead-letter-retention.js';
import type { QueueKeys } from './keys.js';

export interface ConsumerContext {
  readonly spec: BackendQueueSpec;
  readonly keys: QueueKeys;
  readonly deadLetterRetention: DeadLetterRetention;
  readonly client: ValkeyClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly reclaimIntervalMs: number;
  /** 0 = no sweep of stale groups and consumers. */
  readonly staleGroupMs: number;
  createReader(consumerName: string): ValkeyClient;
  /** The server as connection errors name it (URL without password, config key, last error). */
  describeServer(): string;
  groupRecreated(group: string): void;
  /** The read loop is reading again (first read, or first after its connection dropped). */
  consuming(group: string, consumer: string): void;
}

/** Who a consumer is: its queue context, its mode, its group and its name in the group. */
export interface ConsumerIdentity {
  readonly ctx: ConsumerContext;
  readonly mode: ConsumptionMode;
  readonly group: string;
  readonly consumerName: string;
}
