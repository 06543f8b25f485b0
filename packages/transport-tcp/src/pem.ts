/**
 * Reading the TLS transport's certificate material, with read problems reported as
 * SY_TCP_INVALID_OPTIONS naming the key and file. Reading and reloading live in core
 * (`readPemSourcesSync`, `CertReloader`), shared with the gateway's HTTPS listener.
 */
import { readPemSourcesSync, type PemMaterial } from '@switchyard/core/internal';
import { InvalidTcpOptionsError } from './errors.js';
import type { TlsSettings } from './options.js';

/** Reads every configured source now. Throws SY_TCP_INVALID_OPTIONS naming the key and file on failure. */
export function readPemsSync(settings: TlsSettings, transport: string): PemMaterial {
  const { material, problems } = readPemSourcesSync(settings);
  if (problems.length > 0) throw new InvalidTcpOptionsError(transport, [...problems]);
  return material;
}
