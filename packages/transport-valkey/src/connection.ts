/**
 * Builds ioredis clients from resolved options: standalone, Sentinel or Cluster; TLS; ACL.
 * Two roles: the shared command client (scripts registered, bounded retries so callers fail fast
 * with SY_QUEUE_BACKEND_UNAVAILABLE) and a blocking reader per consumer (waits for the connection:
 * ioredis re-sends an unfinished XREADGROUP after a reconnect, so the read loop never retries it
 * itself and exactly one read is ever outstanding per consumer).
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { clearSlotsRefreshOnEnd } from './cluster-slots-refresh.js';
import type { ResolvedValkeyOptions } from './options.js';
import { defineScripts } from './scripts/index.js';
import { joinWholeReplies } from './whole-replies.js';

export type ValkeyClient = Redis | Cluster;
export type ClientRole = 'command' | 'reader';

function redisOptions(o: ResolvedValkeyOptions, role: ClientRole, name: string): RedisOptions {
  return {
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.cluster === undefined ? { db: o.db } : {}),
    ...(o.tls !== undefined ? { tls: { ...o.tls } } : {}),
    connectTimeout: o.connectTimeoutMs,
    connectionName: name,
    // Commands wait for the connection (reader) or fail after commandRetries reconnects (command).
    // Behind Sentinel a lost master is a failover in progress: a command waits for the promoted
    // master for up to commandTimeoutMs instead.
    maxRetriesPerRequest: role === 'reader' || o.sentinels !== undefined ? null : o.commandRetries,
    // A command (never the blocking read) also gives up after commandTimeoutMs, queued time
    // included: a server that accepts connections and drops them resets ioredis' retry count.
    ...(role === 'command' ? { commandTimeout: o.commandTimeoutMs } : {}),
    retryStrategy: (times: number) => Math.min(times * 50, o.maxReconnectDelayMs),
    enableReadyCheck: true,
    autoResendUnfulfilledCommands: true,
    lazyConnect: false,
  };
}

/** Pause between retries of a Cluster command while its slot has no reachable master. */
const FAILOVER_RETRY_MS = 100;

/**
 * Redirections a command may use while it waits out a failover: two per FAILOVER_RETRY_MS for
 * `commandTimeoutMs`, plus room for ordinary MOVED/ASK hops. Two, because after CLUSTERDOWN ioredis
 * retries on a random node, which answers MOVED at once (a second redirection) more often than
 * not; with one per pause a command gave up well before its time ran out (a killed master whose
 * replica took 4.9 s to take over failed commands after 4.1 s of a 5 s budget). Time still bounds
 * it: the command's own timeout (commandTimeoutMs from its first send) ends it first.
 */
export const failoverRetries = (commandTimeoutMs: number): number => 2 * Math.ceil(commandTimeoutMs / FAILOVER_RETRY_MS) + 16;

/** A new client in `role`. The caller owns it and must `quit()`/`disconnect()` it. */
export function createClient(o: ResolvedValkeyOptions, role: ClientRole, name = o.connectionName): ValkeyClient {
  const base = redisOptions(o, role, role === 'reader' ? `${name}:reader` : name);
  let client: ValkeyClient;
  if (o.cluster !== undefined) {
    const clusterOptions: ClusterOptions = {
      redisOptions: base,
      clusterRetryStrategy: (times: number) => Math.min(times * 100, o.maxReconnectDelayMs),
      enableReadyCheck: true,
      // While a master fails over (a closed connection, CLUSTERDOWN, TRYAGAIN, MOVED to the dead
      // node) a command is retried every FAILOVER_RETRY_MS: a command for up to commandTimeoutMs,
      // the blocking read for as long as it takes. Each retry counts as a redirection.
      maxRedirections: role === 'reader' ? Number.MAX_SAFE_INTEGER : failoverRetries(o.commandTimeoutMs),
      retryDelayOnFailover: FAILOVER_RETRY_MS,
      retryDelayOnClusterDown: FAILOVER_RETRY_MS,
      retryDelayOnTryAgain: FAILOVER_RETRY_MS,
      scaleReads: 'master',
      ...(o.tls !== undefined ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    };
    const cluster = new Cluster(o.cluster.nodes.map((n) => ({ host: n.host, port: n.port })), clusterOptions);
    clearSlotsRefreshOnEnd(cluster);
    if (role === 'reader') cluster.on('+node', (node: Redis) => joinWholeReplies(node));
    client = cluster;
  } else if (o.sentinels !== undefined && o.sentinelName !== undefined) {
    client = new Redis({
      ...base,
      sentinels: o.sentinels.map((n) => ({ host: n.host, port: n.port })),
      name: o.sentinelName,
      role: 'master',
      ...(o.sentinelPassword !== undefined ? { sentinelPassword: o.sentinelPassword } : {}),
    });
  } else {
    client = new Redis({ ...base, host: o.host, port: o.port });
  }
  if (role === 'command') defineScripts(client);
  else if (client instanceof Redis) joinWholeReplies(client);
  return client;
}
