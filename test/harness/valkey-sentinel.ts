/**
 * A local Sentinel setup: one master, one replica and three sentinels (`redis-server <conf>
 * --sentinel` with generated configs on free ports), watching the master as `name`. Null (after
 * the skip banner) when no server binary is on PATH; a throw under SWITCHYARD_REQUIRE_VALKEY=1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliBinary, freeServerPort, ping, serverBinary, skipBanner, spawnServer, stopServer } from './valkey.js';

export interface ValkeySentinelSetup {
  /** The monitored master's name (`sentinelName` of the client options). */
  readonly name: string;
  readonly sentinels: ReadonlyArray<{ host: string; port: number }>;
  /** The port of the master the sentinels report now. */
  masterPort(): number;
  /** SIGKILLs the current master; resolves once the sentinels report another one (the promoted replica). */
  killMaster(): Promise<{ old: number; promoted: number }>;
  /** The CLI run against one server or sentinel. */
  cli(port: number, ...args: string[]): string;
  stop(): Promise<void>;
}

export interface StartSentinelOptions {
  /** `down-after-milliseconds`: how long the master may be silent before the sentinels fail it over. @default 1000 */
  downAfterMs?: number;
}

export async function startValkeySentinel(options: StartSentinelOptions = {}): Promise<ValkeySentinelSetup | null> {
  const bin = serverBinary();
  const cli = cliBinary();
  if (bin === undefined || cli === undefined) {
    const reason = 'no valkey-server/redis-server and CLI on PATH to run sentinels';
    if (process.env.SWITCHYARD_REQUIRE_VALKEY === '1') throw new Error(`SWITCHYARD_REQUIRE_VALKEY=1 but ${reason}`);
    skipBanner('Valkey Sentinel suites', reason);
    return null;
  }
  const name = 'switchyard-test';
  const servers = new Map<number, ChildProcess>();
  const sentinelChildren: ChildProcess[] = [];
  const dirs: string[] = [];
  const run = (port: number, ...args: string[]): string => spawnSync(cli, ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  const stopAll = async (): Promise<void> => {
    await Promise.all([...servers.values(), ...sentinelChildren].map((c) => stopServer(c)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  const sentinelPorts: number[] = [];
  const reportedMaster = (): number => {
    for (const port of sentinelPorts) {
      const lines = run(port, 'sentinel', 'get-master-addr-by-name', name).trim().split('\n');
      const p = Number(lines[1]);
      if (Number.isInteger(p) && p > 0) return p;
    }
    return 0;
  };
  try {
    const masterPort = await freeServerPort();
    const masterDir = mkdtempSync(join(tmpdir(), 'switchyard-sentinel-'));
    dirs.push(masterDir);
    servers.set(masterPort, await spawnServer(bin, masterPort, masterDir, ['--appendonly', 'no']));
    const replicaPort = await freeServerPort();
    const replicaDir = mkdtempSync(join(tmpdir(), 'switchyard-sentinel-'));
    dirs.push(replicaDir);
    servers.set(replicaPort, await spawnServer(bin, replicaPort, replicaDir, ['--appendonly', 'no', '--replicaof', '127.0.0.1', String(masterPort)]));
    for (let i = 0; i < 3; i++) {
      const port = await freeServerPort();
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-sentinel-'));
      dirs.push(dir);
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          'protected-mode no',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const child = spawn(bin, [conf, '--sentinel'], { stdio: ['ignore', 'ignore', 'ignore'] });
      child.unref();
      sentinelChildren.push(child);
      sentinelPorts.push(port);
      const deadline = Date.now() + 15_000;
      while (!(await ping(port))) {
        if (child.exitCode !== null) throw new Error(`sentinel on port ${port} exited (${child.exitCode})`);
        if (Date.now() > deadline) throw new Error(`sentinel on port ${port} did not answer PING within 15 s`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    process.once('exit', () => {
      for (const c of sentinelChildren) c.kill('SIGKILL');
    });
    // Ready: the replica has synced and every sentinel knows the replica and the other sentinels.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const synced = run(replicaPort, 'info', 'replication').includes('master_link_status:up');
      const known = sentinelPorts.every((p) => {
        const info = run(p, 'sentinel', 'master', name);
        const field = (key: string): number => {
          const lines = info.split('\n');
          const at = lines.indexOf(key);
          return at < 0 ? 0 : Number(lines[at + 1]);
        };
        return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2;
      });
      if (synced && known) break;
      if (Date.now() > deadline) throw new Error('the sentinels did not see the replica and each other within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    name,
    sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
    masterPort: reportedMaster,
    async killMaster() {
      const old = reportedMaster();
      const child = servers.get(old);
      if (child === undefined) throw new Error(`no server of ours on the reported master port ${old}`);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
      const deadline = Date.now() + 30_000;
      for (;;) {
        const now = reportedMaster();
        if (now !== old && now !== 0 && run(now, 'role').startsWith('master')) return { old, promoted: now };
        if (Date.now() > deadline) throw new Error(`the sentinels did not promote a replica within 30 s of killing master ${old}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    cli: run,
    stop: stopAll,
  };
}
