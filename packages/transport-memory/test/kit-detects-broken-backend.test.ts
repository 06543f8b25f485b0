// Proves the conformance kit can fail: it runs (in a child process) against a memory backend whose
// ack() claims success and does nothing, and must report the ack-dependent behaviours as failed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnTs } from '../../../test/harness/process.js';

const kit = suite('conformance kit against a broken backend');

kit('a backend whose ack does nothing fails the kit, naming the ack, fencing, subscribe, stats and bulk behaviours', async () => {
  const child = spawnTs('packages/transport-memory/test/fixtures/broken-ack-kit.ts');
  const code = await child.exited;
  const out = child.output();
  assert.is.not(code, 0, `the kit run should exit non-zero; output:\n${out.slice(-2000)}`);
  const failed = [...out.matchAll(/FAIL\s+memory-broken-ack: ([^"]+?)\s+"([^"]+)"/g)].map((m) => `${m[1]}: ${m[2]}`);
  const expectFailed = (pattern: RegExp, what: string): void =>
    assert.ok(failed.some((f) => pattern.test(f)), `${what} should be reported as failed; failed: ${JSON.stringify(failed, null, 1)}`);
  expectFailed(/an acked message is gone/, 'the basic ack behaviour');
  expectFailed(/fencing: a stale ack settles the message/, 'the ack of a message another delivery holds');
  expectFailed(/subscribe: a handler that returns acks its message/, 'subscribe acking');
  expectFailed(/stats: /, 'stats');
  expectFailed(/bulk: /, 'the bulk property');
  assert.match(out, /bulk delivery report \(seed \d+\)/, 'the bulk test prints its delivery report');
  const total = Number(/Total:\s+(\d+)/.exec(out)?.[1]);
  const passed = Number(/Passed:\s+(\d+)/.exec(out)?.[1]);
  assert.ok(total >= 25, `the kit ran ${total} behaviours`);
  assert.ok(total - passed >= 10, `at least 10 behaviours failed (${total - passed} did)`);
});

kit.run();
