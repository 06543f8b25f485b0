/** A payload the codec cannot decode is dead-lettered with `decode-error`; the consumer keeps going. */
import * as assert from 'uvu/assert';
import { bytesCodec } from '../queue/codecs.js';
import type { MessageQueueFactory } from '../queue/types.js';
import type { KitContext } from './context.js';
import { eventually } from './wait.js';

const junk = new Uint8Array([0xff, 0xfe, 0x7b, 0x00]);

export function register(ctx: KitContext): void {
  const test = ctx.suite('decode errors');

  /** Writes raw bytes under a queue name with the bytes codec, then closes that handle. */
  async function writeRaw(factory: MessageQueueFactory, name: string, items: Uint8Array[]): Promise<void> {
    const raw = factory.queue<Uint8Array>(name, { codec: bytesCodec });
    for (const bytes of items) await raw.enqueue(bytes);
    await raw.close();
  }

  const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

  test('lease() dead-letters an undecodable payload with reason decode-error and still returns the good ones', async () => {
    const name = ctx.queueName();
    const f = await ctx.factory();
    await writeRaw(f, name, [json({ ok: 1 }), junk, json({ ok: 2 })]);
    const q = f.queue<{ ok: number }>(name);
    const good = await ctx.leaseExactly(q, 2, 'the two decodable messages');
    assert.equal(good.map((l) => l.message.ok).sort(), [1, 2]);
    await Promise.all(good.map((l) => l.ack()));
    const letters = await eventually(async () => {
      const l = await q.deadLetters.list();
      return l.length === 1 ? l : undefined;
    }, 'one decode-error dead letter', { within: ctx.deadlineMs() });
    assert.is(letters[0]!.reason, 'decode-error');
    assert.is(letters[0]!.message, undefined, 'an undecodable dead letter has no message');
    assert.equal([...letters[0]!.payload], [...junk], 'the payload bytes are kept as they were');
  });

  test('subscribe() keeps handling messages after an undecodable one', async () => {
    const name = ctx.queueName();
    const f = await ctx.factory();
    await writeRaw(f, name, [junk, json('after'), junk, json('again')]);
    const q = f.queue<string>(name);
    const seen: string[] = [];
    const sub = q.subscribe(async (m) => void seen.push(m), { blockMs: 100 });
    await eventually(() => seen.length === 2, `both good messages handled (got ${JSON.stringify(seen)})`, { within: ctx.deadlineMs() });
    assert.equal(seen.sort(), ['after', 'again']);
    await sub.close();
    assert.is(await q.deadLetters.count(), 2);
    assert.is((await q.stats()).depth, 0, 'nothing is left blocking the queue');
  });

  test.run();
}
