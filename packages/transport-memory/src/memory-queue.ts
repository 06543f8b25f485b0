/** A backend queue over a memory queue state; tracks the consumers it opened so close() closes them. */
import {
  QueueClosedError,
  type BackendConsumer,
  type BackendConsumerSpec,
  type BackendQueue,
  type Clock,
  type QueueStats,
  type RawDeadLetter,
  type RawMessage,
} from '@switchyard/core';
import { MemoryConsumer } from './memory-consumer.js';
import type { MemoryQueueState } from './queue-state.js';

export class MemoryQueue implements BackendQueue {
  private closed = false;
  private readonly consumers = new Set<MemoryConsumer>();

  constructor(
    private readonly state: MemoryQueueState,
    private readonly clock: Clock,
    private readonly onClose: () => void,
  ) {}

  async enqueue(messages: readonly RawMessage[]): Promise<string[]> {
    this.assertOpen('enqueue');
    return this.state.enqueue(messages, this.clock.now());
  }

  openConsumer(spec: BackendConsumerSpec): BackendConsumer {
    this.assertOpen('open a consumer');
    const consumer: MemoryConsumer = new MemoryConsumer(this.state, spec, this.clock, () => this.consumers.delete(consumer));
    this.consumers.add(consumer);
    return consumer;
  }

  async listDeadLetters(limit: number, after?: string): Promise<RawDeadLetter[]> {
    this.assertOpen('list dead letters');
    return this.state.listDeadLetters(limit, after);
  }

  async countDeadLetters(): Promise<number> {
    this.assertOpen('count dead letters');
    return this.state.countDeadLetters();
  }

  async replayDeadLetters(ids?: readonly string[]): Promise<number> {
    this.assertOpen('replay dead letters');
    return this.state.replayDeadLetters(ids, this.clock.now());
  }

  async purgeDeadLetters(ids?: readonly string[]): Promise<number> {
    this.assertOpen('purge dead letters');
    return this.state.purgeDeadLetters(ids);
  }

  async stats(): Promise<QueueStats> {
    this.assertOpen('read stats');
    return this.state.stats(this.clock.now());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
    this.onClose();
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new QueueClosedError(this.state.name, operation);
  }
}
