import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Container } from 'inversify';
import { ERROR_CODES, ManualClock, TOKENS, coreModule, createQueueFactory, type BackendStatus, type MessageQueueFactory } from '@switchyard/core';
import { createMemoryBackend, createMemoryQueueFactory, memoryModule, plugin } from '../src/index.js';
import { within } from '../../../test/harness/wait.js';

const memory = suite('memory backend');

memory('factories with the same namespace share queues; without one each has its own', async () => {
  const ns = `ns-${process.pid}-${Math.random()}`;
  const gateway = createMemoryQueueFactory({ namespace: ns });
  const service = createMemoryQueueFactory({ namespace: ns });
  const loner = createMemoryQueueFactory();
  await gateway.queue<string>('requests').enqueue('hello');
  assert.equal(await loner.queue<string>('requests').lease(), [], 'a private store does not see it');
  const [lease] = await service.queue<string>('requests').lease();
  assert.is(lease?.message, 'hello', 'the same namespace does');
  await lease!.ack();
  await Promise.all([gateway.close(), service.close(), loner.close()]);
});

memory('the plugin validates options: only namespace, unknown keys named', () => {
  assert.is(plugin.name, 'memory');
  assert.is(plugin.coreVersion, '^0.1.0');
  const clock = new ManualClock();
  assert.is(plugin.createBackend({ namespace: 'x' }, { clock }).name, 'memory');
  try {
    plugin.createBackend({ namespace: 5, sizeLimit: 10 }, { clock });
    assert.unreachable('should refuse');
  } catch (err) {
    assert.is((err as { code?: string }).code, ERROR_CODES.InvalidQueueOptions);
    assert.match((err as Error).message, /memory\.sizeLimit/);
    assert.match((err as Error).message, /memory\.namespace/);
  }
});

memory('capabilities say what the memory backend cannot do', () => {
  assert.equal({ ...createMemoryBackend().capabilities }, { survivesRestart: false, crossProcess: false, injectableClock: true, tailRead: true });
});

memory('a fan-out queue is trimmed to fanoutRetention.maxLength; a competing queue never drops unconsumed work', async () => {
  const f = createMemoryQueueFactory();
  const fan = f.queue<number>('events', { fanoutRetention: { maxLength: 5 } });
  const reader = fan.consumer({ mode: 'fanout' });
  await fan.enqueueBatch(Array.from({ length: 12 }, (_, i) => ({ message: i })));
  const got = await reader.lease({ max: 100 });
  assert.equal(got.map((l) => l.message), [7, 8, 9, 10, 11], 'only the newest five are kept');
  const work = f.queue<number>('work', { fanoutRetention: { maxLength: 5 } });
  await work.enqueueBatch(Array.from({ length: 12 }, (_, i) => ({ message: i })));
  assert.is((await work.lease({ max: 100 })).length, 12);
  await f.close();
});

memory('status() reports connected, then closed when the backend closes', async () => {
  const backend = createMemoryBackend();
  const factory = createQueueFactory(backend);
  const seen: BackendStatus['type'][] = [];
  const reading = (async () => {
    for await (const s of factory.status()) seen.push(s.type);
  })();
  assert.ok(factory.isReady());
  await factory.close();
  await within(reading, 5_000, 'the status stream to end');
  assert.equal(seen, ['connected', 'closed']);
});

memory('a blocked lease returns empty when its signal aborts', async () => {
  const clock = new ManualClock();
  const f = createMemoryQueueFactory({ clock });
  const q = f.queue<string>('idle');
  const stop = new AbortController();
  const waiting = q.consumer().lease({ blockMs: 60_000, signal: stop.signal });
  stop.abort();
  assert.equal(await within(waiting, 5_000, 'the aborted lease'), []);
  await f.close();
});

memory.run();

const wiring = suite('memoryModule');

wiring('a container with coreModule and memoryModule resolves a singleton factory over a memory backend on the bound clock', async () => {
  const clock = new ManualClock();
  const container = new Container();
  await container.load(coreModule({ clock }), memoryModule({ namespace: `wiring-${process.pid}` }));
  const factory = container.get<MessageQueueFactory>(TOKENS.QueueFactory);
  assert.is(container.get(TOKENS.QueueFactory), factory, 'singleton');
  assert.is(factory.backend, 'memory');
  const q = factory.queue<string>('wired', { leaseMs: 1_000 });
  await q.enqueue('w');
  await q.lease();
  await clock.advance(1_001);
  const [again] = await q.consumer().lease();
  assert.is(again?.attempt, 2, 'expiry followed the bound clock');
  await factory.close();
});

wiring.run();
