/**
 * `npm run echo` and `npm run gateway` as a user runs them: when the npm process is signalled
 * (SIGTERM from a supervisor, SIGINT from Ctrl-C), the node process behind it stops too. The
 * scripts `exec` node, so npm's forwarded signal reaches node rather than a shell that would die
 * and orphan it. Each npm process leads its own process group; afterwards /proc must show no
 * process of that group, and what it held is released (the echo's registration, the gateway's port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { processGroupMembers } from '../harness/process-group.js';
import { freePort, repoRoot, spawnTs, type TsProcess } from '../harness/process.js';
import { eventually, within } from '../harness/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-npm-'));
const groups = new Set<number>();
const children: TsProcess[] = [];
/** A failed case must not leave npm or node processes behind (nor keep this file running). */
function killGroups(): void {
  for (const pgid of groups) for (const m of processGroupMembers(pgid)) process.kill(m.pid, 'SIGKILL');
}
process.once('exit', killGroups);

interface NpmRun {
  readonly child: ChildProcess;
  readonly pgid: number;
  output(): string;
  readonly exited: Promise<number | string>;
}

/** `npm run <script> -- ...args` from the repo root, as the leader of its own process group. */
function npmRun(script: string, args: readonly string[]): NpmRun {
  const child = spawn('npm', ['run', script, '--', ...args], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const pgid = child.pid as number;
  groups.add(pgid);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, pgid, output: () => out, exited };
}

/** Waits until no process of `run`'s group is left; fails listing the survivors. */
async function groupGone(run: NpmRun, what: string): Promise<void> {
  await eventually(() => processGroupMembers(run.pgid).length === 0, {
    within: 15_000,
    what: `${what}: no process left in npm's group ${run.pgid} (left: ${JSON.stringify(processGroupMembers(run.pgid))})`,
  });
}

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const scripts = suite('npm run scripts and signals');

scripts.after(async () => {
  killGroups();
  for (const c of children) await c.stop();
});

scripts('SIGTERM to the npm process of `npm run echo` stops its node process; the instance leaves the gateway', async () => {
  const tcpPort = await freePort();
  const gwFile = join(dir, 'gateway.json');
  writeFileSync(gwFile, JSON.stringify({ node: { id: 'gw-npm' }, http: { host: '127.0.0.1', port: 0 }, transports: [{ type: 'tcp', host: '127.0.0.1', port: tcpPort }], auth: { anonymous: { subject: 'anonymous' } } }));
  const gateway = spawnTs('packages/gateway/src/cli.ts', ['--config', gwFile]);
  children.push(gateway);
  const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;

  const echoFile = join(dir, 'echo.json');
  writeFileSync(echoFile, JSON.stringify({ service: { name: 'echo', version: '1.0.0' }, transports: [{ type: 'tcp', host: '127.0.0.1', port: tcpPort }] }));
  const echo = npmRun('echo', ['--config', echoFile]);
  await eventually(async () => (await fetch(`${url}/echo/hello`)).status === 200, { within: 30_000, every: 100, what: `the echo started by npm to answer through the gateway (npm output: ${echo.output()})` });
  assert.ok(processGroupMembers(echo.pgid).some((m) => /examples\/echo\/main\.ts/.test(m.command)), 'the echo node process runs in npm\'s group');

  process.kill(echo.pgid, 'SIGTERM'); // the npm process only, as a supervisor would
  await within(echo.exited, 15_000, 'npm to exit after SIGTERM');
  await groupGone(echo, 'after SIGTERM to npm run echo');
  await eventually(async () => (await fetch(`${url}/echo/hello`)).status === 503, { within: 10_000, what: 'the gateway to answer 503 once the echo is gone' });
});

scripts('SIGINT to the npm process of `npm run gateway` stops its node process and frees its port', async () => {
  const port = await freePort();
  const file = join(dir, 'gateway-int.json');
  writeFileSync(file, JSON.stringify({ node: { id: 'gw-npm-int' }, http: { host: '127.0.0.1', port }, transports: [{ type: 'messaging', backend: 'memory' }] }));
  const gateway = npmRun('gateway', ['--config', file]);
  await eventually(() => portOpen(port), { within: 30_000, every: 100, what: `npm run gateway to listen on ${port} (npm output: ${gateway.output()})` });

  process.kill(gateway.pgid, 'SIGINT'); // the npm process only, as Ctrl-C's signal reaches npm
  await within(gateway.exited, 15_000, 'npm to exit after SIGINT');
  await groupGone(gateway, 'after SIGINT to npm run gateway');
  assert.is(await portOpen(port), false, `port ${port} is released`);
});

scripts.run();
