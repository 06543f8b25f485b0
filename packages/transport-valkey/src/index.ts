/**
 * @switchyard/transport-valkey — the Valkey (Redis Streams) queue backend. Listed by name.
 */
import { createQueueFactory, queueBackendModule, type BackendDeps, type Clock, type Logger, type MessageQueueFactory, type QueueBackend, type QueueBackendPlugin } from '@switchyard/core';
import { OptionProblems } from '@switchyard/core/internal';
import { checkValkeyOptions, resolveValkeyOptions, type ValkeyBackendOptions } from './options.js';
import { ValkeyBackend } from './valkey-backend.js';

export { VALKEY_DEFAULTS, resolveValkeyOptions, redactUrl, type ValkeyBackendOptions, type ValkeyNode, type ValkeyTlsOptions, type ResolvedValkeyOptions } from './options.js';
export { InvalidValkeyOptionsError, ValkeyCommandError } from './errors.js';
export { VALKEY_CAPABILITIES, ValkeyBackend } from './valkey-backend.js';
export { queueKeys, type QueueKeys } from './keys.js';

/** Optional collaborators. */
export interface ValkeyDeps {
  /** Used for lease expiry stamps on the client side. @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Where these options sit in a config file (e.g. `transports[0].valkey`), named by connection errors. */
  configKey?: string;
}

/**
 * The Valkey backend: validates `options` (throws SY_QUEUE_INVALID_OPTIONS naming every bad key),
 * then connects. Pass it to core's `createQueueFactory`, or use {@link createValkeyQueueFactory}.
 */
export function createValkeyBackend(options: ValkeyBackendOptions, deps: ValkeyDeps = {}): QueueBackend {
  return new ValkeyBackend(resolveValkeyOptions(options), deps);
}

/**
 * `createQueueFactory` over the Valkey backend: the public MessageQueue API (packages/core/README.md, "Queue layer").
 *
 * ```ts
 * const factory = createValkeyQueueFactory({ url: 'redis://127.0.0.1:6379/0' });
 * const orders = factory.queue<{ sku: string }>('orders', { leaseMs: 5_000 });
 * await orders.enqueue({ sku: 'a-1' });
 * const sub = orders.subscribe(async (order) => ship(order), { concurrency: 8 });
 * ```
 */
export function createValkeyQueueFactory(options: ValkeyBackendOptions, deps: ValkeyDeps = {}): MessageQueueFactory {
  const backend = createValkeyBackend(options, deps);
  return createQueueFactory(backend, { ...(deps.clock !== undefined ? { clock: deps.clock } : {}), ...(deps.logger !== undefined ? { logger: deps.logger } : {}) });
}

/** Like {@link createValkeyQueueFactory}, but resolves once connected (isReady() true); fails with SY_QUEUE_BACKEND_UNAVAILABLE after connectTimeoutMs. */
export async function connectValkeyQueueFactory(options: ValkeyBackendOptions, deps: ValkeyDeps = {}): Promise<MessageQueueFactory> {
  const backend = new ValkeyBackend(resolveValkeyOptions(options), deps);
  try {
    await backend.whenReady();
  } catch (err) {
    await backend.close();
    throw err;
  }
  return createQueueFactory(backend, { ...(deps.clock !== undefined ? { clock: deps.clock } : {}), ...(deps.logger !== undefined ? { logger: deps.logger } : {}) });
}

/** The plugin the gateway and SDK load by name (`backend: valkey`). */
export const plugin: QueueBackendPlugin = Object.freeze({
  name: 'valkey',
  coreVersion: '^0.1.0',
  createBackend(options: Readonly<Record<string, unknown>>, deps: BackendDeps): QueueBackend {
    return new ValkeyBackend(resolveValkeyOptions(options), { clock: deps.clock, ...(deps.configKey === undefined ? {} : { configKey: deps.configKey }) });
  },
  checkOptions(options: Readonly<Record<string, unknown>>) {
    const problems = new OptionProblems();
    checkValkeyOptions(options, problems);
    return problems.list;
  },
});

export default plugin;

/**
 * Container module binding TOKENS.QueueBackend (a Valkey backend on the container's Clock) and
 * TOKENS.QueueFactory, both singletons. Load it with core's coreModule(). Options are validated
 * when the backend is first resolved.
 */
export const valkeyModule = (options: ValkeyBackendOptions): ReturnType<typeof queueBackendModule> =>
  queueBackendModule((deps) => createValkeyBackend(options, { clock: deps.clock }));
