/**
 * Certificate material for TLS: read from files (or taken inline), and reloaded on the gateway
 * when the files change on disk, so a rotated certificate applies to new connections without
 * dropping established ones.
 */
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { Clock, Logger } from '@switchyard/core';
import { InvalidTcpOptionsError } from './errors.js';
import type { PemSource, TlsSettings } from './options.js';

/** The PEM bytes of `cert`, `key` and `ca`, those configured. */
export interface PemMaterial {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly ca?: Buffer;
}

const SOURCES = ['cert', 'key', 'ca'] as const;

/** Reads every configured source now. Throws SY_TCP_INVALID_OPTIONS naming the key and file on failure. */
export function readPemsSync(settings: TlsSettings, transport: string): PemMaterial {
  const problems: string[] = [];
  const out: { cert?: Buffer; key?: Buffer; ca?: Buffer } = {};
  for (const name of SOURCES) {
    const source = settings[name];
    if (source === undefined) continue;
    try {
      out[name] = source.isInline ? Buffer.from(source.value) : readFileSync(source.value);
    } catch (err) {
      problems.push(`${name} file ${JSON.stringify(source.value)} cannot be read: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new InvalidTcpOptionsError(transport, problems);
  return out;
}

async function readPems(settings: TlsSettings): Promise<PemMaterial> {
  const out: { cert?: Buffer; key?: Buffer; ca?: Buffer } = {};
  for (const name of SOURCES) {
    const source = settings[name];
    if (source !== undefined) out[name] = source.isInline ? Buffer.from(source.value) : await readFile(source.value);
  }
  return out;
}

/**
 * Polls the certificate files every `certReloadMs` (polling survives the rename-into-place that
 * cert-manager and most rotation tools do, where a watch on the old inode goes quiet). When any
 * file's size, mtime or inode changes, it reads them all, checks they form a valid secure context,
 * and hands them to `apply`. A half-written or mismatched set is logged and retried on the next
 * poll; the old certificate stays in force meanwhile.
 */
export class CertReloader {
  private stamps = '';
  private stopTimer: (() => void) | undefined;
  private checking: Promise<void> | undefined;
  private reloads = 0;

  constructor(
    private readonly settings: TlsSettings,
    private readonly apply: (pems: PemMaterial) => void,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Records the current file state and starts polling (no-op when reloading is off or all PEM is inline). */
  async start(): Promise<void> {
    if (this.settings.certReloadMs === 0 || this.files().length === 0) return;
    this.stamps = await this.stampFiles();
    this.stopTimer = this.clock.every(this.settings.certReloadMs, () => {
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
    return SOURCES.map((name) => this.settings[name]).filter((s): s is PemSource => s !== undefined && !s.isInline);
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
      const pems = await readPems(this.settings);
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
