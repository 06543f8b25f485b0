/**
 * Checks of `transports:` config entries, shared by the registry (which builds transports from
 * them) and by a config loader that reports every problem of every entry before anything is built.
 * Each check adds to an OptionProblems; paths are full config paths (`transports[0].queues.leaseMs`).
 */
import { loadQueueBackendPlugin, type PackageImporter } from '../ioc/plugin-loader.js';
import { authSectionProblems } from './messaging/auth-config.js';
import { OptionProblems, type OptionProblem } from '../options/problems.js';
import { checkMessagingOptions, type MessagingTransportOptionsInput } from './messaging/options.js';
import type { MessagingQueuesConfig, TransportConfigEntry } from './registry.js';
import { tcpPlugin } from './tcp-plugin.js';

/** Which end a transport is built for; a plugin may need keys on one side only (a TLS gateway's cert). */
export type TransportSide = 'gateway' | 'instance';

const TRANSPORT_TYPES = ['messaging', 'tcp', 'tls', 'inmemory'];
const MESSAGING_KEYS = ['type', 'backend', 'queues', 'concurrency', 'auth', 'runOnce'];
const INMEMORY_KEYS = ['type', 'hub'];
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
  'pendingGraceMs',
  'departedNodeGraceMs',
] as const satisfies ReadonlyArray<keyof MessagingQueuesConfig & keyof MessagingTransportOptionsInput>;
const QUEUES_KEYS = ['prefix', ...QUEUES_OPTION_KEYS];

/**
 * Adds the problems core can see in one entry without loading anything: its type, its keys, a
 * messaging entry's `queues` and `concurrency`, an inmemory entry's hub. True when the entry names
 * what builds it (a known type, and a messaging entry's backend), so that plugin can check the rest.
 */
export function checkEntryShape(entry: unknown, path: string, problems: OptionProblems): entry is TransportConfigEntry {
  if (!problems.object(path, entry)) return false;
  const e = entry as Record<string, unknown>;
  if (!TRANSPORT_TYPES.includes(e.type as string)) {
    problems.expected(`${path}.type`, 'one of "messaging", "tcp", "tls", "inmemory"', e.type);
    return false;
  }
  if (e.type === 'messaging') return checkMessagingEntry(e, path, problems);
  if (e.type === 'inmemory') {
    problems.unknownKeys(e, INMEMORY_KEYS, path, { noun: 'a key of an inmemory transport' });
    if (e.hub !== undefined) problems.nonEmptyString(`${path}.hub`, e.hub);
  }
  return true;
}

function checkMessagingEntry(e: Record<string, unknown>, path: string, problems: OptionProblems): boolean {
  const backend = e.backend;
  const isBackendNamed = typeof backend === 'string' && backend.length > 0;
  if (!isBackendNamed) {
    problems.expected(`${path}.backend`, 'a backend name ("memory", "valkey" or a package exporting a queue backend plugin)', backend);
  }
  problems.unknownKeys(e, MESSAGING_KEYS, path, {
    noun: `a key of a messaging transport (the backend's options go under its name${typeof backend === 'string' ? `, "${backend}"` : ''})`,
    alsoAllowed: typeof backend === 'string' ? [backend] : [],
  });
  if (typeof backend === 'string' && e[backend] !== undefined) problems.object(`${path}.${backend}`, e[backend]);
  if (e.queues !== undefined && problems.object(`${path}.queues`, e.queues)) {
    const queues = e.queues as Record<string, unknown>;
    problems.unknownKeys(queues, QUEUES_KEYS, `${path}.queues`, {
      noun: 'a queues option',
      // The routing state decides when an instance is asked for its HELLO, so its rate limit is routing config.
      renamed: { resyncMinIntervalMs: 'routing.resyncMinIntervalMs in the gateway config' },
    });
    if (queues.prefix !== undefined) problems.nonEmptyString(`${path}.queues.prefix`, queues.prefix);
    const scoped = new OptionProblems(`${path}.queues`);
    checkMessagingOptions(pick(queues, QUEUES_OPTION_KEYS), scoped);
    problems.addAll(scoped.list);
  }
  if (e.concurrency !== undefined || e.runOnce !== undefined) {
    const scoped = new OptionProblems(path);
    checkMessagingOptions(pick(e, ['concurrency', 'runOnce']), scoped);
    problems.addAll(scoped.list);
  }
  return isBackendNamed;
}

/** The Messaging transport options of a checked messaging entry: its `queues` options, `concurrency` and `runOnce`. */
export function messagingOptionsOf(entry: TransportConfigEntry): MessagingTransportOptionsInput {
  const options: MessagingTransportOptionsInput = pick((entry.queues ?? {}) as Record<string, unknown>, QUEUES_OPTION_KEYS);
  if (entry.concurrency !== undefined) options.concurrency = entry.concurrency as number;
  if (entry.runOnce !== undefined) options.runOnce = entry.runOnce as MessagingTransportOptionsInput['runOnce'];
  return options;
}

/** The backend's own section of a checked messaging entry; the key prefix belongs to the backend's key space, so only valkey takes it. */
export function backendOptionsOf(entry: TransportConfigEntry): Record<string, unknown> {
  const backend = entry.backend as string;
  const options: Record<string, unknown> = { ...((entry[backend] ?? {}) as Record<string, unknown>) };
  const prefix = (entry.queues as MessagingQueuesConfig | undefined)?.prefix;
  if (backend === 'valkey' && typeof prefix === 'string' && prefix.length > 0) options.prefix = prefix;
  return options;
}

/**
 * Every problem of every entry, for `side`, without building anything: core's own checks, then
 * each named plugin's (a backend's `checkOptions`, the TCP plugin's `checkEntry`). A plugin that
 * cannot be loaded is a problem at the key that names it.
 */
export async function checkTransportEntries(
  entries: unknown,
  side: TransportSide,
  path = 'transports',
  where: { readonly importPackage?: PackageImporter } = {},
): Promise<OptionProblem[]> {
  const problems = new OptionProblems();
  if (!Array.isArray(entries)) {
    problems.expected(path, 'a list of transport entries', entries);
    return problems.list;
  }
  for (let i = 0; i < entries.length; i++) {
    const at = `${path}[${i}]`;
    const entry: unknown = entries[i];
    if (!checkEntryShape(entry, at, problems)) continue;
    try {
      if (entry.type === 'messaging') {
        const backend = entry.backend as string;
        const plugin = await loadQueueBackendPlugin(backend, where);
        const scoped = new OptionProblems(`${at}.${backend}`);
        scoped.addAll(plugin.checkOptions?.(backendOptionsOf(entry)) ?? []);
        problems.addAll(scoped.list);
        problems.addAll(authSectionProblems(entry.auth, backend, `${at}.auth`));
      } else if (entry.type === 'tcp' || entry.type === 'tls') {
        const plugin = await tcpPlugin(`${at}.type`, where.importPackage);
        const scoped = new OptionProblems(at);
        scoped.addAll(plugin.checkEntry?.(entry, side) ?? []);
        problems.addAll(scoped.list);
      }
    } catch (err) {
      problems.add(entry.type === 'messaging' ? `${at}.backend` : `${at}.type`, `cannot be loaded: ${(err as Error).message}`);
    }
  }
  return problems.list;
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) picked[key] = source[key];
  return picked;
}
