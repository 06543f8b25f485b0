/**
 * A local three-master Valkey Cluster (`--cluster-enabled yes`), slots assigned with
 * `redis-cli --cluster create`. Null (after the skip banner) when no server binary is on PATH;
 * a throw under SWITCHYARD_REQUIRE_VALKEY=1.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliBinary, serverBinary, skipBanner, spawnServer, stopServer } from './valkey.js';

export interface ValkeyCluster {
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  stop(): Promise<void>;
}

export async function startValkeyCluster(): Promise<ValkeyCluster | null> {
  const bin = serverBinary();
  const cli = cliBinary();
  if (bin === undefined || cli === undefined) {
    const reason = 'no valkey-server/redis-server and CLI on PATH to build a local cluster';
    if (process.env.SWITCHYARD_REQUIRE_VALKEY === '1') throw new Error(`SWITCHYARD_REQUIRE_VALKEY=1 but ${reason}`);
    skipBanner('Valkey cluster suites', reason);
    return null;
  }
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await clusterPort(ports);
      ports.push(port);
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-cluster-'));
      dirs.push(dir);
      children.push(
        await spawnServer(bin, port, dir, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000', '--appendonly', 'no']),
      );
    }
    const create = spawnSync(cli, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (create.status !== 0) throw new Error(`cluster create failed: ${create.stdout}\n${create.stderr}`);
    const deadline = Date.now() + 30_000;
    for (const port of ports) {
      for (;;) {
        const info = spawnSync(cli, ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' });
        if (info.stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster node ${port} did not reach cluster_state:ok within 30 s: ${info.stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await Promise.all(children.map((c) => stopServer(c)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    async stop() {
      await Promise.all(children.map((c) => stopServer(c)));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** A port p in 20000–29999 where both p and its cluster bus port p + 10000 are free. */
async function clusterPort(taken: readonly number[]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (taken.includes(port) || port === 6379) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
  throw new Error('no free port pair (p, p+10000) found for a cluster node');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
