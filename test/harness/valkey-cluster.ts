/**
 * A local three-master Valkey Cluster (`--cluster-enabled yes`), slots assigned with
 * `redis-cli --cluster create`, optionally one replica per master (for failover tests). Null
 * (after the skip banner) when no server binary is on PATH; a throw under SWITCHYARD_REQUIRE_VALKEY=1.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite, type Test } from 'uvu';
import { cliBinary, serverBinary, skipBanner, spawnServer, stopServer } from './valkey.js';

export interface ClusterNode {
  readonly host: string;
  readonly port: number;
}

export interface ValkeyCluster {
  /** Every node (masters first, then replicas): seed nodes for a client. */
  readonly nodes: ReadonlyArray<ClusterNode>;
  /** The nodes that are masters now (asked of the cluster, so a failover shows). */
  masters(): ClusterNode[];
  /** The nodes that are replicas now, each with the port of its master. */
  replicas(): Array<ClusterNode & { masterPort: number }>;
  /** `CLUSTER FAILOVER` on the replica at `port` (a manual, coordinated failover); resolves once it is a master and the cluster is ok. */
  failover(replicaPort: number): Promise<void>;
  /** SIGKILLs the node at `port` (a crash); its replica (if any) is promoted after the node timeout. */
  kill(port: number): Promise<void>;
  /** Resolves once every live node reports cluster_state:ok and every slot has a live master. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** The master serving `key`'s slot now. */
  masterOf(key: string): ClusterNode;
  /** Errors each live node has answered since it started, by error prefix (`INFO errorstats`), e.g. { CROSSSLOT: 2 }. */
  errorCounts(): Record<string, number>;
  /** The CLI run against one node: `cli(port, 'dbsize')`. */
  cli(port: number, ...args: string[]): string;
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  /** Replicas per master. @default 0 */
  replicas?: 0 | 1;
  /** `cluster-node-timeout`: how long a master may be unreachable before its replica takes over. @default 5000 */
  nodeTimeoutMs?: number;
}

/** A suite of cases on a cluster of its own (clusterSuite): `cluster` null when there is none to start. */
export interface ClusterSuite {
  readonly test: Test;
  readonly cluster: ValkeyCluster | null;
  /** The cluster's seed nodes for a client (none without a cluster). */
  readonly nodes: ClusterNode[];
}

/**
 * A suite named `name` on a local cluster started for it and stopped after it. Without a server
 * binary the suite holds one skipped case that says so, and `cluster` is null: add the cases only
 * when it is not.
 */
export async function clusterSuite(name: string, options: StartClusterOptions = {}): Promise<ClusterSuite> {
  const cluster = await startValkeyCluster(options);
  const test = suite(name);
  if (cluster === null) {
    test.skip('every case (SKIPPED: no server binary for a cluster)', () => undefined);
    return { test, cluster, nodes: [] };
  }
  test.after(() => cluster.stop());
  return { test, cluster, nodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })) };
}

export async function startValkeyCluster(options: StartClusterOptions = {}): Promise<ValkeyCluster | null> {
  const bin = serverBinary();
  const cli = cliBinary();
  if (bin === undefined || cli === undefined) {
    const reason = 'no valkey-server/redis-server and CLI on PATH to build a local cluster';
    if (process.env.SWITCHYARD_REQUIRE_VALKEY === '1') throw new Error(`SWITCHYARD_REQUIRE_VALKEY=1 but ${reason}`);
    skipBanner('Valkey cluster suites', reason);
    return null;
  }
  const replicas = options.replicas ?? 0;
  const nodeTimeout = options.nodeTimeoutMs ?? 5_000;
  const children = new Map<number, ChildProcess>();
  const dirs: string[] = [];
  const ports: number[] = [];
  const run = (port: number, ...args: string[]): string => spawnSync(cli, ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  const stopAll = async (): Promise<void> => {
    await Promise.all([...children.values()].map((c) => stopServer(c)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  const live = (): number[] => ports.filter((p) => {
    const c = children.get(p);
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  });
  /** `CLUSTER NODES` of a live node, as rows of { port, role, masterId, id, failed }. */
  const topology = (): Array<{ id: string; port: number; master: boolean; masterId: string; failed: boolean; slots: boolean; ranges: Array<[number, number]> }> => {
    const at = live()[0];
    if (at === undefined) return [];
    return run(at, 'cluster', 'nodes')
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((line) => {
        const f = line.split(' ');
        const port = Number((f[1] ?? '').split('@')[0]?.split(':')[1]);
        const flags = f[2] ?? '';
        const ranges = f
          .slice(8)
          .filter((r) => /^\d/.test(r))
          .map((r) => r.split('-').map(Number))
          .map(([a, b]): [number, number] => [a ?? 0, b ?? a ?? 0]);
        return { id: f[0] ?? '', port, master: flags.includes('master'), masterId: f[3] ?? '-', failed: flags.includes('fail'), slots: f.length > 8, ranges };
      });
  };
  const waitHealthy = async (timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ok = live().every((p) => run(p, 'cluster', 'info').includes('cluster_state:ok'));
      const slotsServed = topology().filter((n) => n.master && n.slots && !n.failed && live().includes(n.port)).length === 3;
      if (ok && slotsServed) return;
      if (Date.now() > deadline) throw new Error(`cluster not healthy within ${timeoutMs} ms:\n${run(live()[0] ?? 0, 'cluster', 'nodes')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    for (let i = 0; i < 3 * (1 + replicas); i++) {
      const port = await clusterPort(ports);
      ports.push(port);
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-cluster-'));
      dirs.push(dir);
      children.set(
        port,
        await spawnServer(bin, port, dir, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeout), '--appendonly', 'no']),
      );
    }
    const create = spawnSync(cli, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (create.status !== 0) throw new Error(`cluster create failed: ${create.stdout}\n${create.stderr}`);
    await waitHealthy();
    if (replicas > 0) {
      // Replicas must have finished their first sync, or a failover has nothing to take over.
      const deadline = Date.now() + 30_000;
      while (!topology().filter((n) => !n.master).every((n) => run(n.port, 'info', 'replication').includes('master_link_status:up'))) {
        if (Date.now() > deadline) throw new Error('cluster replicas did not sync within 30 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    masters: () => topology().filter((n) => n.master && !n.failed && live().includes(n.port)).map((n) => ({ host: '127.0.0.1', port: n.port })),
    replicas: () => {
      const rows = topology();
      return rows
        .filter((n) => !n.master && !n.failed && live().includes(n.port))
        .map((n) => ({ host: '127.0.0.1', port: n.port, masterPort: rows.find((m) => m.id === n.masterId)?.port ?? 0 }));
    },
    masterOf(key) {
      const at = live()[0] ?? 0;
      const slot = Number(run(at, 'cluster', 'keyslot', key).trim());
      const owner = topology().find((n) => n.master && !n.failed && n.ranges.some(([a, b]) => slot >= a && slot <= b));
      if (owner === undefined) throw new Error(`no live master serves slot ${slot} of ${key}`);
      return { host: '127.0.0.1', port: owner.port };
    },
    async failover(replicaPort) {
      const reply = run(replicaPort, 'cluster', 'failover').trim();
      if (reply !== 'OK') throw new Error(`CLUSTER FAILOVER on ${replicaPort} answered ${reply}`);
      const deadline = Date.now() + 30_000;
      while (!run(replicaPort, 'role').startsWith('master')) {
        if (Date.now() > deadline) throw new Error(`node ${replicaPort} did not become master within 30 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await waitHealthy();
    },
    async kill(port) {
      const child = children.get(port);
      if (child === undefined) throw new Error(`no cluster node on port ${port}`);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    waitHealthy,
    errorCounts() {
      const counts: Record<string, number> = {};
      for (const port of live()) {
        for (const m of run(port, 'info', 'errorstats').matchAll(/^errorstat_([A-Z]+):count=(\d+)/gm)) {
          counts[m[1] as string] = (counts[m[1] as string] ?? 0) + Number(m[2]);
        }
      }
      return counts;
    },
    cli: run,
    stop: stopAll,
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
