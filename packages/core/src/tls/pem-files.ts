/**
 * Certificate material for a TLS listener: read from files (or taken inline), and reloaded when
 * the files change on disk, so a rotated certificate applies to new connections without dropping
 * established ones. Shared by the TLS router transport and the gateway's HTTPS listener; each
 * turns read problems into its own typed error naming its config keys.
 */
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

/** Certificate material as configured: a path to a PEM file, or the PEM itself. */
export interface PemSource {
  readonly key: 'cert' | 'key' | 'ca';
  readonly value: string;
  readonly isInline: boolean;
}

/** The configured sources of a listener's certificate, key and CA. */
export interface PemSources {
  readonly cert?: PemSource;
  readonly key?: PemSource;
  readonly ca?: PemSource;
}

/** The PEM bytes of `cert`, `key` and `ca`, those configured. */
export interface PemMaterial {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly ca?: Buffer;
}

const SOURCES = ['cert', 'key', 'ca'] as const;

/** A config value as a PemSource: inline when it holds a PEM block, else a file path. */
export function pemSource(key: PemSource['key'], value: string): PemSource {
  return { key, value, isInline: value.includes('-----BEGIN') };
}

/**
 * Reads every configured source now. Returns the material and one problem per source that could
 * not be read ("cert file \"/x.crt\" cannot be read: …"); the caller throws its own typed error.
 */
export function readPemSourcesSync(sources: PemSources): { readonly material: PemMaterial; readonly problems: readonly string[] } {
  const problems: string[] = [];
  const material: { cert?: Buffer; key?: Buffer; ca?: Buffer } = {};
  for (const name of SOURCES) {
    const source = sources[name];
    if (source === undefined) continue;
    try {
      material[name] = source.isInline ? Buffer.from(source.value) : readFileSync(source.value);
    } catch (err) {
      problems.push(`${name} file ${JSON.stringify(source.value)} cannot be read: ${(err as Error).message}`);
    }
  }
  return { material, problems };
}

async function readPems(sources: PemSources): Promise<PemMaterial> {
  const out: { cert?: Buffer; key?: Buffer; ca?: Buffer } = {};
  for (const name of SOURCES) {
    const source = sources[name];
    if (source !== undefined) out[name] = source.isInline ? Buffer.from(source.value) : await readFile(source.value);
  }
  return out;
}

/**
 * Polls the certificate files every `certReloadMs` (polling survives the rename-into-place that
 * cert-manager and most rotation tools do, where a watch on the old inode goes quiet). When any
 * file's size, mtime or inode changes, it reads them all, checks they form a valid secure context,
 * and hands them to `apply` (typically `server.setSecureContext`). A half-written or mismatched
 * set is logged and retried on the next poll; the old certificate stays in force meanwhile.
 */
export class CertReloader {
  private stamps = '';
  private stopTimer: (() => void) | undefined;
  private checking: Promise<void> | undefined;
  private reloads = 0;

  constructor(
    private readonly sources: PemSources & { readonly certReloadMs: number },
    private readonly apply: (pems: PemMaterial) => void,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Records the current file state and starts polling (no-op when reloading is off or all PEM is inline). */
  async start(): Promise<void> {
    if (this.sources.certReloadMs === 0 || this.files().length === 0) return;
    this.stamps = await this.stampFiles();
    this.stopTimer = this.clock.every(this.sources.certReloadMs, () => {
      this.checking ??= this.check().finally(() => (this.checking = undefined));
    });
  }

  /** How many times new certificates were applied. */
  get reloadCount(): number {
    return this.reloads;
  }

  async stop(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = undefined;
    await this.checking;
  }

  private files(): PemSource[] {
    return SOURCES.map((name) => this.sources[name]).filter((s): s is PemSource => s !== undefined && !s.isInline);
  }

  private async stampFiles(): Promise<string> {
    const parts: string[] = [];
    for (const source of this.files()) {
      try {
        const s = await stat(source.value);
        parts.push(`${source.key}:${s.ino}:${s.size}:${s.mtimeMs}`);
      } catch (err) {
        parts.push(`${source.key}:missing:${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    return parts.join('|');
  }

  private async check(): Promise<void> {
    const stamps = await this.stampFiles();
    if (stamps === this.stamps) return;
    try {
      const pems = await readPems(this.sources);
      createSecureContext({ ...pems });
      this.apply(pems);
      this.stamps = stamps;
      this.reloads += 1;
      this.logger.info({ files: this.files().map((f) => f.value) }, 'tls certificates reloaded');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'tls certificate files changed but cannot be loaded; keeping the previous ones');
    }
  }
}
