/**
 * A real Valkey-compatible server for tests and benchmarks, so no test needs a mock. In order:
 *   1. SWITCHYARD_TEST_VALKEY_URL, if set (external: cannot be restarted);
 *   2. `valkey-server`, else `redis-server`, on PATH: started on a free loopback port in a temp
 *      dir with `--save ''` and AOF per option, stopped and cleaned up on exit;
 *   3. a Testcontainers `valkey/valkey` container where a Docker engine answers.
 * None available → `null` after a loud skip banner, or a thrown error under SWITCHYARD_REQUIRE_VALKEY=1.
 * SWITCHYARD_TEST_VALKEY_SERVER=container skips step 2 (run the suites on a Testcontainers
 * Valkey even where a binary is on PATH; the image comes from SWITCHYARD_TEST_VALKEY_IMAGE,
 * default valkey/valkey:8). Never the shared server on 127.0.0.1:6379.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loudSkip } from './skip.js';

export interface ValkeyServer {
  /** redis://127.0.0.1:<port> (or the external URL). */
  readonly url: string;
  readonly port: number;
  readonly kind: 'process' | 'external' | 'container';
  /** False for an external server: restart() then throws. */
  readonly canRestart: boolean;
  /**
   * Stops and starts the server on the same port; `keepData: false` wipes its data first (an empty
   * restart); `whileDown` runs while it is stopped (e.g. to watch clients notice). @default keepData true
   */
  restart(options?: { keepData?: boolean; whileDown?: () => Promise<void> }): Promise<void>;
  stop(): Promise<void>;
}

export interface StartValkeyOptions {
  /** AOF persistence with fsync on every write, so a restart keeps everything acknowledged. @default false */
  appendonly?: boolean;
}

const alive = new Set<{ kill(): void }>();
process.once('exit', () => {
  for (const s of alive) s.kill();
});
// Interrupted runs stop their servers too (a SIGKILLed run cannot: its servers are orphaned).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const s of alive) s.kill();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

/** The server binary found on PATH (`valkey-server` preferred), or undefined. */
export function serverBinary(): string | undefined {
  for (const bin of ['valkey-server', 'redis-server']) {
    const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  }
  return undefined;
}

/** The matching CLI (`valkey-cli` or `redis-cli`) on PATH, or undefined. */
export function cliBinary(): string | undefined {
  for (const bin of ['valkey-cli', 'redis-cli']) {
    const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  }
  return undefined;
}

/** Prints the loud banner a suite skipped for want of a Valkey server must show. */
export function skipBanner(what: string, reason: string): void {
  loudSkip(what, reason, [
    'Set SWITCHYARD_TEST_VALKEY_URL, put valkey-server or redis-server on PATH, or run a Docker engine.',
    '(SWITCHYARD_REQUIRE_VALKEY=1 turns this skip into a failure.)',
  ]);
}

export async function startValkey(options: StartValkeyOptions = {}): Promise<ValkeyServer | null> {
  const external = process.env.SWITCHYARD_TEST_VALKEY_URL;
  if (external !== undefined && external !== '') return externalServer(external);
  const wantContainer = process.env.SWITCHYARD_TEST_VALKEY_SERVER === 'container';
  const bin = wantContainer ? undefined : serverBinary();
  if (bin !== undefined) return startProcess(bin, options);
  const container = await startContainer(options).catch((err: unknown) => {
    if (wantContainer) process.stderr.write(`Testcontainers Valkey failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return null;
  });
  if (container !== null) return container;
  const reason = 'no Valkey-compatible server: SWITCHYARD_TEST_VALKEY_URL unset, no valkey-server/redis-server on PATH, no Docker engine';
  if (process.env.SWITCHYARD_REQUIRE_VALKEY === '1') throw new Error(`SWITCHYARD_REQUIRE_VALKEY=1 but ${reason}`);
  skipBanner('Valkey suites', reason);
  return null;
}

/**
 * For test files: the server, or null after the banner (then register nothing, or a single
 * skipped test). Under SWITCHYARD_REQUIRE_VALKEY=1 a missing server throws.
 */
export async function requireValkeyOrSkip(what: string, options: StartValkeyOptions = {}): Promise<ValkeyServer | null> {
  const server = await startValkey(options);
  if (server === null) skipBanner(what, 'no Valkey-compatible server available');
  return server;
}

/** Starts a server process on `port` in `dir` with `extraArgs`; resolves once it answers PING. */
export async function spawnServer(bin: string, port: number, dir: string, extraArgs: readonly string[]): Promise<ChildProcess> {
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'no', '--loglevel', 'warning', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  // The server must not keep the test process alive; the exit hook kills it.
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  const handle = { kill: () => child.kill('SIGKILL') };
  alive.add(handle);
  child.once('exit', () => alive.delete(handle));
  const deadline = Date.now() + 15_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null) throw new Error(`${bin} on port ${port} exited (${child.exitCode}): ${output.slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${bin} on port ${port} did not answer PING within 15 s: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return child;
}

/** Stops a server process: SIGTERM (a clean shutdown flushes the AOF), SIGKILL after 10 s. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** True when something on 127.0.0.1:`port` answers PING with +PONG (or a LOADING error: up, loading). */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** A free loopback port that is not 6379. */
export async function freeServerPort(): Promise<number> {
  const { freePort } = await import('./process.js');
  for (;;) {
    const port = await freePort();
    if (port !== 6379) return port;
  }
}

async function startProcess(bin: string, options: StartValkeyOptions): Promise<ValkeyServer> {
  const port = await freeServerPort();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-valkey-'));
  const args = options.appendonly === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let child: ChildProcess | null = await spawnServer(bin, port, dir, args);
  const cleanup = { kill: () => rmSync(dir, { recursive: true, force: true }) };
  alive.add(cleanup);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kind: 'process',
    canRestart: true,
    async restart({ keepData = true, whileDown }: { keepData?: boolean; whileDown?: () => Promise<void> } = {}) {
      if (child !== null) await stopServer(child);
      child = null;
      if (whileDown !== undefined) await whileDown();
      if (!keepData) for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
      child = await spawnServer(bin, port, dir, args);
    },
    async stop() {
      if (child !== null) await stopServer(child);
      child = null;
      rmSync(dir, { recursive: true, force: true });
      alive.delete(cleanup);
    },
  };
}

function externalServer(url: string): ValkeyServer {
  const parsed = new URL(url);
  return {
    url,
    port: Number(parsed.port || 6379),
    kind: 'external',
    canRestart: false,
    async restart() {
      throw new Error('the external server at SWITCHYARD_TEST_VALKEY_URL cannot be restarted by the tests');
    },
    async stop() {
      // Not ours to stop.
    },
  };
}

async function startContainer(options: StartValkeyOptions): Promise<ValkeyServer | null> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const cmd = ['valkey-server', '--save', '', ...(options.appendonly === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : [])];
  const container = await new GenericContainer(process.env.SWITCHYARD_TEST_VALKEY_IMAGE ?? 'valkey/valkey:8')
    .withExposedPorts(6379)
    .withCommand(cmd)
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .start();
  const port = container.getMappedPort(6379);
  const host = container.getHost();
  const handle = { kill: () => void container.stop().catch(() => undefined) };
  alive.add(handle);
  return {
    url: `redis://${host}:${port}`,
    port,
    kind: 'container',
    canRestart: false,
    async restart() {
      throw new Error('restart is not supported for the Testcontainers server (its mapped port would change)');
    },
    async stop() {
      alive.delete(handle);
      await container.stop();
    },
  };
}
