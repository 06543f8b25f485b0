/**
 * @switchyard/transport-valkey — the Valkey (Redis Streams) queue backend. Listed by name.
 */
import type { BackendDeps, Clock, Logger, QueueBackend, QueueBackendPlugin } from '@switchyard/core';
import { resolveValkeyOptions, type ValkeyBackendOptions } from './options.js';
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
}

/**
 * The Valkey backend: validates `options` (throws SY_QUEUE_INVALID_OPTIONS naming every bad key),
 * then connects. Pass it to core's `createQueueFactory`, or use {@link createValkeyQueueFactory}.
 */
export function createValkeyBackend(options: ValkeyBackendOptions, deps: ValkeyDeps = {}): QueueBackend {
  return new ValkeyBackend(resolveValkeyOptions(options), deps);
}

/** The plugin the gateway and SDK load by name (`backend: valkey`). */
export const plugin: QueueBackendPlugin = Object.freeze({
  name: 'valkey',
  coreVersion: '^0.1.0',
  createBackend(options: Readonly<Record<string, unknown>>, deps: BackendDeps): QueueBackend {
    return new ValkeyBackend(resolveValkeyOptions(options), { clock: deps.clock });
  },
});

export default plugin;
