/**
 * Batch commands encoded in one pass: the bytes are ioredis' own encoding of the same command,
 * a packed XADD arrives whole, and a script call loads its source when the server does not know
 * it (a new connection, scripts flushed) and otherwise sends the sha.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { Command, Redis } from 'ioredis';
import { startValkey } from '../../../test/harness/valkey.js';
import { encodeCommand, runScript, sendKeyed, type CommandArg } from '../src/encoded-command.js';
import { queueKeys } from '../src/keys.js';

const server = await startValkey();
const test = suite('encoded command');
test.after(async () => {
  await server?.stop();
});

/** ioredis' encoding of the same command, as bytes. */
function ioredisBytes(name: string, args: CommandArg[]): Buffer {
  const written = new Command(name, args).toWritable({});
  return typeof written === 'string' ? Buffer.from(written, 'utf8') : written;
}

test('the encoding is byte for byte the one ioredis writes', () => {
  const cases: Array<[string, CommandArg[]]> = [
    ['ping', []],
    ['xadd', ['s', '*', 'b', Buffer.from('payload'), 'b', Buffer.alloc(0)]],
    ['evalsha', ['a'.repeat(40), 2, 'k1', 'k2', 0, 1234567890, 'plain', randomBytes(300)]],
    ['set', ['clé-ünïcode-✓', 'value with\r\nCRLF and 𝄞', '', 10, 9, 100]],
  ];
  for (const [name, args] of cases) {
    assert.ok(encodeCommand(name, args).equals(ioredisBytes(name, args)), `${name} ${args.length} arguments`);
  }
});

if (server !== null) {
  test('a packed XADD of many payloads stores each of them whole, in order', async () => {
    const client = new Redis(server.url);
    const key = `ec-${randomUUID().slice(0, 8)}`;
    const payloads = Array.from({ length: 300 }, (_, i) => randomBytes(1 + ((i * 37) % 900)));
    const fields: CommandArg[] = ['*'];
    for (const p of payloads) fields.push('b', p);
    const id = await sendKeyed<string>(client, 'xadd', key, fields);
    assert.match(id, /^\d+-\d+$/);
    const entries = await client.xrangeBuffer(key, '-', '+');
    assert.is(entries.length, 1, 'one entry');
    const [readId, stored] = entries[0] as [Buffer, Buffer[]];
    assert.is(readId.toString(), id);
    assert.is(stored.length, 2 * payloads.length);
    payloads.forEach((p, i) => assert.ok(stored[2 * i + 1]?.equals(p), `payload ${i} intact`));
    await client.del(key);
    client.disconnect();
  });

  test('a script call works on a fresh connection, after SCRIPT FLUSH, and reports the server’s errors', async () => {
    const client = new Redis(server.url);
    const admin = new Redis(server.url);
    const keys = queueKeys(`ec-${randomUUID().slice(0, 8)}`, 'q', ':dead');
    const enqueue = (payloads: Buffer[], k = keys) =>
      runScript<string[]>(client, 'syEnqueue', [k.stream, k.fanout, k.scheduled], [payloads.length, 0, 1000, 60_000, 'plain', ...payloads]);

    await admin.script('FLUSH');
    const first = await enqueue([Buffer.from('a'), Buffer.from('b')]);
    assert.is(first.length, 2, 'the source was sent (EVAL): the server did not know the script');
    const second = await enqueue([Buffer.from('c')]);
    assert.is(second.length, 1, 'then by its sha');
    await admin.script('FLUSH');
    const afterFlush = await enqueue([Buffer.from('d')]);
    assert.is(afterFlush.length, 1, 'NOSCRIPT: the source is sent again');
    const stored = await client.xrange(keys.stream, '-', '+');
    assert.equal(stored.map(([, f]) => f[1]), ['a', 'b', 'c', 'd']);

    const broken = queueKeys(`ec-${randomUUID().slice(0, 8)}`, 'q', ':dead');
    await client.set(broken.stream, 'not a stream');
    await admin.script('FLUSH');
    await enqueue([Buffer.from('e')], broken).then(
      () => assert.unreachable('a script that fails rejects'),
      (err: Error) => assert.match(err.message, /WRONGTYPE|wrong kind/i),
    );
    assert.throws(() => runScript(client, 'syFencedAck', [keys.stream], []), /takes 5 keys, given 1/);
    await client.del(keys.stream, broken.stream);
    client.disconnect();
    admin.disconnect();
  });
} else {
  test('skipped: no Valkey-compatible server', () => undefined);
}

test.run();
