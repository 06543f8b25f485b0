/**
 * The `switchyard` CLI as a real process (packages/cli/src/bin.ts through tsx) against a real
 * Valkey (--valkey) and a real gateway (--gateway): rate-limited redrive, Ctrl-C mid-way, --json
 * output and exit codes.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { silentLogger, type MessageQueue, type MessageQueueFactory } from '@switchyard/core';
import { EXIT } from '@switchyard/cli';
import { connectValkeyQueueFactory } from '@switchyard/transport-valkey';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../harness/process.js';
import { startValkey } from '../harness/valkey.js';
import { eventually, within } from '../harness/wait.js';
import { OPERATOR_TOKEN, startAdminFixture, VIEWER_TOKEN } from './admin-fixture.js';

interface Run {
  readonly code: Promise<number>;
  stdout(): string;
  stderr(): string;
  interrupt(): void;
}

function cli(args: readonly string[]): Run {
  const child = spawn(process.execPath, ['--conditions=switchyard-source', '--import', 'tsx', 'packages/cli/src/bin.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', SWITCHYARD_GATEWAY: '', SWITCHYARD_TOKEN: '', SWITCHYARD_VALKEY: '' }, // never the caller's
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const code = new Promise<number>((resolve) => child.once('exit', (c, s) => resolve(c ?? (s === 'SIGINT' ? 130 : -1))));
  return { code, stdout: () => out, stderr: () => err, interrupt: () => child.kill('SIGINT') };
}

async function finished(run: Run, ms: number, what: string): Promise<number> {
  return within(run.code, ms, `${what} to exit; stderr:\n${run.stderr().slice(-2000)}`);
}

/** Makes `n` dead letters in `queue` with reason `handler-crashed`. */
async function deadLetter(queue: MessageQueue<string>, n: number): Promise<void> {
  await queue.enqueueBatch(Array.from({ length: n }, (_, i) => ({ message: `job-${i}` })));
  let done = 0;
  while (done < n) {
    const leases = await queue.lease({ max: 100 });
    assert.ok(leases.length > 0, `expected ${n - done} more messages to lease`);
    await Promise.all(leases.map((l) => l.deadLetter('handler-crashed')));
    done += leases.length;
  }
}

const server = await startValkey();
const test = suite<{ prefix: string; factory: MessageQueueFactory }>('switchyard CLI');

if (server === null) {
  test.skip('needs a Valkey-compatible server (see the banner above)', () => undefined);
} else {
  test.before.each(async (ctx) => {
    ctx.prefix = `cli-${randomUUID().slice(0, 8)}`;
    ctx.factory = await connectValkeyQueueFactory({ url: server.url, prefix: ctx.prefix }, { logger: silentLogger });
  });
  test.after.each(async (ctx) => {
    await ctx.factory.close();
  });
  test.after(async () => {
    await server.stop();
  });

  test('dlq replay --rate 50 on 500 dead letters takes at least 9 s and leaves none behind', async ({ prefix, factory }) => {
    const jobs = factory.queue<string>('jobs');
    await deadLetter(jobs, 500);
    assert.is(await jobs.deadLetters.count(), 500);
    const started = Date.now();
    const run = cli(['--valkey', server.url, '--prefix', prefix, 'dlq', 'replay', '--queue', 'jobs', '--rate', '50', '--json']);
    const code = await finished(run, 30_000, 'dlq replay');
    const elapsedMs = Date.now() - started;
    assert.is(code, EXIT.ok, run.stderr());
    assert.ok(elapsedMs >= 9_000, `500 at 50/s took ${elapsedMs} ms, expected ≥ 9000`);
    assert.equal(JSON.parse(run.stdout()), { matched: 500, replayed: 500, missing: 0, cancelled: false });
    assert.is(await jobs.deadLetters.count(), 0, 'no dead letter left behind');
    assert.is((await jobs.stats()).depth, 500, 'every one is back in its queue');
    assert.match(run.stderr(), /replaying \[#+\] 500\/500/);
  });

  test('Ctrl-C during a replay stops it cleanly: what was not replayed stays dead-lettered', async ({ prefix, factory }) => {
    const jobs = factory.queue<string>('jobs');
    await deadLetter(jobs, 500);
    const run = cli(['--valkey', server.url, '--prefix', prefix, 'dlq', 'replay', '--rate', '50', '--json']);
    // Progress goes to stderr a line per 10 %: interrupt once a fifth is done.
    await within(
      new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (/ 100\/500/.test(run.stderr())) {
            clearInterval(t);
            resolve();
          }
        }, 20);
      }),
      20_000,
      'the replay to reach 100/500',
    );
    run.interrupt();
    const code = await finished(run, 10_000, 'the interrupted replay');
    assert.is(code, EXIT.interrupted, run.stderr());
    const result = JSON.parse(run.stdout()) as { matched: number; replayed: number; cancelled: boolean };
    assert.is(result.cancelled, true);
    assert.ok(result.replayed >= 100 && result.replayed < 500, `replayed ${result.replayed}`);
    assert.is(await jobs.deadLetters.count(), 500 - result.replayed, 'the rest are still dead-lettered');
    assert.is((await jobs.stats()).depth, result.replayed, 'exactly the replayed ones are back in the queue');
  });

  test('queues shows a redelivered count over a backlog past the scan limit as a lower bound (≥), and --json says so', async ({ prefix, factory }) => {
    const q = factory.queue<number>('backlog', { leaseMs: 200, maxDeliveries: 5 });
    const total = 1_100;
    await q.enqueueBatch(Array.from({ length: total }, (_, i) => ({ message: i })));
    for (const consumer of [q.consumer(), q.consumer()]) {
      let leased = 0;
      // The second consumer takes every message again once its first lease expired: attempt 2.
      await eventually(async () => {
        leased += (await consumer.lease({ max: 500, blockMs: 200 })).length;
        return leased === total ? true : undefined;
      }, { within: 20_000, what: `all ${total} messages leased` });
    }
    const small = factory.queue<number>('small');
    await small.enqueue(1);
    const json = cli(['--valkey', server.url, '--prefix', prefix, '--json', 'queues']);
    assert.is(await finished(json, 15_000, 'queues --json'), EXIT.ok, json.stderr());
    const rows = (JSON.parse(json.stdout()) as { queues: Array<{ queue: string; redelivered: number; redeliveredIsLowerBound: boolean }> }).queues;
    assert.equal(rows.map((r) => [r.queue, r.redelivered, r.redeliveredIsLowerBound]), [['backlog', 1_000, true], ['small', 0, false]]);
    const table = cli(['--valkey', server.url, '--prefix', prefix, 'queues']);
    assert.is(await finished(table, 15_000, 'queues table'), EXIT.ok, table.stderr());
    assert.match(table.stdout(), /backlog\s.*≥1000/);
    assert.not.match(table.stdout(), /small\s.*≥/);
  });

  test('--json output of queues, dlq list, dry runs and purge parses', async ({ prefix, factory }) => {
    const a = factory.queue<string>('orders');
    const b = factory.queue<string>('invoices');
    await deadLetter(a, 3);
    await deadLetter(b, 2);
    const base = ['--valkey', server.url, '--prefix', prefix, '--json'];
    const queues = cli([...base, 'queues']);
    assert.is(await finished(queues, 15_000, 'queues'), EXIT.ok, queues.stderr());
    const q = JSON.parse(queues.stdout()) as { queues: Array<{ queue: string; deadLetters: number }> };
    assert.equal(q.queues.map((x) => [x.queue, x.deadLetters]), [['invoices', 2], ['orders', 3]]);

    const list = cli([...base, 'dlq', 'list', '--reason', 'crashed', '--since', '1h']);
    assert.is(await finished(list, 15_000, 'dlq list'), EXIT.ok, list.stderr());
    const l = JSON.parse(list.stdout()) as { deadLetters: Array<{ queue: string; reason: string }> };
    assert.is(l.deadLetters.length, 5);
    assert.ok(l.deadLetters.every((d) => d.reason === 'handler-crashed'));

    const show = cli([...base, 'dlq', 'show', '--queue', 'orders', String((l.deadLetters.find((d) => d.queue === 'orders') as { id?: string }).id)]);
    assert.is(await finished(show, 15_000, 'dlq show'), EXIT.ok, show.stderr());
    assert.match(String((JSON.parse(show.stdout()) as { preview: string }).preview), /job-/);

    const dry = cli([...base, 'dlq', 'purge', '--queue', 'orders', '--dry-run']);
    assert.is(await finished(dry, 15_000, 'dlq purge --dry-run'), EXIT.ok, dry.stderr());
    assert.equal(JSON.parse(dry.stdout()), { dryRun: true, matched: 3, queues: ['orders'] });
    assert.is(await a.deadLetters.count(), 3, 'a dry run changes nothing');

    const purge = cli([...base, 'dlq', 'purge', '--queue', 'orders']);
    assert.is(await finished(purge, 15_000, 'dlq purge'), EXIT.ok, purge.stderr());
    assert.equal(JSON.parse(purge.stdout()), { purged: 3 });
    assert.is(await a.deadLetters.count(), 0);
    assert.is(await b.deadLetters.count(), 2, 'the other queue is untouched');
  });

  test('against a gateway: instances --json lists the echo; a viewer token is refused actions with exit 3', async () => {
    const fx = await startAdminFixture(server.url, { console: false });
    try {
      const instances = cli(['--gateway', fx.url, '--token', VIEWER_TOKEN, 'instances', '--json']);
      assert.is(await finished(instances, 15_000, 'instances'), EXIT.ok, instances.stderr());
      const rows = (JSON.parse(instances.stdout()) as { instances: Array<{ instanceId: string; health: string }> }).instances;
      assert.equal(rows.map((r) => [r.instanceId, r.health]), [[fx.echo.instanceId, 'healthy']]);

      const table = cli(['--gateway', fx.url, '--token', VIEWER_TOKEN, 'instances']);
      assert.is(await finished(table, 15_000, 'instances table'), EXIT.ok);
      assert.match(table.stdout(), /echo.*1\.0\.0.*healthy/);

      const denied = cli(['--gateway', fx.url, '--token', VIEWER_TOKEN, 'resync']);
      assert.is(await finished(denied, 15_000, 'resync as viewer'), EXIT.denied);
      assert.match(denied.stderr(), /403 .*role viewer; this needs operator/);

      const resync = cli(['--gateway', fx.url, '--token', OPERATOR_TOKEN, 'resync', '--json']);
      assert.is(await finished(resync, 15_000, 'resync as operator'), EXIT.ok, resync.stderr());
      assert.equal(JSON.parse(resync.stdout()), { asked: 1 });

      const noToken = cli(['--gateway', fx.url, 'queues']);
      assert.is(await finished(noToken, 15_000, 'queues without a token'), EXIT.denied);
      assert.match(noToken.stderr(), /pass --token/);
    } finally {
      await fx.stop();
    }
  });

  test('against a gateway: drain <instance> tells the instance itself, which stops taking work and reports draining; undrain takes it back', async () => {
    const fx = await startAdminFixture(server.url, { console: false });
    try {
      const drain = cli(['--gateway', fx.url, '--token', OPERATOR_TOKEN, 'drain', fx.echo.instanceId, '--reason', 'kernel upgrade', '--json']);
      assert.is(await finished(drain, 15_000, 'drain'), EXIT.ok, drain.stderr());
      assert.equal(JSON.parse(drain.stdout()), { drained: fx.echo.instanceId, told: true });
      // Not only this gateway's mark: the instance took the DRAIN and its own heartbeats say so.
      await eventually(() => fx.echo.status().drained, { within: 5_000, what: 'the echo drained by the DRAIN frame' });
      const seq = fx.gateway.routing.instance(fx.echo.instanceId)?.lastSeq ?? 0;
      await eventually(() => (fx.gateway.routing.instance(fx.echo.instanceId)?.lastSeq ?? 0) > seq + 1, { within: 5_000, what: 'a heartbeat from the echo after the drain' });
      assert.is(fx.gateway.routing.instance(fx.echo.instanceId)?.reportedStatus, 'draining');
      assert.is(fx.echo.status().state, 'running', 'the drained instance stays up');

      const table = cli(['--gateway', fx.url, '--token', OPERATOR_TOKEN, 'instances']);
      assert.is(await finished(table, 15_000, 'instances table'), EXIT.ok);
      assert.match(table.stdout(), /draining \(drained\)/);

      const text = cli(['--gateway', fx.url, '--token', OPERATOR_TOKEN, 'drain', fx.echo.instanceId]);
      assert.is(await finished(text, 15_000, 'drain again, for people'), EXIT.ok, text.stderr());
      assert.match(text.stdout(), /is draining: it takes no new requests from any gateway/);
      const unknown = cli(['--gateway', fx.url, '--token', OPERATOR_TOKEN, 'drain', 'nope']);
      assert.is(await finished(unknown, 15_000, 'drain of an unknown instance'), EXIT.notFound);

      const undrain = cli(['--gateway', fx.url, '--token', OPERATOR_TOKEN, 'undrain', fx.echo.instanceId, '--json']);
      assert.is(await finished(undrain, 15_000, 'undrain'), EXIT.ok, undrain.stderr());
      assert.equal(JSON.parse(undrain.stdout()), { undrained: fx.echo.instanceId, told: true });
      await eventually(() => !fx.echo.status().drained, { within: 5_000, what: 'the echo undrained by the UNDRAIN frame' });
      await eventually(() => fx.gateway.routing.instance(fx.echo.instanceId)?.health === 'healthy', { within: 5_000, what: 'the echo healthy again at the gateway' });
      const res = await fetch(`${fx.url}/echo/back`);
      assert.is(res.status, 200, 'the undrained echo serves again');
      await res.arrayBuffer();
    } finally {
      await fx.stop();
    }
  });

  test('usage errors exit 2 and say what to give', async () => {
    const none = cli(['queues']);
    assert.is(await finished(none, 15_000, 'queues with no target'), EXIT.usage);
    assert.match(none.stderr(), /--gateway URL .* or --valkey URL/);
    const badRate = cli(['--valkey', server.url, 'dlq', 'replay', '--rate', '0']);
    assert.is(await finished(badRate, 15_000, 'bad --rate'), EXIT.usage);
    assert.match(badRate.stderr(), /--rate must be a number > 0/);
    const unknown = cli(['frobnicate']);
    assert.is(await finished(unknown, 15_000, 'unknown command'), EXIT.usage);
  });
}

test.run();
