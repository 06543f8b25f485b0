/**
 * Options of the TCP and TLS transports: defaults, and validation of one `transports:` config
 * entry. The same entry shape serves both sides: the gateway listens on `host:port`, the instance
 * connects to it. Validation collects every problem, each naming its key.
 */
import { isIP } from 'node:net';
import { OptionProblems } from '@switchyard/core/internal';
import { InvalidTcpOptionsError } from './errors.js';

/** Options shared by `tcp` and `tls` entries. */
export interface TcpTransportOptionsInput {
  readonly type?: 'tcp';
  /**
   * Gateway: the address to listen on (all interfaces when absent). Instance: the gateway to
   * connect to.
   * @default undefined (gateway) / '127.0.0.1' (instance)
   */
  readonly host?: string;
  /** @default 5100 for tcp, 5101 for tls */
  readonly port?: number;
  /** Largest encoded frame accepted or sent; a larger one closes the connection. @default 16777216 (16 MiB) */
  readonly maxFrameBytes?: number;
  /** TCP keep-alive initial delay; 0 turns keep-alive off. @default 15000 */
  readonly keepAliveMs?: number;
  /** Disable Nagle's algorithm. Writes are already batched per event-loop turn. @default true */
  readonly noDelay?: boolean;
  /** Gateway: open instance connections accepted; more are closed at once. @default 10000 */
  readonly maxConnections?: number;
  /**
   * Gateway: a connection that has not sent HELLO (or HEARTBEAT) this long after it was accepted
   * is closed, so idle or stray clients do not hold connection slots. Also the TLS handshake timeout.
   * @default 10000
   */
  readonly helloTimeoutMs?: number;
  /** Bytes queued on one connection above which senders wait for the socket to drain. @default 4194304 (4 MiB) */
  readonly maxWriteBufferBytes?: number;
  /** Instance: how long one connection attempt may take. @default 10000 */
  readonly connectTimeoutMs?: number;
  /** Instance: first reconnect delay (full jitter below it). @default 100 */
  readonly reconnectMinMs?: number;
  /** Instance: cap of the doubling reconnect delay. @default 5000 */
  readonly reconnectMaxMs?: number;
}

/** A `tls` entry: the TCP options plus certificates. `cert`, `key`, `ca` are file paths or inline PEM. */
export interface TlsTransportOptionsInput extends Omit<TcpTransportOptionsInput, 'type'> {
  readonly type: 'tls';
  /** Gateway: server certificate (required). Instance: client certificate (required when the gateway demands one). */
  readonly cert?: string;
  /** Private key matching `cert`. */
  readonly key?: string;
  /** Gateway: CA that signs client certificates. Instance: CA that signs the gateway's certificate (system CAs when absent). */
  readonly ca?: string;
  /** Gateway: refuse clients without a certificate signed by `ca` (mutual TLS). @default true */
  readonly requireClientCert?: boolean;
  /** Instance: name checked against the gateway certificate. @default host, when it is not an IP address */
  readonly servername?: string;
  /** How often certificate files are checked for changes and reloaded; 0 turns reloading off. @default 5000 */
  readonly certReloadMs?: number;
}

export type TcpLikeOptionsInput = TcpTransportOptionsInput | TlsTransportOptionsInput;

/** Which end of the connection the options are for. */
export type TransportSide = 'gateway' | 'instance';

export const TCP_DEFAULTS = Object.freeze({
  port: 5100,
  instanceHost: '127.0.0.1',
  maxFrameBytes: 16 * 1024 * 1024,
  keepAliveMs: 15_000,
  noDelay: true,
  maxConnections: 10_000,
  helloTimeoutMs: 10_000,
  maxWriteBufferBytes: 4 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  reconnectMinMs: 100,
  reconnectMaxMs: 5_000,
});

export const TLS_DEFAULTS = Object.freeze({
  ...TCP_DEFAULTS,
  port: 5101,
  requireClientCert: true,
  certReloadMs: 5_000,
});

/** Certificate material as configured: a path to a PEM file, or the PEM itself. */
export interface PemSource {
  readonly key: 'cert' | 'key' | 'ca';
  readonly value: string;
  readonly isInline: boolean;
}

export interface TlsSettings {
  readonly cert?: PemSource;
  readonly key?: PemSource;
  readonly ca?: PemSource;
  readonly requireClientCert: boolean;
  readonly servername?: string;
  readonly certReloadMs: number;
}

/** Fully resolved, frozen options. */
export interface TcpTransportOptions {
  readonly type: 'tcp' | 'tls';
  readonly side: TransportSide;
  /** Undefined on the gateway side means every interface. */
  readonly host: string | undefined;
  readonly port: number;
  readonly maxFrameBytes: number;
  readonly keepAliveMs: number;
  readonly noDelay: boolean;
  readonly maxConnections: number;
  readonly helloTimeoutMs: number;
  readonly maxWriteBufferBytes: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** Present when `type` is 'tls'. */
  readonly tls?: TlsSettings;
}

const TCP_KEYS = [
  'type', 'host', 'port', 'maxFrameBytes', 'keepAliveMs', 'noDelay', 'maxConnections', 'helloTimeoutMs', 'maxWriteBufferBytes',
  'connectTimeoutMs', 'reconnectMinMs', 'reconnectMaxMs',
] as const;
const TLS_ONLY_KEYS = ['cert', 'key', 'ca', 'requireClientCert', 'servername', 'certReloadMs'] as const;
const TLS_KEYS = [...TCP_KEYS, ...TLS_ONLY_KEYS] as const;
/** A tls key on a tcp entry is most likely a missing `type: tls`. */
const TLS_ONLY_HINTS: Readonly<Record<string, string>> = Object.fromEntries(TLS_ONLY_KEYS.map((k) => [k, `type: tls to give ${k}`]));

/**
 * Validates one config entry for `side` and returns resolved options. Throws SY_TCP_INVALID_OPTIONS
 * listing every problem.
 */
export function resolveTcpOptions(entry: Readonly<Record<string, unknown>>, side: TransportSide): TcpTransportOptions {
  const problems = new OptionProblems();
  const resolved = checkTcpOptions(entry, side, problems);
  if (resolved === undefined || !problems.isEmpty) throw new InvalidTcpOptionsError(entry.type === 'tls' ? 'tls' : 'tcp', problems.messages());
  return resolved;
}

/**
 * Adds every problem of one entry for `side` to `problems` (paths relative to the entry) and
 * returns the resolved options, which are only meaningful when no problem was added.
 */
export function checkTcpOptions(entry: Readonly<Record<string, unknown>>, side: TransportSide, problems: OptionProblems): TcpTransportOptions | undefined {
  const type = entry.type ?? 'tcp';
  if (type !== 'tcp' && type !== 'tls') {
    problems.expected('type', '"tcp" or "tls"', type);
    return undefined;
  }
  const defaults = type === 'tls' ? TLS_DEFAULTS : TCP_DEFAULTS;
  problems.unknownKeys(entry, type === 'tls' ? TLS_KEYS : TCP_KEYS, '', {
    noun: `a ${type} transport option`,
    renamed: type === 'tcp' ? TLS_ONLY_HINTS : {},
  });

  const int = (key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = entry[key];
    if (value === undefined) return fallback;
    return problems.integer(key, value, min, max) ? value : fallback;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const value = entry[key];
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    problems.expected(key, 'true or false', value);
    return fallback;
  };
  const str = (key: string): string | undefined => {
    const value = entry[key];
    if (value === undefined) return undefined;
    if (typeof value === 'string' && value.trim() !== '') return value;
    problems.expected(key, 'a non-empty string', value);
    return undefined;
  };

  const host = str('host') ?? (side === 'instance' ? TCP_DEFAULTS.instanceHost : undefined);
  const port = int('port', defaults.port, side === 'gateway' ? 0 : 1, 65_535);
  const reconnectMinMs = int('reconnectMinMs', defaults.reconnectMinMs, 1);
  const reconnectMaxMs = int('reconnectMaxMs', defaults.reconnectMaxMs, 1);
  if (reconnectMaxMs < reconnectMinMs) {
    problems.add('reconnectMaxMs', `must be ≥ reconnectMinMs (got ${reconnectMaxMs} < ${reconnectMinMs})`);
  }
  const resolved = {
    type,
    side,
    host,
    port,
    maxFrameBytes: int('maxFrameBytes', defaults.maxFrameBytes, 64, 0xffff_ffff),
    keepAliveMs: int('keepAliveMs', defaults.keepAliveMs, 0),
    noDelay: bool('noDelay', defaults.noDelay),
    maxConnections: int('maxConnections', defaults.maxConnections, 1),
    helloTimeoutMs: int('helloTimeoutMs', defaults.helloTimeoutMs, 1),
    maxWriteBufferBytes: int('maxWriteBufferBytes', defaults.maxWriteBufferBytes, 1024),
    connectTimeoutMs: int('connectTimeoutMs', defaults.connectTimeoutMs, 1),
    reconnectMinMs,
    reconnectMaxMs,
  } as const;

  let tls: TlsSettings | undefined;
  if (type === 'tls') {
    const pem = (key: 'cert' | 'key' | 'ca'): PemSource | undefined => {
      const value = str(key);
      return value === undefined ? undefined : { key, value, isInline: value.includes('-----BEGIN') };
    };
    const cert = pem('cert');
    const key = pem('key');
    const ca = pem('ca');
    const requireClientCert = bool('requireClientCert', TLS_DEFAULTS.requireClientCert);
    if (side === 'gateway') {
      if (entry.cert === undefined) problems.add('cert', 'is required: the gateway presents it to instances');
      if (entry.key === undefined) problems.add('key', 'is required: the private key of cert');
      if (requireClientCert && entry.ca === undefined) {
        problems.add('ca', 'is required when requireClientCert is true: it verifies instance certificates (or set requireClientCert: false)');
      }
    } else if ((entry.cert === undefined) !== (entry.key === undefined)) {
      problems.add('cert', 'and key go together: give both (the instance client certificate) or neither');
    }
    tls = {
      cert,
      key,
      ca,
      requireClientCert,
      servername: str('servername') ?? (host !== undefined && !isIpAddress(host) ? host : undefined),
      certReloadMs: int('certReloadMs', TLS_DEFAULTS.certReloadMs, 0),
    };
  }
  return Object.freeze({ ...resolved, ...(tls === undefined ? {} : { tls: Object.freeze(tls) }) });
}

function isIpAddress(host: string): boolean {
  return isIP(host) !== 0;
}
