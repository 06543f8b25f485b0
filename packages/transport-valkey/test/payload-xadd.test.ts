/**
 * The XADD that writes a large payload straight to the socket: entries hold exactly the bytes
 * given, in order, with other commands (small XADDs, SETs) sent in between on the same connection.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startValkey } from '../../../test/harness/valkey.js';
import { xaddPayload } from '../src/payload-xadd.js';

const server = await startValkey();
const test = suite('payload xadd');
test.after(async () => {
  await server?.stop();
});

if (server !== null) {
  test('large and small payloads interleaved with other commands arrive whole and in order', async () => {
    const client = new Redis(server.url);
    const key = `px-${randomUUID().slice(0, 8)}`;
    const payloads = Array.from({ length: 40 }, (_, i) => randomBytes(i % 3 === 0 ? 100 : 20_000 + i * 7_000));
    const sent: Promise<unknown>[] = [];
    for (const [i, p] of payloads.entries()) {
      sent.push(xaddPayload(client, key, p));
      sent.push(client.set(`${key}:n`, String(i)));
    }
    const ids = (await Promise.all(sent)).filter((_, i) => i % 2 === 0) as string[];
    assert.ok(ids.every((id) => /^\d+-\d+$/.test(id)), 'each XADD answered with an entry id');
    const entries = await client.xrangeBuffer(key, '-', '+');
    assert.is(entries.length, payloads.length);
    for (const [i, [id, fields]] of entries.entries()) {
      assert.is(id.toString(), ids[i]);
      assert.is(fields[0]?.toString(), 'p');
      assert.ok(fields[1]?.equals(payloads[i] as Buffer), `payload ${i} (${payloads[i]?.length} bytes) intact`);
    }
    assert.is(await client.get(`${key}:n`), String(payloads.length - 1));
    await client.del(key, `${key}:n`);
    client.disconnect();
  });
} else {
  test('skipped: no Valkey-compatible server', () => undefined);
}

test.run();
