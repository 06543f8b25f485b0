import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Cancellation, type CancelReason } from '../src/index.js';

const cancellation = suite('Cancellation');

cancellation('cancel() runs every listener once with the reason, then reports cancelled', () => {
  const c = new Cancellation();
  const heard: string[] = [];
  c.onCancel((r) => heard.push(`first:${r}`));
  c.onCancel((r) => heard.push(`second:${r}`));
  assert.not.ok(c.cancelled);
  assert.is(c.reason, undefined);
  assert.ok(c.cancel('timeout'));
  assert.equal(heard, ['first:timeout', 'second:timeout']);
  assert.ok(c.cancelled);
  assert.is(c.reason, 'timeout');
  assert.not.ok(c.cancel('shutdown'), 'a second cancel is refused');
  assert.is(c.reason, 'timeout', 'and does not change the reason');
  assert.is(heard.length, 2, 'listeners ran once');
});

cancellation('a removed listener is not called; removing the first keeps the others', () => {
  const c = new Cancellation();
  const heard: string[] = [];
  const a = (): void => void heard.push('a');
  const b = (): void => void heard.push('b');
  const d = (): void => void heard.push('d');
  c.onCancel(a);
  c.onCancel(b);
  c.onCancel(d);
  c.offCancel(a);
  c.offCancel(d);
  c.cancel('client-disconnected');
  assert.equal(heard, ['b']);
});

cancellation('onCancel after cancel does not call the listener (callers check cancelled first)', () => {
  const c = new Cancellation();
  c.cancel('payload-limit');
  let called = false;
  c.onCancel(() => (called = true));
  assert.not.ok(called);
});

cancellation('the signal is made on first read and aborts with the CancelReason', () => {
  const before = new Cancellation();
  const signal = before.signal;
  assert.is(before.signal, signal, 'one signal per cancellation');
  assert.not.ok(signal.aborted);
  let reason: unknown;
  signal.addEventListener('abort', () => (reason = signal.reason));
  before.cancel('shutdown');
  assert.ok(signal.aborted);
  assert.is(reason, 'shutdown' satisfies CancelReason);

  const after = new Cancellation();
  after.cancel('timeout');
  assert.ok(after.signal.aborted, 'a signal read after cancel is already aborted');
  assert.is(after.signal.reason, 'timeout');
});

cancellation.run();
