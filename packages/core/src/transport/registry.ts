/**
 * Builds router transports from `transports:` config entries (SPEC §6 "Config"), so the gateway
 * and the SDK read the same shape: `messaging` loads its queue backend by name through the plugin
 * loader; `tcp` and `tls` come from `@switchyard/transport-tcp`'s `routerTransportPlugin`; `inmemory`
 * links both sides in one process through a named hub.
 */
import { InvalidArgumentError, InvalidPluginError } from '../errors.js';
import { loadQueueBackendPlugin } from '../ioc/plugin-loader.js';
import { createQueueFactory } from '../queue/factory.js';
import type { MessageQueueFactory } from '../queue/types.js';
import { inMemoryHub } from './in-memory/hub.js';
import { MessagingGatewayTransport } from './messaging/gateway-transport.js';
import { MessagingInstanceTransport } from './messaging/instance-transport.js';
import { resolveMessagingOptions, type MessagingTransportOptionsInput } from './messaging/options.js';
import { frameAuthFromConfig } from './messaging/auth-config.js';
import type { FrameAuthenticator } from './messaging/frame-authenticator.js';
import type { GatewayTransport, InstanceTransport, RouterTransportPlugin, TransportDeps } from './types.js';

/** One `transports:` entry as read from config (validated here). */
export type TransportConfigEntry = Readonly<Record<string, unknown>> & { readonly type: string };

/** The `queues:` section of a messaging entry. */
export interface MessagingQueuesConfig {
  /** Key prefix of every queue (Valkey: `{prefix}:{queue}`). @default 'switchyard' */
  readonly prefix?: string;
  /** Lease of the control and responses queues. @default 30000 */
  readonly leaseMs?: number;
  /** Lease of a REQUEST, renewed while it runs. @default 5000 */
  readonly requestLeaseMs?: number;
  /** @default 3 */
  readonly maxDeliveries?: number;
  /** @default ':dlq' */
  readonly deadLetterSuffix?: string;
  /** Instance: how long an answered REQUEST's RESPONSE is kept for replay. @default 30000 */
  readonly replayTtlMs?: number;
  /** Instance: most answered REQUESTs kept for replay. @default 10000 */
  readonly replayCacheSize?: number;
  /** Instance: most RESPONSE body bytes kept for replay. @default 16777216 */
  readonly replayCacheBytes?: number;
  /** Long-poll length of each queue read. @default 1000 */
  readonly blockMs?: number;
  /** Instance: period of the running-request deadline sweep. @default 100 */
  readonly deadlineCheckMs?: number;
  /** Gateway: minimum gap between RESYNCs to one instance. @default 1000 */
  readonly resyncMinIntervalMs?: number;
  /** Gateway: a dispatched request nobody aborted is failed this long after its deadline. @default 5000 */
  readonly pendingGraceMs?: number;
}

const TCP_PACKAGE = '@switchyard/transport-tcp';
const MESSAGING_KEYS = new Set(['type', 'backend', 'queues', 'concurrency', 'auth']);
/** The `queues` keys that are Messaging transport options; the other one, `prefix`, goes to the backend. */
const QUEUES_OPTION_KEYS = [
  'leaseMs',
  'requestLeaseMs',
  'maxDeliveries',
  'deadLetterSuffix',
  'replayTtlMs',
  'replayCacheSize',
  'replayCacheBytes',
  'blockMs',
  'deadlineCheckMs',
  'resyncMinIntervalMs',
  'pendingGraceMs',
] as const satisfies ReadonlyArray<keyof MessagingQueuesConfig & keyof MessagingTransportOptionsInput>;
const QUEUES_KEYS = new Set<string>(['prefix', ...QUEUES_OPTION_KEYS]);

/** Builds every gateway-side transport of `entries`, in order. Nothing is started. */
export async function createGatewayTransports(
  entries: readonly TransportConfigEntry[],
  deps: TransportDeps & { readonly node: { readonly id: string; readonly region: string } },
): Promise<GatewayTransport[]> {
  if (!Array.isArray(entries)) throw InvalidArgumentError.format('transports', 'a list of transport entries', entries);
  const built: GatewayTransport[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = checkEntry(entries[i], `transports[${i}]`);
    if (entry.type === 'messaging') {
      const { factory, options, auth } = await messagingParts(entry, `transports[${i}]`, deps);
      built.push(new MessagingGatewayTransport({ factory, options, auth, ownsFactory: true }, deps));
    } else if (entry.type === 'inmemory') {
      built.push(inMemoryHub(hubName(entry, `transports[${i}]`)).gatewayTransport(deps));
    } else {
      const plugin = await tcpPlugin(`transports[${i}].type`);
      built.push(naming(`transports[${i}]`, () => plugin.createGatewayTransport(entry, deps)));
    }
  }
  return built;
}

/** Builds the instance-side transport of one entry (a service uses the first entry of its config). Nothing is started. */
export async function createInstanceTransport(entry: TransportConfigEntry, deps: TransportDeps, path = 'transports[0]'): Promise<InstanceTransport> {
  const checked = checkEntry(entry, path);
  if (checked.type === 'messaging') {
    const { factory, options, auth } = await messagingParts(checked, path, deps);
    return new MessagingInstanceTransport({ factory, options, auth, ownsFactory: true }, deps);
  }
  if (checked.type === 'inmemory') return inMemoryHub(hubName(checked, path)).instanceTransport(deps);
  const plugin = await tcpPlugin(`${path}.type`);
  return naming(path, () => plugin.createInstanceTransport(checked, deps));
}

function checkEntry(entry: unknown, path: string): TransportConfigEntry {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw InvalidArgumentError.format(path, 'an object', entry);
  const type = (entry as { type?: unknown }).type;
  if (type !== 'messaging' && type !== 'tcp' && type !== 'tls' && type !== 'inmemory') {
    throw InvalidArgumentError.format(`${path}.type`, 'one of "messaging", "tcp", "tls", "inmemory"', type);
  }
  return entry as TransportConfigEntry;
}

async function messagingParts(
  entry: TransportConfigEntry,
  path: string,
  deps: TransportDeps,
): Promise<{ factory: MessageQueueFactory; options: MessagingTransportOptionsInput; auth: FrameAuthenticator | undefined }> {
  const backend = entry.backend;
  if (typeof backend !== 'string' || backend.length === 0) {
    throw InvalidArgumentError.format(`${path}.backend`, 'a backend name ("memory", "valkey" or a package exporting a queue backend plugin)', backend);
  }
  for (const key of Object.keys(entry)) {
    if (!MESSAGING_KEYS.has(key) && key !== backend) {
      throw new InvalidArgumentError(`${path}.${key}`, `is not a key of a messaging transport (known: ${[...MESSAGING_KEYS].join(', ')}, and "${backend}" for the backend's options)`);
    }
  }
  const queues = objectAt(entry.queues, `${path}.queues`) as MessagingQueuesConfig;
  for (const key of Object.keys(queues)) {
    if (!QUEUES_KEYS.has(key)) throw new InvalidArgumentError(`${path}.queues.${key}`, `is not a queues option (known: ${[...QUEUES_KEYS].join(', ')})`);
  }
  if (queues.prefix !== undefined && (typeof queues.prefix !== 'string' || queues.prefix.length === 0)) {
    throw InvalidArgumentError.format(`${path}.queues.prefix`, 'a non-empty string', queues.prefix);
  }
  const given: Record<string, unknown> = {};
  for (const key of QUEUES_OPTION_KEYS) if (queues[key] !== undefined) given[key] = queues[key];
  const options = given as MessagingTransportOptionsInput;
  // Validate the transport options now, so the error names the config key.
  resolveMessagingOptions(options, `${path}.queues`);
  if (entry.concurrency !== undefined) {
    options.concurrency = entry.concurrency as number;
    resolveMessagingOptions({ concurrency: options.concurrency }, path);
  }

  const backendOptions: Record<string, unknown> = { ...objectAt(entry[backend], `${path}.${backend}`) };
  // The key prefix belongs to the backend's key space; only backends with keys take it.
  if (backend === 'valkey' && queues.prefix !== undefined) backendOptions.prefix = queues.prefix;
  const plugin = await loadQueueBackendPlugin(backend);
  // Keys are read once the backend is known to exist and before it connects: a missing key stops
  // start-up with its config path.
  const auth = frameAuthFromConfig(entry.auth, backend, `${path}.auth`, deps.clock);
  if (auth === undefined && backend !== 'memory') {
    deps.logger.warn({ transport: path, backend }, `${path}.auth.insecure is true: frames over "${backend}" are neither signed nor verified`);
  }
  const queueBackend = naming(`${path}.${backend}`, () => plugin.createBackend(backendOptions, { clock: deps.clock }));
  const factory = createQueueFactory(queueBackend, { clock: deps.clock, logger: deps.logger });
  return { factory, options, auth };
}

/** `{ type: inmemory, hub?: name }`: both sides name the same hub (default 'default'). */
function hubName(entry: TransportConfigEntry, path: string): string {
  for (const key of Object.keys(entry)) {
    if (key !== 'type' && key !== 'hub') throw new InvalidArgumentError(`${path}.${key}`, 'is not a key of an inmemory transport (known: type, hub)');
  }
  const hub = entry.hub ?? 'default';
  if (typeof hub !== 'string' || hub.length === 0) throw InvalidArgumentError.format(`${path}.hub`, 'a non-empty string', hub);
  return hub;
}

/**
 * Runs a plugin's factory; its validation error (which names keys relative to the entry) gets the
 * entry's config path in front of its message, keeping its own class and code (the
 * RouterTransportPlugin contract leaves the prefix to the caller).
 */
function naming<T>(path: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof Error && !err.message.startsWith(path)) {
      try {
        err.message = `${path}: ${err.message}`;
      } catch {
        // A frozen error keeps its message.
      }
    }
    throw err;
  }
}

function objectAt(value: unknown, path: string): Readonly<Record<string, unknown>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw InvalidArgumentError.format(path, 'an object', value);
  return value as Readonly<Record<string, unknown>>;
}

/** Loaded lazily: core does not depend on the TCP package; a deployment without it only fails when it names tcp/tls. */
async function tcpPlugin(path: string): Promise<RouterTransportPlugin> {
  let mod: { routerTransportPlugin?: unknown };
  try {
    const specifier: string = TCP_PACKAGE;
    mod = (await import(specifier)) as { routerTransportPlugin?: unknown };
  } catch (err) {
    throw new InvalidArgumentError(path, `needs ${TCP_PACKAGE}, which could not be loaded: ${(err as Error).message}`);
  }
  const plugin = mod.routerTransportPlugin as Partial<RouterTransportPlugin> | undefined;
  if (plugin === undefined || typeof plugin.createGatewayTransport !== 'function' || typeof plugin.createInstanceTransport !== 'function') {
    throw new InvalidPluginError(TCP_PACKAGE, 'it does not export routerTransportPlugin with createGatewayTransport and createInstanceTransport');
  }
  return plugin as RouterTransportPlugin;
}
