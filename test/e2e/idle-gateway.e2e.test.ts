/**
 * An idle gateway sleeps: after some traffic, with an instance registered over TCP and nothing in
 * flight, its main thread wakes up a few dozen times a second at most (heartbeats, sweeps on
 * second-scale cadences, the event-loop lag sample every 100 ms). Before the deadline alarm and the
 * lag sampling period, a 10 ms deadline sweep and prom-client's 10 ms lag timer woke it about 150
 * times a second. Counted from /proc (voluntary context switches of the main thread: each is a
 * sleep the thread came back from), not timed.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { configFiles } from '../harness/config-files.js';
import { freePort, spawnTs, type TsProcess } from '../harness/process.js';
import { eventually } from '../harness/wait.js';

const idle = suite('an idle gateway');
const children: TsProcess[] = [];
idle.after(async () => {
  for (const c of children) await c.stop();
});

/** Voluntary context switches of a process's main thread so far. */
function wakeUps(pid: number): number {
  const m = /voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no voluntary_ctxt_switches in /proc/${pid}/task/${pid}/status`);
  return Number(m[1]);
}

idle('wakes its main thread fewer than 40 times a second once nothing is in flight', async () => {
  const files = configFiles('sy-idle-');
  const tcpPort = await freePort();
  const gateway = spawnTs('packages/gateway/src/cli.ts', [
    '--config',
    files.write('gateway', { node: { id: 'gw-idle' }, http: { host: '127.0.0.1', port: 0 }, transports: [{ type: 'tcp', host: '127.0.0.1', port: tcpPort }], auth: { anonymous: { subject: 'anonymous' } } }),
  ]);
  children.push(gateway);
  const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
  const echo = spawnTs('examples/echo/main.ts', ['--config', files.write('echo', { service: { name: 'echo', version: '1.0.0' }, transports: [{ type: 'tcp', host: '127.0.0.1', port: tcpPort }] })]);
  children.push(echo);
  await eventually(async () => (await fetch(`${url}/echo/hello`)).status === 200, { within: 30_000, every: 100, what: 'the echo to answer through the gateway' });
  // Traffic first, so every per-request path (and its deadline) has been used.
  await Promise.all(Array.from({ length: 50 }, async (_, i) => (await fetch(`${url}/echo/n${i}`, { method: 'POST', body: 'x' })).text()));
  await (await fetch(`${url}/metrics`)).text();

  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = wakeUps(gateway.pid);
  const seconds = 3;
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const perSecond = (wakeUps(gateway.pid) - before) / seconds;
  assert.ok(perSecond < 40, `the idle gateway's main thread woke ${perSecond.toFixed(1)} times a second`);
  assert.is((await fetch(`${url}/echo/after`)).status, 200, 'and still answers');
});

idle.run();
