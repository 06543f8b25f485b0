/**
 * Real child processes for end-to-end and fault tests: a TypeScript entry point run through tsx
 * with workspace packages from source, its output captured, lines awaited with a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { within } from './wait.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface TsProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output (past or future); fails after `ms` naming the pattern and the output tail. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Sends `signal` (default SIGTERM) and waits for exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
  /** SIGKILL, no grace (a crash). */
  kill(): Promise<number | string>;
}

/** Starts `node --conditions=switchyard-source --import tsx <entry> ...args` from the repo root. */
export function spawnTs(entry: string, args: readonly string[] = [], env: Readonly<Record<string, string>> = {}): TsProcess {
  return spawnNode(['--conditions=switchyard-source', '--import', 'tsx'], entry, args, env);
}

/**
 * Starts `node ...nodeArgs <entry> ...args` from the repo root (or `cwd`): for built JavaScript
 * (e.g. a package's dist/, or packages installed into a temporary project), where benchmarks must
 * not pay for tsx's loader.
 */
export function spawnNode(
  nodeArgs: readonly string[],
  entry: string,
  args: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
  cwd: string = repoRoot,
): TsProcess {
  const child = spawn(process.execPath, [...nodeArgs, entry, ...args], {
    cwd,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  if (process.env.SWITCHYARD_TEST_VERBOSE === '1') {
    child.stdout?.pipe(process.stderr);
    child.stderr?.pipe(process.stderr);
  }

  const waitFor = (pattern: RegExp, ms = 20_000): Promise<RegExpMatchArray> => {
    const found = new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = (): void => {
        const m = out.match(pattern);
        if (m) {
          listeners.delete(check);
          resolve(m);
        }
      };
      listeners.add(check);
      void exited.then((code) => {
        if (listeners.has(check)) {
          listeners.delete(check);
          reject(new Error(`${entry} exited (${code}) before printing ${String(pattern)}; output:\n${out.slice(-3000)}`));
        }
      });
      check();
    });
    return within(found, ms, `${entry} to print ${String(pattern)}; output so far:\n${out.slice(-3000)}`);
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | string> => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    child,
    pid: child.pid ?? -1,
    output: () => out,
    waitFor,
    exited,
    stop,
    kill: () => stop('SIGKILL', 0),
  };
}

/** A free TCP port on 127.0.0.1 (bind to 0, read, close). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
