import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { ManualClock, systemClock } from '../src/clock.js';
import { repoRoot } from '../../../test/harness/process.js';
import { rejectsMatching } from '../../../test/harness/wait.js';

const clock = suite('ManualClock');

clock('advance wakes sleepers in due order and not before their time', async () => {
  const c = new ManualClock(0);
  const woke: string[] = [];
  void c.sleep(30).then(() => woke.push('b'));
  void c.sleep(10).then(() => woke.push('a'));
  await c.advance(9);
  assert.equal(woke, []);
  await c.advance(25);
  assert.equal(woke, ['a', 'b']);
  assert.is(c.now(), 34);
});

clock('an aborted sleep rejects with the signal reason', async () => {
  const c = new ManualClock(0);
  const ac = new AbortController();
  const p = c.sleep(100, ac.signal);
  ac.abort(new Error('stop'));
  await rejectsMatching(p, /stop/, 'an aborted sleep');
});

clock('after() calls its function once when due, and never once cancelled', async () => {
  const c = new ManualClock(0);
  const called: string[] = [];
  c.after(20, () => called.push('due'));
  const cancel = c.after(10, () => called.push('cancelled'));
  cancel();
  await c.advance(15);
  assert.equal(called, [], 'nothing is due at 15 ms; the cancelled one never runs');
  await c.advance(10);
  assert.equal(called, ['due']);
  await c.advance(100);
  assert.equal(called, ['due'], 'once');
});

clock('systemClock.after fires after the delay and not at all once cancelled', async () => {
  let fired = 0;
  let cancelledFired = 0;
  const cancel = systemClock.after(5, () => cancelledFired++);
  cancel();
  await new Promise<void>((resolve) => systemClock.after(20, () => { fired++; resolve(); }));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.is(fired, 1);
  assert.is(cancelledFired, 0);
});

clock('an unref\'d systemClock.after does not keep the process alive; a plain one does until it fires', () => {
  const run = (unref: boolean): { ms: number; out: string } => {
    const started = Date.now();
    const script = `import('./packages/core/src/clock.ts').then(({ systemClock }) => systemClock.after(1500, () => console.log('fired'), { unref: ${String(unref)} }))`;
    const out = execFileSync(process.execPath, ['--conditions=switchyard-source', '--import', 'tsx', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    return { ms: Date.now() - started, out: out.trim() };
  };
  const plain = run(false);
  assert.is(plain.out, 'fired', 'a plain timer runs');
  const unrefd = run(true);
  assert.is(unrefd.out, '', 'the unref\'d timer never ran: the process had nothing else to do and exited');
  assert.ok(unrefd.ms < plain.ms, `exited before the timer was due (${unrefd.ms} ms against ${plain.ms} ms)`);
});

clock.run();
