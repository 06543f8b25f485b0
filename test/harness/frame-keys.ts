/**
 * Frame keys for tests over a non-memory backend (docs/messaging-transport.md, "Signed frames"):
 * random secrets written to files in a fresh directory, and the `auth:` section that names them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'sy-keys-'));
let written = 0;

/** A new random key in its own file (hex text, 64 characters); returns the path. */
export function newKeyFile(): string {
  const file = join(dir, `key-${++written}`);
  writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return file;
}

export interface KeyFiles {
  readonly gateway: string;
  readonly instance: string;
  readonly previousGateway?: string;
  readonly previousInstance?: string;
}

/** The `auth:` section of a messaging entry for these key files. */
export function authSection(keys: KeyFiles): Record<string, unknown> {
  const auth: Record<string, unknown> = { gatewayKey: { file: keys.gateway }, instanceKey: { file: keys.instance } };
  if (keys.previousGateway !== undefined) auth.previousGatewayKey = { file: keys.previousGateway };
  if (keys.previousInstance !== undefined) auth.previousInstanceKey = { file: keys.previousInstance };
  return auth;
}

/** One fresh pair of keys shared by a gateway and its services. */
export function newKeys(): KeyFiles {
  return { gateway: newKeyFile(), instance: newKeyFile() };
}
