/**
 * A handler is told when its lease is gone (packages/core/src/queue/subscription.ts): over a real
 * Valkey server that is stopped while the handler runs, renewals fail until the lease has run out,
 * and then the delivery's signal aborts with SY_QUEUE_LEASE_LOST (whose cause is the renewal's
 * error), through `onLeaseLost` too; a handler whose renewals succeed is never aborted.
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ERROR_CODES, createQueueFactoryFromConfig, systemClock } from '@switchyard/core';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { eventually, within } from '../harness/wait.js';

const server = await requireValkeyOrSkip('lease loss while Valkey is away');
const test = suite('lease loss over valkey: the handler is told');
test.after(async () => {
  await server?.stop();
});

if (server === null) {
  test.skip('every case (SKIPPED: no server)', () => undefined);
} else {
  test('renewals failing until the lease ran out (server stopped) abort the handler with SY_QUEUE_LEASE_LOST; a renewed one is not aborted', async () => {
    if (!server.canRestart) {
      console.warn('SKIPPED: the harness server cannot be restarted (external)');
      return;
    }
    const factory = await createQueueFactoryFromConfig('valkey', { url: server.url, prefix: `t-${randomUUID().slice(0, 8)}`, commandTimeoutMs: 300, commandRetries: 0 }, { clock: systemClock });
    const queue = factory.queue<string>('work', { leaseMs: 900 });
    await queue.enqueue('slow');
    let signalReason: unknown;
    let listenerReason: unknown;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let release!: () => void;
    const finish = new Promise<void>((resolve) => (release = resolve));
    const sub = queue.subscribe(
      async (_message, delivery) => {
        delivery.onLeaseLost((reason) => (listenerReason = reason));
        delivery.signal.addEventListener('abort', () => (signalReason = delivery.signal.reason), { once: true });
        started();
        await finish;
      },
      { leaseMs: 900, blockMs: 100 },
    );
    try {
      await within(running, 10_000, 'the handler to start');
      // Renewals succeed while the server is up: after three lease lengths the handler still holds it.
      await new Promise((resolve) => setTimeout(resolve, 2_700));
      assert.is(signalReason, undefined, 'a lease that is renewed is never lost');
      await server.restart({
        whileDown: async () => {
          await eventually(() => signalReason !== undefined, { within: 10_000, every: 50, what: 'the signal to abort once the lease ran out without a renewal' });
        },
      });
      assert.is((signalReason as { code?: string }).code, ERROR_CODES.LeaseLost);
      assert.ok((signalReason as Error).cause !== undefined, 'the cause is the failed renewal');
      assert.is(listenerReason, signalReason, 'onLeaseLost got the same reason');
    } finally {
      release();
      await sub.close();
      await factory.close();
    }
  });
}

test.run();
