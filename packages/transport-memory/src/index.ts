/**
 * @switchyard/transport-memory — the in-memory queue backend (packages/transport-memory/README.md).
 */
import { createQueueFactory, queueBackendModule, type Clock, type MessageQueueFactory } from '@switchyard/core';
import { createMemoryBackend, type MemoryBackendOptions } from './memory-backend.js';

export { createMemoryBackend, MEMORY_CAPABILITIES, type MemoryBackendOptions, type MemoryBackendDeps } from './memory-backend.js';
export { resolveMemoryBackendOptions } from './options.js';
export { plugin } from './plugin.js';

/**
 * A queue factory over a memory backend, with the same clock on both sides.
 * @param options.namespace backends with the same namespace in one process share queues. @default private
 * @param options.clock @default systemClock
 */
export function createMemoryQueueFactory(options: { namespace?: string; clock?: Clock } = {}): MessageQueueFactory {
  const backend = createMemoryBackend(options.namespace === undefined ? {} : { namespace: options.namespace }, options.clock === undefined ? {} : { clock: options.clock });
  return createQueueFactory(backend, options.clock === undefined ? {} : { clock: options.clock });
}

/**
 * Container module binding TOKENS.QueueBackend (a memory backend on the container's Clock) and
 * TOKENS.QueueFactory, both singletons. Load it with core's coreModule().
 */
export const memoryModule = (options: MemoryBackendOptions = {}): ReturnType<typeof queueBackendModule> =>
  queueBackendModule((deps) => createMemoryBackend(options, deps));
