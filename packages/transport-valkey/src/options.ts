/**
 * Connection and tuning options of the Valkey backend: defaults in one frozen object, validation
 * once at creation, every problem collected and named by its key (STYLE §5). A password never
 * appears in a problem, a log line or an error message.
 */
import { readFileSync } from 'node:fs';
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
}

/** Defaults of every option (SPEC §9: prefix `switchyard`). */
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
  /** The URL with any password replaced by `***`, for logs. */
  readonly displayUrl: string;
}

const KNOWN = [
  'url', 'username', 'password', 'db', 'tls', 'sentinels', 'sentinelName', 'sentinelPassword', 'cluster', 'prefix',
  'connectTimeoutMs', 'reclaimIntervalMs', 'commandRetries', 'commandTimeoutMs', 'maxReconnectDelayMs', 'connectionName', 'staleGroupMs',
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
  const problems: string[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidValkeyOptionsError([`options must be an object (got ${show(input)})`]);
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if ((KNOWN as readonly string[]).includes(key)) continue;
    const renamed = RENAMED[key];
    problems.push(renamed !== undefined ? `${key} is not an option; use ${renamed}` : `${key} is not an option (known: ${KNOWN.join(', ')})`);
  }

  const urlText = o.url === undefined ? VALKEY_DEFAULTS.url : o.url;
  let host = '127.0.0.1';
  let port = 6379;
  let urlUser: string | undefined;
  let urlPassword: string | undefined;
  let urlDb: number | undefined;
  let tlsByUrl = false;
  let displayUrl: string = VALKEY_DEFAULTS.url;
  if (typeof urlText !== 'string') {
    problems.push(`url must be a redis:// or rediss:// URL string (got ${show(urlText)})`);
  } else {
    displayUrl = redactUrl(urlText);
    let u: URL | undefined;
    try {
      u = new URL(urlText);
    } catch {
      problems.push(`url must be a redis:// or rediss:// URL (got ${JSON.stringify(displayUrl)})`);
    }
    if (u !== undefined) {
      if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
        problems.push(`url must start with redis:// or rediss:// (got ${JSON.stringify(displayUrl)})`);
      }
      tlsByUrl = u.protocol === 'rediss:';
      host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
      if (u.port !== '') port = Number(u.port);
      if (u.username !== '') urlUser = decodeURIComponent(u.username);
      if (u.password !== '') urlPassword = decodeURIComponent(u.password);
      const path = u.pathname.replace(/^\//, '');
      if (path !== '') {
        if (!/^\d+$/.test(path)) problems.push(`url database path must be a number like /0 (got "/${path}")`);
        else urlDb = Number(path);
      }
      for (const key of u.searchParams.keys()) problems.push(`url query parameter "${key}" is not supported; use the options instead`);
    }
  }

  const username = optionalString(o, 'username', problems) ?? urlUser;
  const password = optionalString(o, 'password', problems, true) ?? urlPassword;
  const db = o.db === undefined ? (urlDb ?? VALKEY_DEFAULTS.db) : o.db;
  if (!Number.isInteger(db) || (db as number) < 0) problems.push(`db must be an integer ≥ 0 (got ${show(o.db)})`);

  let tls: ResolvedValkeyOptions['tls'];
  if (o.tls !== undefined) {
    if (typeof o.tls !== 'object' || o.tls === null || Array.isArray(o.tls)) {
      problems.push(`tls must be an object with ca, cert, key file paths (got ${show(o.tls)})`);
    } else {
      const t = o.tls as Record<string, unknown>;
      for (const key of Object.keys(t)) if (!TLS_KEYS.includes(key)) problems.push(`tls.${key} is not an option (known: ${TLS_KEYS.join(', ')})`);
      const files: Record<string, Buffer> = {};
      for (const key of ['ca', 'cert', 'key'] as const) {
        const path = t[key];
        if (path === undefined) continue;
        if (typeof path !== 'string' || path === '') {
          problems.push(`tls.${key} must be a file path (got ${show(path)})`);
          continue;
        }
        try {
          files[key] = readFileSync(path);
        } catch (err) {
          problems.push(`tls.${key} file ${JSON.stringify(path)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
      if ((t.cert === undefined) !== (t.key === undefined)) problems.push('tls.cert and tls.key must be given together');
      if (t.rejectUnauthorized !== undefined && typeof t.rejectUnauthorized !== 'boolean') {
        problems.push(`tls.rejectUnauthorized must be a boolean (got ${show(t.rejectUnauthorized)})`);
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
  if ((sentinels === undefined) !== (sentinelName === undefined)) problems.push('sentinels and sentinelName must be given together');

  let cluster: ResolvedValkeyOptions['cluster'];
  if (o.cluster !== undefined) {
    if (typeof o.cluster !== 'object' || o.cluster === null || Array.isArray(o.cluster)) {
      problems.push(`cluster must be an object { nodes: [{ host, port }] } (got ${show(o.cluster)})`);
    } else {
      const c = o.cluster as Record<string, unknown>;
      for (const key of Object.keys(c)) if (key !== 'nodes') problems.push(`cluster.${key} is not an option (known: nodes)`);
      const nodes = nodeList(c.nodes, 'cluster.nodes', problems);
      if (nodes === undefined) problems.push('cluster.nodes must list at least one { host, port }');
      else cluster = Object.freeze({ nodes });
    }
    if (sentinels !== undefined) problems.push('cluster and sentinels are mutually exclusive');
    if (o.db !== undefined && o.db !== 0) problems.push('db must be 0 (or unset) with cluster: Valkey Cluster has one database');
  }

  const prefix = o.prefix === undefined ? VALKEY_DEFAULTS.prefix : o.prefix;
  if (typeof prefix !== 'string' || prefix === '' || /[{}\s]/.test(prefix)) {
    problems.push(`prefix must be a non-empty string without braces or spaces (got ${show(o.prefix)})`);
  }
  const connectTimeoutMs = integer(o, 'connectTimeoutMs', VALKEY_DEFAULTS.connectTimeoutMs, 1, problems);
  const reclaimIntervalMs = integer(o, 'reclaimIntervalMs', VALKEY_DEFAULTS.reclaimIntervalMs, 0, problems);
  const commandRetries = integer(o, 'commandRetries', VALKEY_DEFAULTS.commandRetries, 0, problems);
  const commandTimeoutMs = integer(o, 'commandTimeoutMs', VALKEY_DEFAULTS.commandTimeoutMs, 100, problems);
  const maxReconnectDelayMs = integer(o, 'maxReconnectDelayMs', VALKEY_DEFAULTS.maxReconnectDelayMs, 10, problems);
  const connectionName = optionalString(o, 'connectionName', problems) ?? VALKEY_DEFAULTS.connectionName;
  const staleGroupMs = integer(o, 'staleGroupMs', VALKEY_DEFAULTS.staleGroupMs, 0, problems);

  if (problems.length > 0) throw new InvalidValkeyOptionsError(problems);
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
    displayUrl,
  });
}

function optionalString(o: Record<string, unknown>, key: string, problems: string[], secret = false, path = ''): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') {
    problems.push(`${path}${key} must be a non-empty string (got ${secret ? (typeof v === 'string' ? 'an empty string' : typeof v) : show(v)})`);
    return undefined;
  }
  return v;
}

function integer(o: Record<string, unknown>, key: string, fallback: number, min: number, problems: string[]): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || (v as number) < min) {
    problems.push(`${key} must be an integer ≥ ${min} (got ${show(v)})`);
    return fallback;
  }
  return v as number;
}

function nodeList(value: unknown, key: string, problems: string[]): ValkeyNode[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${key} must be a non-empty array of { host, port } (got ${show(value)})`);
    return undefined;
  }
  const nodes: ValkeyNode[] = [];
  value.forEach((n: unknown, i) => {
    const node = n as Record<string, unknown> | null;
    if (typeof node !== 'object' || node === null || typeof node.host !== 'string' || node.host === '') {
      problems.push(`${key}[${i}].host must be a non-empty string (got ${show(node?.host)})`);
      return;
    }
    if (!Number.isInteger(node.port) || (node.port as number) < 1 || (node.port as number) > 65_535) {
      problems.push(`${key}[${i}].port must be an integer 1–65535 (got ${show(node.port)})`);
      return;
    }
    nodes.push(Object.freeze({ host: node.host, port: node.port as number }));
  });
  return Object.freeze(nodes) as ValkeyNode[];
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
