/**
 * Builds router transports from `transports:` config entries (docs/configuration.md, `transports`), so the gateway
 * and the SDK read the same shape: `messaging` loads its queue backend by name through the plugin
 * loader; `tcp` and `tls` come from `@switchyard/transport-tcp`'s `routerTransportPlugin`; `inmemory`
 * links both sides in one process through a named hub.
 */
import { InvalidArgumentError } from '../errors.js';
import { loadQueueBackendPlugin, type PackageImporter, type QueueBackendPluginLoader } from '../ioc/plugin-loader.js';
import { OptionProblems } from '../options/problems.js';
import { createQueueFactory } from '../queue/factory.js';
import type { MessageQueueFactory } from '../queue/types.js';
import { backendOptionsOf, checkEntryShape, messagingOptionsOf } from './entry-check.js';
import { inMemoryHub } from './in-memory/hub.js';
import { MessagingGatewayTransport } from './messaging/gateway-transport.js';
import { MessagingInstanceTransport } from './messaging/instance-transport.js';
import type { MessagingTransportOptionsInput } from './messaging/options.js';
import { frameAuthFromConfig } from './messaging/auth-config.js';
import type { FrameAuthenticator } from './messaging/frame-authenticator.js';
import { tcpPlugin } from './tcp-plugin.js';
import type { GatewayTransport, InstanceTransport, TransportDeps } from './types.js';

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
  /** Gateway: a dispatched request nobody aborted is failed this long after its deadline. @default 5000 */
  readonly pendingGraceMs?: number;
  /** Gateway: a gateway node silent this long has its responses queue and consumer groups deleted (0: never). @default 60000 */
  readonly departedNodeGraceMs?: number;
}

/**
 * What the registry builds transports with: the transports' deps, and where packages come from.
 * `importPackage` is the host's own `import`, so transport and backend packages resolve from the
 * host's folder (npm's isolated layout hides them from core's): see loadQueueBackendPlugin.
 */
export interface RegistryDeps extends TransportDeps {
  /** Loads a messaging entry's queue backend by name. @default loadQueueBackendPlugin through `importPackage` */
  readonly loadBackendPlugin?: QueueBackendPluginLoader;
  /** The host package's import; also finds `@switchyard/transport-tcp`. */
  readonly importPackage?: PackageImporter;
}

/** Builds every gateway-side transport of `entries`, in order. Nothing is started. */
export async function createGatewayTransports(
  entries: readonly TransportConfigEntry[],
  deps: RegistryDeps & { readonly node: { readonly id: string; readonly region: string } },
): Promise<GatewayTransport[]> {
  if (!Array.isArray(entries)) throw InvalidArgumentError.format('transports', 'a list of transport entries', entries);
  checkEntries(entries, (i) => `transports[${i}]`);
  const built: GatewayTransport[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as TransportConfigEntry;
    if (entry.type === 'messaging') {
      // Consumer names start with the node id, so key hygiene can tell a departed node's consumers.
      const { factory, options, auth } = await messagingParts(entry, `transports[${i}]`, deps, deps.node.id);
      built.push(new MessagingGatewayTransport({ factory, options, auth, ownsFactory: true }, deps));
    } else if (entry.type === 'inmemory') {
      built.push(inMemoryHub(hubName(entry)).gatewayTransport(deps));
    } else {
      const plugin = await tcpPlugin(`transports[${i}].type`, deps.importPackage);
      built.push(naming(`transports[${i}]`, () => plugin.createGatewayTransport(entry, deps)));
    }
  }
  return built;
}

/** Builds the instance-side transport of one entry (a service uses the first entry of its config). Nothing is started. */
export async function createInstanceTransport(entry: TransportConfigEntry, deps: RegistryDeps, path = 'transports[0]'): Promise<InstanceTransport> {
  checkEntries([entry], () => path);
  if (entry.type === 'messaging') {
    const { factory, options, auth } = await messagingParts(entry, path, deps);
    return new MessagingInstanceTransport({ factory, options, auth, ownsFactory: true }, deps);
  }
  if (entry.type === 'inmemory') return inMemoryHub(hubName(entry)).instanceTransport(deps);
  const plugin = await tcpPlugin(`${path}.type`, deps.importPackage);
  return naming(path, () => plugin.createInstanceTransport(entry, deps));
}

/** Core's checks of every entry, before anything is built; throws SY_INVALID_ARGUMENT listing every problem. */
function checkEntries(entries: readonly unknown[], pathOf: (index: number) => string): void {
  const problems = new OptionProblems();
  entries.forEach((entry, i) => checkEntryShape(entry, pathOf(i), problems));
  if (!problems.isEmpty) throw InvalidArgumentError.fromProblems(problems.list);
}

async function messagingParts(
  entry: TransportConfigEntry,
  path: string,
  deps: RegistryDeps,
  consumerNamePrefix?: string,
): Promise<{ factory: MessageQueueFactory; options: MessagingTransportOptionsInput; auth: FrameAuthenticator | undefined }> {
  const backend = entry.backend as string;
  const load = deps.loadBackendPlugin ?? ((name: string) => loadQueueBackendPlugin(name, deps.importPackage === undefined ? {} : { importPackage: deps.importPackage }));
  const plugin = await load(backend);
  // Keys are read once the backend is known to exist and before it connects: a missing key stops
  // start-up with its config path.
  const auth = frameAuthFromConfig(entry.auth, backend, `${path}.auth`, deps.clock);
  if (auth === undefined && backend !== 'memory') {
    deps.logger.warn({ transport: path, backend }, `${path}.auth.insecure is true: frames over "${backend}" are neither signed nor verified`);
  }
  const queueBackend = naming(`${path}.${backend}`, () => plugin.createBackend(backendOptionsOf(entry), { clock: deps.clock, configKey: `${path}.${backend}` }));
  const factory = createQueueFactory(queueBackend, { clock: deps.clock, logger: deps.logger, ...(consumerNamePrefix === undefined ? {} : { consumerNamePrefix }) });
  return { factory, options: messagingOptionsOf(entry), auth };
}

/** `{ type: inmemory, hub?: name }`: both sides name the same hub (default 'default'). */
function hubName(entry: TransportConfigEntry): string {
  return (entry.hub as string | undefined) ?? 'default';
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
