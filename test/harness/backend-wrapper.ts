/**
 * Wraps a queue backend so a test can override a few primitives (record calls, inject faults,
 * break one on purpose) while every other call passes through to the real backend.
 */
import type { BackendConsumer, BackendConsumerSpec, BackendQueue, QueueBackend } from '@switchyard/core';

export interface BackendOverrides {
  /** Backend name reported by the wrapper. @default the inner backend's name */
  readonly name?: string;
  /** Replaces queue-level primitives of one opened queue. */
  readonly queue?: (inner: BackendQueue) => Partial<Omit<BackendQueue, 'openConsumer'>>;
  /** Replaces consumer-level primitives of one opened consumer (`spec` is what it was opened with). */
  readonly consumer?: (inner: BackendConsumer, spec: BackendConsumerSpec) => Partial<BackendConsumer>;
}

export function wrapBackend(inner: QueueBackend, overrides: BackendOverrides): QueueBackend {
  const consumer = (c: BackendConsumer, spec: BackendConsumerSpec): BackendConsumer => ({
    lease: (max, leaseMs, blockMs, signal) => c.lease(max, leaseMs, blockMs, signal),
    ack: (leases) => c.ack(leases),
    renew: (lease, leaseMs) => c.renew(lease, leaseMs),
    release: (lease, delayMs) => c.release(lease, delayMs),
    deadLetter: (lease, reason, payload) => c.deadLetter(lease, reason, payload),
    close: () => c.close(),
    ...(c.opened === undefined ? {} : { opened: () => (c.opened as () => Promise<void>).call(c) }),
    ...overrides.consumer?.(c, spec),
  });
  const queue = (q: BackendQueue): BackendQueue => ({
    enqueue: (messages) => q.enqueue(messages),
    listDeadLetters: (limit, after) => q.listDeadLetters(limit, after),
    countDeadLetters: () => q.countDeadLetters(),
    replayDeadLetters: (ids) => q.replayDeadLetters(ids),
    purgeDeadLetters: (ids) => q.purgeDeadLetters(ids),
    stats: () => q.stats(),
    close: () => q.close(),
    ...overrides.queue?.(q),
    openConsumer: (spec) => consumer(q.openConsumer(spec), spec),
  });
  return {
    name: overrides.name ?? inner.name,
    capabilities: inner.capabilities,
    open: (spec) => queue(inner.open(spec)),
    isReady: () => inner.isReady(),
    status: () => inner.status(),
    close: () => inner.close(),
  };
}
