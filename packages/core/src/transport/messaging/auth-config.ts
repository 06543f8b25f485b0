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
 *     gmac: true                                                   # false: every frame signed with HMAC-SHA256
 *     insecure: true                                               # unsigned; refused together with keys
 *
 * Over a backend other than `memory`, both keys are required unless `insecure: true` is explicit.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../../clock.js';
import { InvalidArgumentError } from '../../errors.js';
import { OptionProblems, type OptionProblem } from '../../options/problems.js';
import { FrameKeyRing, frameKey, type FrameKey, type FrameKeyRole } from '../../protocol/frame-auth.js';
import { FRAME_AUTH_DEFAULTS, FrameAuthenticator, type FrameAuthenticatorOptions } from './frame-authenticator.js';

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
  /** Frames of 16 KiB or more are signed with AES-256-GMAC; false signs every frame with HMAC-SHA256 (a rolling upgrade from a release that reads only HMAC envelopes). @default true */
  readonly gmac?: boolean;
  /** Frames travel unsigned. Must be explicit over a non-memory backend; refused together with keys. @default false */
  readonly insecure?: boolean;
}

/** How key sources are read; tests give their own environment. */
export interface KeySourceReader {
  readonly env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): Buffer;
}

const processReader: KeySourceReader = { env: process.env, readFile: (path) => readFileSync(path) };

const AUTH_KEYS = ['gatewayKey', 'instanceKey', 'previousGatewayKey', 'previousInstanceKey', 'replayWindowMs', 'gmac', 'insecure'];
const KEY_FIELDS: ReadonlyArray<readonly [FrameKeyRole, 'gatewayKey' | 'instanceKey', 'previousGatewayKey' | 'previousInstanceKey']> = [
  ['gateway', 'gatewayKey', 'previousGatewayKey'],
  ['instance', 'instanceKey', 'previousInstanceKey'],
];

/**
 * Validates `auth` (at config path `path`) and reads its keys. Returns the authenticator, or
 * undefined when frames travel unsigned (no keys over the memory backend, or `insecure: true`).
 * Throws SY_INVALID_ARGUMENT listing every problem of the section at once.
 */
export function frameAuthFromConfig(
  auth: unknown,
  backend: string,
  path: string,
  clock: Clock,
  reader: KeySourceReader = processReader,
): FrameAuthenticator | undefined {
  const problems = new OptionProblems(path);
  const built = readAuthSection(auth, backend, problems, reader);
  if (!problems.isEmpty) throw InvalidArgumentError.fromProblems(problems.list);
  return built === undefined ? undefined : new FrameAuthenticator(built, clock);
}

/**
 * The problems of an `auth` section's shape (unknown keys, missing or conflicting keys, key
 * sources written as text, the replay window), without reading any key: a config checker reports
 * them with the rest of the config; the files and variables are read when the transport is built.
 */
export function authSectionProblems(auth: unknown, backend: string, path: string): readonly OptionProblem[] {
  const problems = new OptionProblems(path);
  readAuthSection(auth, backend, problems, undefined);
  return problems.list;
}

/** Checks the section into `problems`; with a `reader`, also reads the keys and returns the authenticator's options. */
function readAuthSection(
  auth: unknown,
  backend: string,
  problems: OptionProblems,
  reader: KeySourceReader | undefined,
): FrameAuthenticatorOptions | undefined {
  const path = problems.pathOf('');
  if (auth !== undefined && !problems.object('', auth)) return undefined;
  const section = (auth ?? {}) as Readonly<Record<string, unknown>>;
  problems.unknownKeys(section, AUTH_KEYS, '', { noun: 'an auth option' });
  const insecure = section.insecure ?? false;
  if (typeof insecure !== 'boolean') problems.expected('insecure', 'true or false', insecure);
  const given = AUTH_KEYS.filter((k) => k.endsWith('Key') && section[k] !== undefined);
  if (insecure === true) {
    if (given.length > 0) problems.add('insecure', `is true but ${given.map((k) => `${path}.${k}`).join(', ')} ${given.length === 1 ? 'is' : 'are'} set too: drop the keys or drop insecure`);
    return undefined;
  }
  if (given.length === 0 && backend === 'memory') return undefined;
  const keys: Record<FrameKeyRole, FrameKey[]> = { gateway: [], instance: [] };
  for (const [role, current, previous] of KEY_FIELDS) {
    if (section[current] === undefined) {
      problems.add(
        current,
        `is required: frames over the "${backend}" backend are signed (docs/messaging-transport.md, "Signed frames"). ` +
          `Give { file: <path> } or { env: <NAME> } holding a secret of at least 32 bytes, or set ${path}.insecure: true to run unsigned`,
      );
    } else {
      const key = readKey(role, section[current], current, problems, reader);
      if (key !== undefined) keys[role].push(key);
    }
    if (section[previous] !== undefined) {
      const key = readKey(role, section[previous], previous, problems, reader);
      if (key !== undefined) keys[role].push(key);
    }
  }
  const replayWindowMs = section.replayWindowMs ?? FRAME_AUTH_DEFAULTS.replayWindowMs;
  problems.integer('replayWindowMs', replayWindowMs, 1_000);
  const gmac = section.gmac ?? true;
  if (typeof gmac !== 'boolean') problems.expected('gmac', 'true or false', gmac);
  if (!problems.isEmpty || reader === undefined) return undefined;
  return { keys: new FrameKeyRing(keys), replayWindowMs: replayWindowMs as number, gmac: gmac as boolean };
}

/** Checks one key source at `field` (relative to the auth section) and, with a `reader`, reads it; a problem is added, and undefined returned, when it cannot. */
function readKey(role: FrameKeyRole, source: unknown, field: string, problems: OptionProblems, reader: KeySourceReader | undefined): FrameKey | undefined {
  if (typeof source === 'string') {
    problems.add(field, 'is text in the config: keys are read from a file or the environment, never from the config. Give { file: <path> } or { env: <NAME> }');
    return undefined;
  }
  if (!problems.object(field, source, '{ file: <path> } or { env: <NAME> }')) return undefined;
  const { file, env, ...rest } = source as { file?: unknown; env?: unknown };
  if (Object.keys(rest).length > 0 || (file === undefined) === (env === undefined)) {
    problems.add(field, `must have exactly one of file or env (got ${JSON.stringify(Object.keys(source as object))})`);
    return undefined;
  }
  let origin = '';
  try {
    if (file !== undefined) {
      if (!problems.nonEmptyString(`${field}.file`, file) || reader === undefined) return undefined;
      origin = `file ${file}`;
      let content: Buffer;
      try {
        content = reader.readFile(file);
      } catch (err) {
        problems.add(`${field}.file`, `names ${file}, which could not be read: ${(err as Error).message}`);
        return undefined;
      }
      return frameKey(role, trimEnd(content), `${problems.pathOf(field)} (${origin})`);
    }
    if (!problems.nonEmptyString(`${field}.env`, env) || reader === undefined) return undefined;
    origin = `env ${env}`;
    const value = reader.env[env];
    if (value === undefined || value.length === 0) {
      problems.add(`${field}.env`, `names ${env}, which is not set`);
      return undefined;
    }
    return frameKey(role, trimEnd(Buffer.from(value, 'utf8')), `${problems.pathOf(field)} (${origin})`);
  } catch (err) {
    // frameKey refuses a secret shorter than MIN_SECRET_BYTES.
    const detail = (err as { problems?: readonly { message: string }[] }).problems?.[0]?.message ?? (err as Error).message;
    problems.add(field, `(${origin}) ${detail}`);
    return undefined;
  }
}

/** Without trailing whitespace: a key file written by `echo` ends with a newline. */
function trimEnd(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d || bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--;
  return bytes.subarray(0, end);
}
