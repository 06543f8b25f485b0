/**
 * The `auth:` section of a messaging `transports:` entry (docs/configuration.md): where the frame
 * keys come from, and whether frames may travel unsigned. Keys are read from files or environment
 * variables, never from the config text, so a config file can be committed and shown in logs.
 *
 *   auth:
 *     gatewayKey: { file: /run/secrets/switchyard-gateway-key }   # or { env: SWITCHYARD_GATEWAY_KEY }
 *     instanceKey: { env: SWITCHYARD_INSTANCE_KEY }
 *     previousGatewayKey: { file: … }                              # optional: accepted too (rotation)
 *     previousInstanceKey: { env: … }
 *     replayWindowMs: 300000
 *     insecure: true                                               # unsigned; refused together with keys
 *
 * Over a backend other than `memory`, both keys are required unless `insecure: true` is explicit.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../../clock.js';
import { InvalidArgumentError } from '../../errors.js';
import { FrameKeyRing, frameKey, type FrameKey, type FrameKeyRole } from '../../protocol/frame-auth.js';
import { FRAME_AUTH_DEFAULTS, FrameAuthenticator } from './frame-authenticator.js';

/** Where one key's secret is read from: a file (its content, trailing whitespace trimmed) or an environment variable. */
export type FrameKeySource = { readonly file: string } | { readonly env: string };

/** The `auth` section of a messaging transport entry. */
export interface MessagingAuthConfig {
  /** Signs REQUEST, CANCEL, RESYNC (gateways); verifies them (services). Required over a non-memory backend. */
  readonly gatewayKey?: FrameKeySource;
  /** Signs HELLO, HEARTBEAT, GOODBYE, RESPONSE (services); verifies them (gateways). Required over a non-memory backend. */
  readonly instanceKey?: FrameKeySource;
  /** Also accepted while a gateway key rotates. */
  readonly previousGatewayKey?: FrameKeySource;
  /** Also accepted while an instance key rotates. */
  readonly previousInstanceKey?: FrameKeySource;
  /** A frame whose sentAt is further than this from now is refused. @default 300000 */
  readonly replayWindowMs?: number;
  /** Frames travel unsigned. Must be explicit over a non-memory backend; refused together with keys. @default false */
  readonly insecure?: boolean;
}

/** How key sources are read; tests give their own environment. */
export interface KeySourceReader {
  readonly env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): Buffer;
}

const processReader: KeySourceReader = { env: process.env, readFile: (path) => readFileSync(path) };

const AUTH_KEYS = new Set(['gatewayKey', 'instanceKey', 'previousGatewayKey', 'previousInstanceKey', 'replayWindowMs', 'insecure']);
const KEY_FIELDS: ReadonlyArray<readonly [FrameKeyRole, 'gatewayKey' | 'instanceKey', 'previousGatewayKey' | 'previousInstanceKey']> = [
  ['gateway', 'gatewayKey', 'previousGatewayKey'],
  ['instance', 'instanceKey', 'previousInstanceKey'],
];

/**
 * Validates `auth` (at config path `path`) and reads its keys. Returns the authenticator, or
 * undefined when frames travel unsigned (no keys over the memory backend, or `insecure: true`).
 */
export function frameAuthFromConfig(
  auth: unknown,
  backend: string,
  path: string,
  clock: Clock,
  reader: KeySourceReader = processReader,
): FrameAuthenticator | undefined {
  if (auth !== undefined && (typeof auth !== 'object' || auth === null || Array.isArray(auth))) throw InvalidArgumentError.format(path, 'an object', auth);
  const section = (auth ?? {}) as Readonly<Record<string, unknown>>;
  for (const key of Object.keys(section)) {
    if (!AUTH_KEYS.has(key)) throw new InvalidArgumentError(`${path}.${key}`, `is not an auth option (known: ${[...AUTH_KEYS].join(', ')})`);
  }
  const insecure = section.insecure ?? false;
  if (typeof insecure !== 'boolean') throw InvalidArgumentError.format(`${path}.insecure`, 'true or false', insecure);
  const given = [...AUTH_KEYS].filter((k) => k.endsWith('Key') && section[k] !== undefined);
  if (insecure) {
    if (given.length > 0) throw new InvalidArgumentError(`${path}.insecure`, `is true but ${given.map((k) => `${path}.${k}`).join(', ')} ${given.length === 1 ? 'is' : 'are'} set too: drop the keys or drop insecure`);
    return undefined;
  }
  if (given.length === 0 && backend === 'memory') return undefined;
  const keys: Record<FrameKeyRole, FrameKey[]> = { gateway: [], instance: [] };
  for (const [role, current, previous] of KEY_FIELDS) {
    if (section[current] === undefined) {
      throw new InvalidArgumentError(
        `${path}.${current}`,
        `is required: frames over the "${backend}" backend are signed (docs/messaging-transport.md, "Signed frames"). ` +
          `Give { file: <path> } or { env: <NAME> } holding a secret of at least 32 bytes, or set ${path}.insecure: true to run unsigned`,
      );
    }
    keys[role].push(readKey(role, section[current], `${path}.${current}`, reader));
    if (section[previous] !== undefined) keys[role].push(readKey(role, section[previous], `${path}.${previous}`, reader));
  }
  const replayWindowMs = section.replayWindowMs ?? FRAME_AUTH_DEFAULTS.replayWindowMs;
  if (typeof replayWindowMs !== 'number' || !Number.isInteger(replayWindowMs) || replayWindowMs < 1_000) {
    throw InvalidArgumentError.format(`${path}.replayWindowMs`, 'an integer ≥ 1000', replayWindowMs);
  }
  return new FrameAuthenticator({ keys: new FrameKeyRing(keys), replayWindowMs }, clock);
}

function readKey(role: FrameKeyRole, source: unknown, path: string, reader: KeySourceReader): FrameKey {
  if (typeof source === 'string') {
    throw new InvalidArgumentError(path, 'is text in the config: keys are read from a file or the environment, never from the config. Give { file: <path> } or { env: <NAME> }');
  }
  if (typeof source !== 'object' || source === null || Array.isArray(source)) throw InvalidArgumentError.format(path, '{ file: <path> } or { env: <NAME> }', source);
  const { file, env, ...rest } = source as { file?: unknown; env?: unknown };
  const extra = Object.keys(rest);
  if (extra.length > 0 || (file === undefined) === (env === undefined)) {
    throw new InvalidArgumentError(path, `must have exactly one of file or env (got ${JSON.stringify(Object.keys(source))})`);
  }
  if (file !== undefined) {
    if (typeof file !== 'string' || file.length === 0) throw InvalidArgumentError.format(`${path}.file`, 'a file path', file);
    let content: Buffer;
    try {
      content = reader.readFile(file);
    } catch (err) {
      throw new InvalidArgumentError(`${path}.file`, `names ${file}, which could not be read: ${(err as Error).message}`);
    }
    return frameKey(role, trimEnd(content), `${path} (file ${file})`);
  }
  if (typeof env !== 'string' || env.length === 0) throw InvalidArgumentError.format(`${path}.env`, 'an environment variable name', env);
  const value = reader.env[env];
  if (value === undefined || value.length === 0) throw new InvalidArgumentError(`${path}.env`, `names ${env}, which is not set`);
  return frameKey(role, trimEnd(Buffer.from(value, 'utf8')), `${path} (env ${env})`);
}

/** Without trailing whitespace: a key file written by `echo` ends with a newline. */
function trimEnd(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d || bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--;
  return bytes.subarray(0, end);
}
