/**
 * Connection and tuning options of the Valkey backend: defaults in one frozen object, validation
 * once at creation, every problem collected and named by its key. A password never
 * appears in a problem, a log line or an error message.
 */
import { readFileSync } from 'node:fs';
import { formatValue, OptionProblems } from '@switchyard/core/internal';
import { InvalidValkeyOptionsError } from './errors.js';

/** A host and port of a Sentinel or Cluster node. */
export interface ValkeyNode {
  host: string;
  port: number;
}

/** TLS material, as file paths read once at start. */
export interface ValkeyTlsOptions {
  /** CA bundle (PEM) that signed the server certificate. */
  ca?: string;
  /** Client certificate (PEM) for mutual TLS. */
  cert?: string;
  /** Client private key (PEM) for mutual TLS. */
  key?: string;
  /** Verify the server certificate. @default true */
  rejectUnauthorized?: boolean;
  /** SNI / certificate host name, when it differs from the URL host. */
  servername?: string;
}

export interface ValkeyBackendOptions {
  /** `redis://` or `rediss://` (TLS) URL; its user, password and `/db` apply unless given below. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** ACL user name. */
  username?: string;
  /** Password (ACL or requirepass). Never logged. */
  password?: string;
  /** Database index (standalone and Sentinel only). @default 0 */
  db?: number;
  /** TLS files; implied by a `rediss://` URL. */
  tls?: ValkeyTlsOptions;
  /** Sentinel nodes; with `sentinelName` the master is found through them. */
  sentinels?: ValkeyNode[];
  /** Name of the Sentinel-monitored master. */
  sentinelName?: string;
  /** Password of the Sentinel nodes, if any. Never logged. */
  sentinelPassword?: string;
  /** Valkey Cluster seed nodes; queues spread over the masters by their `{queue}` hash tag. */
  cluster?: { nodes: ValkeyNode[] };
  /** Key prefix: keys are `{prefix}:{<queue>}...`. Must not contain `{` or `}`. @default 'switchyard' */
  prefix?: string;
  /** Connect timeout per attempt. @default 10000 */
  connectTimeoutMs?: number;
  /** How often a consumer looks for expired leases and due releases; 0 = min(leaseMs / 4, 250). @default 0 */
  reclaimIntervalMs?: number;
  /** Retries of a non-blocking command while the connection is down, before it fails with SY_QUEUE_BACKEND_UNAVAILABLE. @default 3 */
  commandRetries?: number;
  /** A non-blocking command that has no reply after this long (waiting for a connection included) fails with SY_QUEUE_BACKEND_UNAVAILABLE. @default 10000 */
  commandTimeoutMs?: number;
  /** Longest reconnect backoff. @default 2000 */
  maxReconnectDelayMs?: number;
  /** Client name shown in CLIENT LIST. @default 'switchyard' */
  connectionName?: string;
  /**
   * Fan-out groups whose consumers have all been idle this long are destroyed, and idle consumers
   * with nothing pending are deleted from competing groups (what crashed processes leave behind).
   * 0 disables the sweep. @default 600000 (10 min)
   */
  staleGroupMs?: number;
  /** Most entries a dead-letter stream keeps; older ones are dropped and counted (README, "Dead-letter retention"). 0 = no limit. @default 100000 */
  deadLetterMaxLength?: number;
  /** Dead letters older than this are dropped and counted. 0 = no limit. @default 1209600000 (14 days) */
  deadLetterMaxAgeMs?: number;
}

/** Defaults of every option (the key prefix `switchyard` is shared with the gateway's `queues.prefix` default). */
export const VALKEY_DEFAULTS = Object.freeze({
  url: 'redis://127.0.0.1:6379',
  db: 0,
  prefix: 'switchyard',
  connectTimeoutMs: 10_000,
  reclaimIntervalMs: 0,
  commandRetries: 3,
  commandTimeoutMs: 10_000,
  maxReconnectDelayMs: 2_000,
  connectionName: 'switchyard',
  staleGroupMs: 600_000,
  deadLetterMaxLength: 100_000,
  deadLetterMaxAgeMs: 14 * 24 * 3_600_000,
});

/** Validated, resolved options; TLS files already read. */
export interface ResolvedValkeyOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
  readonly tls: Readonly<{ ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean; servername?: string }> | undefined;
  readonly sentinels: readonly ValkeyNode[] | undefined;
  readonly sentinelName: string | undefined;
  readonly sentinelPassword: string | undefined;
  readonly cluster: Readonly<{ nodes: readonly ValkeyNode[] }> | undefined;
  readonly prefix: string;
  readonly connectTimeoutMs: number;
  readonly reclaimIntervalMs: number;
  readonly commandRetries: number;
  readonly commandTimeoutMs: number;
  readonly maxReconnectDelayMs: number;
  readonly connectionName: string;
  readonly staleGroupMs: number;
  readonly deadLetterMaxLength: number;
  readonly deadLetterMaxAgeMs: number;
  /** The server for logs and errors: the URL with any password replaced by `***`, or the Cluster seed nodes, or the Sentinel master name and nodes. */
  readonly displayUrl: string;
  /** The option that names the server(s): `url`, `cluster.nodes` or `sentinels`. */
  readonly serverKey: 'url' | 'cluster.nodes' | 'sentinels';
}

const KNOWN = [
  'url', 'username', 'password', 'db', 'tls', 'sentinels', 'sentinelName', 'sentinelPassword', 'cluster', 'prefix',
  'connectTimeoutMs', 'reclaimIntervalMs', 'commandRetries', 'commandTimeoutMs', 'maxReconnectDelayMs', 'connectionName', 'staleGroupMs',
  'deadLetterMaxLength', 'deadLetterMaxAgeMs',
] as const;
const RENAMED: Readonly<Record<string, string>> = { host: 'url', port: 'url', user: 'username', database: 'db', keyPrefix: 'prefix', nodes: 'cluster.nodes' };
const TLS_KEYS = ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'];

/** `url` with its password (if any) replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

/**
 * Validates `input` (typically a config section) and resolves it. Throws
 * InvalidValkeyOptionsError (code SY_QUEUE_INVALID_OPTIONS) listing every problem by key.
 */
export function resolveValkeyOptions(input: unknown = {}): ResolvedValkeyOptions {
  const problems = new OptionProblems();
  const resolved = checkValkeyOptions(input, problems);
  if (resolved === undefined || !problems.isEmpty) throw new InvalidValkeyOptionsError(problems.messages());
  return resolved;
}

/**
 * Adds every problem of `input` to `problems` (paths relative to the section) and returns the
 * resolved options, which are only meaningful when no problem was added.
 */
export function checkValkeyOptions(input: unknown, problems: OptionProblems): ResolvedValkeyOptions | undefined {
  if (!problems.object('options', input)) return undefined;
  const o = input as Record<string, unknown>;
  problems.unknownKeys(o, KNOWN, '', { noun: 'an option', renamed: RENAMED });

  const urlText = o.url === undefined ? VALKEY_DEFAULTS.url : o.url;
  let host = '127.0.0.1';
  let port = 6379;
  let urlUser: string | undefined;
  let urlPassword: string | undefined;
  let urlDb: number | undefined;
  let tlsByUrl = false;
  let displayUrl: string = VALKEY_DEFAULTS.url;
  if (typeof urlText !== 'string') {
    problems.expected('url', 'a redis:// or rediss:// URL string', urlText);
  } else {
    displayUrl = redactUrl(urlText);
    let u: URL | undefined;
    try {
      u = new URL(urlText);
    } catch {
      problems.expected('url', 'a redis:// or rediss:// URL', displayUrl);
    }
    if (u !== undefined) {
      if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
        problems.add('url', `must start with redis:// or rediss:// (got ${formatValue(displayUrl)})`);
      }
      tlsByUrl = u.protocol === 'rediss:';
      host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
      if (u.port !== '') port = Number(u.port);
      if (u.username !== '') urlUser = decodeURIComponent(u.username);
      if (u.password !== '') urlPassword = decodeURIComponent(u.password);
      const path = u.pathname.replace(/^\//, '');
      if (path !== '') {
        if (!/^\d+$/.test(path)) problems.add('url', `database path must be a number like /0 (got ${formatValue(`/${path}`)})`);
        else urlDb = Number(path);
      }
      for (const key of u.searchParams.keys()) problems.add('url', `query parameter "${key}" is not supported; use the options instead`);
    }
  }

  const username = optionalString(o, 'username', problems) ?? urlUser;
  const password = optionalString(o, 'password', problems, true) ?? urlPassword;
  const db = o.db === undefined ? (urlDb ?? VALKEY_DEFAULTS.db) : o.db;
  problems.integer('db', db, 0);

  let tls: ResolvedValkeyOptions['tls'];
  if (o.tls !== undefined) {
    if (problems.object('tls', o.tls, 'an object with ca, cert, key file paths')) {
      const t = o.tls as Record<string, unknown>;
      problems.unknownKeys(t, TLS_KEYS, 'tls', { noun: 'an option' });
      const files: Record<string, Buffer> = {};
      for (const key of ['ca', 'cert', 'key'] as const) {
        const path = t[key];
        if (path === undefined) continue;
        if (typeof path !== 'string' || path === '') {
          problems.expected(`tls.${key}`, 'a file path', path);
          continue;
        }
        try {
          files[key] = readFileSync(path);
        } catch (err) {
          problems.add(`tls.${key}`, `file ${JSON.stringify(path)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
      if ((t.cert === undefined) !== (t.key === undefined)) problems.add('tls.cert', 'and tls.key must be given together');
      if (t.rejectUnauthorized !== undefined && typeof t.rejectUnauthorized !== 'boolean') {
        problems.expected('tls.rejectUnauthorized', 'a boolean', t.rejectUnauthorized);
      }
      const servername = optionalString(t, 'servername', problems, false, 'tls.');
      tls = Object.freeze({ ...files, rejectUnauthorized: t.rejectUnauthorized !== false, ...(servername !== undefined ? { servername } : {}) });
    }
  } else if (tlsByUrl) {
    tls = Object.freeze({ rejectUnauthorized: true });
  }

  const sentinels = nodeList(o.sentinels, 'sentinels', problems);
  const sentinelName = optionalString(o, 'sentinelName', problems);
  const sentinelPassword = optionalString(o, 'sentinelPassword', problems, true);
  if ((sentinels === undefined) !== (sentinelName === undefined)) problems.add('sentinels', 'and sentinelName must be given together');

  let cluster: ResolvedValkeyOptions['cluster'];
  if (o.cluster !== undefined) {
    if (problems.object('cluster', o.cluster, 'an object { nodes: [{ host, port }] }')) {
      const c = o.cluster as Record<string, unknown>;
      problems.unknownKeys(c, ['nodes'], 'cluster', { noun: 'an option' });
      const nodes = nodeList(c.nodes, 'cluster.nodes', problems);
      if (nodes === undefined) problems.add('cluster.nodes', 'must list at least one { host, port }');
      else cluster = Object.freeze({ nodes });
    }
    if (sentinels !== undefined) problems.add('cluster', 'and sentinels are mutually exclusive');
    if (o.db !== undefined && o.db !== 0) problems.add('db', 'must be 0 (or unset) with cluster: Valkey Cluster has one database');
  }

  const prefix = o.prefix === undefined ? VALKEY_DEFAULTS.prefix : o.prefix;
  if (typeof prefix !== 'string' || prefix === '' || /[{}\s]/.test(prefix)) {
    problems.expected('prefix', 'a non-empty string without braces or spaces', o.prefix);
  }
  const connectTimeoutMs = integer(o, 'connectTimeoutMs', VALKEY_DEFAULTS.connectTimeoutMs, 1, problems);
  const reclaimIntervalMs = integer(o, 'reclaimIntervalMs', VALKEY_DEFAULTS.reclaimIntervalMs, 0, problems);
  const commandRetries = integer(o, 'commandRetries', VALKEY_DEFAULTS.commandRetries, 0, problems);
  const commandTimeoutMs = integer(o, 'commandTimeoutMs', VALKEY_DEFAULTS.commandTimeoutMs, 100, problems);
  const maxReconnectDelayMs = integer(o, 'maxReconnectDelayMs', VALKEY_DEFAULTS.maxReconnectDelayMs, 10, problems);
  const connectionName = optionalString(o, 'connectionName', problems) ?? VALKEY_DEFAULTS.connectionName;
  const staleGroupMs = integer(o, 'staleGroupMs', VALKEY_DEFAULTS.staleGroupMs, 0, problems);
  const deadLetterMaxLength = integer(o, 'deadLetterMaxLength', VALKEY_DEFAULTS.deadLetterMaxLength, 0, problems);
  const deadLetterMaxAgeMs = integer(o, 'deadLetterMaxAgeMs', VALKEY_DEFAULTS.deadLetterMaxAgeMs, 0, problems);

  return Object.freeze({
    host,
    port,
    username,
    password,
    db: db as number,
    tls,
    sentinels,
    sentinelName,
    sentinelPassword,
    cluster,
    prefix: prefix as string,
    connectTimeoutMs,
    reclaimIntervalMs,
    commandRetries,
    commandTimeoutMs,
    maxReconnectDelayMs,
    connectionName,
    staleGroupMs,
    deadLetterMaxLength,
    deadLetterMaxAgeMs,
    ...serverDisplay(displayUrl, cluster, sentinels, sentinelName),
  });
}

function serverDisplay(
  url: string,
  cluster: ResolvedValkeyOptions['cluster'],
  sentinels: readonly ValkeyNode[] | undefined,
  sentinelName: string | undefined,
): Pick<ResolvedValkeyOptions, 'displayUrl' | 'serverKey'> {
  const list = (nodes: readonly ValkeyNode[]): string => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (cluster !== undefined) return { displayUrl: `cluster ${list(cluster.nodes)}`, serverKey: 'cluster.nodes' };
  if (sentinels !== undefined) return { displayUrl: `sentinel master "${sentinelName ?? ''}" via ${list(sentinels)}`, serverKey: 'sentinels' };
  return { displayUrl: url, serverKey: 'url' };
}

function optionalString(o: Record<string, unknown>, key: string, problems: OptionProblems, isSecret = false, path = ''): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  return problems.nonEmptyString(`${path}${key}`, v, isSecret) ? v : undefined;
}

function integer(o: Record<string, unknown>, key: string, fallback: number, min: number, problems: OptionProblems): number {
  const v = o[key];
  if (v === undefined) return fallback;
  return problems.integer(key, v, min) ? v : fallback;
}

function nodeList(value: unknown, key: string, problems: OptionProblems): ValkeyNode[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    problems.expected(key, 'a non-empty array of { host, port }', value);
    return undefined;
  }
  const nodes: ValkeyNode[] = [];
  value.forEach((n: unknown, i) => {
    const node = n as Record<string, unknown> | null;
    if (typeof node !== 'object' || node === null || typeof node.host !== 'string' || node.host === '') {
      problems.expected(`${key}[${i}].host`, 'a non-empty string', node?.host);
      return;
    }
    if (!problems.integer(`${key}[${i}].port`, node.port, 1, 65_535)) return;
    nodes.push(Object.freeze({ host: node.host, port: node.port }));
  });
  return Object.freeze(nodes) as ValkeyNode[];
}
