/**
 * Every Lua script on its own against the harness server: state built with plain
 * commands, the script called, then its return value and every key it could touch asserted.
 * A refusal must change nothing.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startValkey } from '../../../test/harness/valkey.js';
import { eventually } from '../../../test/harness/wait.js';
import { queueKeys, type QueueKeys } from '../src/keys.js';
import { defineScripts } from '../src/scripts/index.js';

const server = await startValkey();
const redis = server === null ? null : new Redis(server.url);
if (redis !== null) defineScripts(redis);

let k: QueueKeys;
const G = 'default';

/** Everything stored under the queue's keys, without idle times (they move by themselves). */
async function snapshot(r: Redis): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const key of (await r.keys(`${k.stream}*`)).sort()) {
    const type = await r.type(key);
    if (type === 'stream') {
      const groups = (await r.xinfo('GROUPS', key)) as unknown[][];
      const pel: Record<string, unknown> = {};
      for (const g of groups) {
        const name = String(g[1]);
        const entries = (await r.xpending(key, name, '-', '+', 1000)) as Array<[string, string, number, number]>;
        pel[name] = entries.map(([id, consumer, , count]) => [id, consumer, count]);
      }
      out[key] = { entries: await r.xrange(key, '-', '+'), pel };
    } else if (type === 'zset') out[key] = await r.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'hash') out[key] = await r.hgetall(key);
    else if (type === 'set') out[key] = (await r.smembers(key)).sort();
    else out[key] = await r.get(key);
  }
  return out;
}

/** A stream with `n` entries read once by consumer `c1` of group `G`; returns their ids. */
async function leased(r: Redis, n: number, consumer = 'c1'): Promise<string[]> {
  await r.xgroup('CREATE', k.stream, G, '0', 'MKSTREAM');
  await r.sadd(k.groups, G);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await r.xadd(k.stream, '*', 'p', `m${i}`))!);
  await r.xreadgroup('GROUP', G, consumer, 'COUNT', n, 'STREAMS', k.stream, '>');
  return ids;
}

async function pendingCount(r: Redis, id: string): Promise<number | undefined> {
  const p = (await r.xpending(k.stream, G, id, id, 1)) as Array<[string, string, number, number]>;
  return p[0]?.[3];
}

function scriptSuite(name: string) {
  const s = suite(`valkey script ${name}`);
  s.before.each(() => {
    k = queueKeys(`t-${randomUUID().slice(0, 8)}`, 'q', ':dlq');
  });
  s.after.each(async () => {
    const keys = await redis!.keys(`${k.stream}*`);
    if (keys.length > 0) await redis!.del(...keys);
  });
  return s;
}

if (redis !== null) {
  const enqueue = scriptSuite('enqueue');
  enqueue('appends raw payloads and headers in order and returns their ids', async () => {
    const ids = await redis.syEnqueue(3, k.stream, k.fanout, k.scheduled, 2, 60_000, 100, 60_000, 'full', 0, Buffer.from([0, 255, 1]), '{"a":"b"}', 0, 0, 'two', '', 0);
    assert.is(ids.length, 2);
    const entries = await redis.xrangeBuffer(k.stream, '-', '+');
    assert.equal(entries.map(([id]) => id.toString()), ids);
    assert.equal([...entries[0]![1][1]!], [0, 255, 1], 'payload bytes stored as they are');
    assert.is(entries[0]![1][3]!.toString(), '{"a":"b"}');
    assert.is(entries[1]![1].length, 2, 'no headers field when there are none');
    assert.equal(await redis.keys(`${k.stream}:*`), [], 'no other key touched');
  });

  enqueue('the plain form appends payload-only entries and touches no other key', async () => {
    const ids = await redis.syEnqueue(3, k.stream, k.fanout, k.scheduled, 2, 60_000, 100, 60_000, 'plain', 'a', 'b');
    const entries = await redis.xrange(k.stream, '-', '+');
    assert.equal(entries, [[ids[0], ['p', 'a']], [ids[1], ['p', 'b']]]);
    assert.equal(await redis.keys(`${k.stream}:*`), []);
  });

  enqueue('a second enqueue with the same idempotency key inside the window returns the first id and stores nothing', async () => {
    const idem = k.idempotency('order-1');
    const [first] = await redis.syEnqueue(4, k.stream, k.fanout, k.scheduled, idem, 1, 60_000, 100, 60_000, 'full', 4, 'x', '', 0);
    const before = await snapshot(redis);
    const [second] = await redis.syEnqueue(4, k.stream, k.fanout, k.scheduled, idem, 1, 60_000, 100, 60_000, 'full', 4, 'y', '', 0);
    assert.is(second, first);
    assert.equal(await snapshot(redis), before);
    const ttl = await redis.pttl(idem);
    assert.ok(ttl > 0 && ttl <= 60_000, `the key expires with the window (pttl ${ttl})`);
  });

  enqueue('a delayed enqueue stores its due time and is listed in the scheduled set', async () => {
    const [id] = await redis.syEnqueue(3, k.stream, k.fanout, k.scheduled, 1, 60_000, 100, 60_000, 'full', 0, 'later', '', 5_000);
    const [[, fields]] = (await redis.xrange(k.stream, '-', '+')) as [[string, string[]]];
    const due = Number(fields[3]);
    assert.is(fields[2], 'd');
    assert.equal(await redis.zrange(k.scheduled, 0, -1, 'WITHSCORES'), [id, String(due)]);
  });

  enqueue('a fan-out queue is trimmed by length, a competing queue never is', async () => {
    const batch = (n: number): Array<string | number> => Array.from({ length: n }, (_, i) => `m${i}`);
    await redis.syEnqueue(3, k.stream, k.fanout, k.scheduled, 500, 60_000, 10, 3_600_000, 'plain', ...batch(500));
    assert.is(await redis.xlen(k.stream), 500, 'competing: nothing trimmed');
    await redis.set(k.fanout, '1');
    await redis.syEnqueue(3, k.stream, k.fanout, k.scheduled, 500, 60_000, 10, 3_600_000, 'plain', ...batch(500));
    const len = await redis.xlen(k.stream);
    assert.ok(len <= 10 + 100, `fan-out: trimmed to about maxLength (MAXLEN ~ keeps whole nodes), got ${len}`);
  });
  enqueue.run();

  const ack = scriptSuite('fenced-ack');
  ack('acks and deletes every named entry still pending in the group, whoever holds it (the work is done)', async () => {
    const [a, b, c] = await leased(redis, 3);
    await redis.xclaim(k.stream, G, 'c2', 0, c!); // c: now held by c2 (count 2)
    const codes = await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', 'pairs', a!, 1, c!, 1);
    assert.equal(codes, [1, 1]);
    assert.equal((await redis.xrange(k.stream, '-', '+')).map(([id]) => id), [b], 'the acked entries are deleted');
    assert.is(await pendingCount(redis, a!), undefined);
    assert.is(await pendingCount(redis, c!), undefined, 'c2\'s delivery is settled too');
    assert.is(await pendingCount(redis, b!), 1, 'entries not named stay pending');
  });

  ack('an entry already settled is refused per id; the others are acked, answers in order', async () => {
    const [a, b, c, d] = await leased(redis, 4);
    // b settled by another delivery's ack (XACK, then deleted: the only group is done with it).
    assert.equal(await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c2', 'first', b!), [1]);
    const codes = await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', 'first', c!, b!, a!);
    assert.equal(codes, [1, -1, 1]);
    assert.equal((await redis.xrange(k.stream, '-', '+')).map(([id]) => id), [d]);
    assert.is(await pendingCount(redis, d!), 1, 'the entry not named stays pending');
  });

  ack('a batch that names an entry twice acks it once: the second answer is refused', async () => {
    const [a, b] = await leased(redis, 2);
    assert.equal(await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', 'first', a!, b!, a!), [1, 1, -1]);
    assert.is(await redis.xlen(k.stream), 0);
  });

  ack('a batch of more ids than one XACK takes is acked id by id, every answer right', async () => {
    const ids = await leased(redis, 1_200);
    await redis.xack(k.stream, G, ids[7]!);
    await redis.xdel(k.stream, ids[7]!);
    const codes = await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', 'first', ...ids);
    assert.equal(codes, ids.map((_, i) => (i === 7 ? -1 : 1)));
    assert.is(await redis.xlen(k.stream), 0);
  });

  ack('a batch the group no longer has at all is refused whole and changes nothing', async () => {
    const ids = await leased(redis, 5);
    await redis.xgroup('DESTROY', k.stream, G);
    await redis.xgroup('CREATE', k.stream, G, '$');
    const before = await snapshot(redis);
    assert.equal(await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', 'first', ...ids), [-1, -1, -1, -1, -1]);
    assert.equal(await snapshot(redis), before);
  });

  ack('with two competing groups an entry another group still has pending is answered for this group alone', async () => {
    const [a, b] = await leased(redis, 2);
    await redis.xgroup('CREATE', k.stream, 'audit', '0');
    await redis.sadd(k.groups, 'audit');
    await redis.xreadgroup('GROUP', 'audit', 'x', 'COUNT', 2, 'STREAMS', k.stream, '>');
    await redis.xack(k.stream, G, b!); // b: settled in G, still needed by audit, so still stored
    assert.equal(await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', 'first', a!, b!), [1, -1]);
    assert.is(await redis.xlen(k.stream), 2, 'audit still has both pending');
  });

  ack('acking a few of many held entries acks exactly those named', async () => {
    const ids = await leased(redis, 60);
    const codes = await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', 'first', ids[0]!, ids[40]!, ids[59]!);
    assert.equal(codes, [1, 1, 1]);
    assert.is(await redis.xlen(k.stream), 57);
    assert.is(await pendingCount(redis, ids[30]!), 1, 'entries not named stay pending');
  });

  ack('an id that is not an entry id is refused and the others are still acked', async () => {
    const [a, b] = await leased(redis, 2);
    assert.equal(await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', 'first', a!, 'not-an-id', b!), [1, -1, 1]);
    assert.is(await redis.xlen(k.stream), 0);
  });

  ack('a refused ack changes no key at all', async () => {
    const [a] = await leased(redis, 1);
    await redis.xack(k.stream, G, a!);
    const before = await snapshot(redis);
    assert.equal(await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'someone-else', 'pairs', a!, 1), [-1]);
    assert.equal(await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, 'no-such-group', 'c1', 'first', a!), [-1]);
    assert.equal(await snapshot(redis), before);
  });

  ack('a released (parked) delivery acked by a stale lease is settled and leaves the delayed set', async () => {
    const [a] = await leased(redis, 1);
    await redis.zadd(k.delayed, Date.now() + 60_000, `${G}\n${a}`);
    assert.equal(await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', 'first', a!), [1]);
    assert.is(await redis.zcard(k.delayed), 0);
    assert.is(await redis.xlen(k.stream), 0);
  });

  ack('with a second competing group the entry is kept until that group has acked it too', async () => {
    const [a] = await leased(redis, 1);
    await redis.xgroup('CREATE', k.stream, 'audit', '0');
    await redis.sadd(k.groups, 'audit');
    assert.equal(await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', 'first', a!), [1]);
    assert.is(await redis.xlen(k.stream), 1, 'audit has not read it yet');
    await redis.xreadgroup('GROUP', 'audit', 'x', 'COUNT', 1, 'STREAMS', k.stream, '>');
    assert.equal(await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, 'audit', 'x', 'first', a!), [1]);
    assert.is(await redis.xlen(k.stream), 0, 'deleted once every group acked');
  });

  ack('on a fan-out queue acked entries stay for the other subscribers (retention trims them)', async () => {
    const [a] = await leased(redis, 1);
    await redis.set(k.fanout, '1');
    assert.equal(await redis.syFencedAck(k.stream, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', 'first', a!), [1]);
    assert.is(await redis.xlen(k.stream), 1);
    assert.is(await pendingCount(redis, a!), undefined);
  });
  ack.run();

  const release = scriptSuite('fenced-release');
  release('parks a held delivery in the delayed set at its due time and keeps it pending', async () => {
    const [a] = await leased(redis, 1);
    await redis.hset(k.leaseExtensions, `${G}\n${a}`, '1');
    const due = await redis.syFencedRelease(k.stream, k.delayed, k.leaseExtensions, G, 'c1', a!, 1, 5_000);
    assert.ok(due > Date.now() + 3_000, `due about 5 s from now (${due - Date.now()} ms)`);
    assert.equal(await redis.zrange(k.delayed, 0, -1, 'WITHSCORES'), [`${G}\n${a}`, String(due)]);
    assert.is(await pendingCount(redis, a!), 1, 'still pending, same delivery count');
    assert.is(await redis.exists(k.leaseExtensions), 0, 'its lease extension is dropped');
  });

  release('a refused release changes nothing', async () => {
    const [a] = await leased(redis, 1);
    const before = await snapshot(redis);
    assert.is(await redis.syFencedRelease(k.stream, k.delayed, k.leaseExtensions, G, 'c1', a!, 2, 0), -1);
    assert.equal(await snapshot(redis), before);
  });
  release.run();

  const renew = scriptSuite('fenced-renew');
  renew('renewing resets idle time without counting a delivery; a lease longer than the queue lease is recorded', async () => {
    const [a] = await leased(redis, 1);
    await redis.xclaim(k.stream, G, 'c1', 0, a!, 'IDLE', 50_000, 'JUSTID');
    const until = await redis.syFencedRenew(k.stream, k.delayed, k.leaseExtensions, G, 'c1', a!, 1, 1_000, 30_000);
    assert.ok(until > Date.now(), 'returns the new expiry');
    const [[, , idle, count]] = (await redis.xpending(k.stream, G, a!, a!, 1)) as [[string, string, number, number]];
    assert.is(count, 1, 'no delivery counted');
    assert.ok(idle >= 29_000 && idle < 40_000, `idle set to T - lease (got ${idle})`);
    await redis.syFencedRenew(k.stream, k.delayed, k.leaseExtensions, G, 'c1', a!, 1, 90_000, 30_000);
    const ext = Number(await redis.hget(k.leaseExtensions, `${G}\n${a}`));
    assert.ok(ext > Date.now() + 80_000, 'a longer lease is kept in the extension hash');
  });

  renew('a refused renew changes nothing', async () => {
    const [a] = await leased(redis, 1);
    const before = await snapshot(redis);
    assert.is(await redis.syFencedRenew(k.stream, k.delayed, k.leaseExtensions, G, 'c9', a!, 1, 90_000, 30_000), -1);
    assert.equal(await snapshot(redis), before);
  });
  renew.run();

  const dead = scriptSuite('fenced-dead-letter');
  dead('moves a held delivery to the dead-letter stream with its payload, headers, attempts, reason and source', async () => {
    await redis.xgroup('CREATE', k.stream, G, '0', 'MKSTREAM');
    await redis.sadd(k.groups, G);
    const id = (await redis.xadd(k.stream, '*', 'p', 'body', 'h', '{"x":"1"}'))!;
    await redis.xreadgroup('GROUP', G, 'c1', 'COUNT', 1, 'STREAMS', k.stream, '>');
    const deadId = await redis.syFencedDeadLetter(k.stream, k.deadLetters, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', id, 1, 'boom', 'q', 1, 1234);
    const [[gotId, fields]] = (await redis.xrange(k.deadLetters, '-', '+')) as [[string, string[]]];
    assert.is(gotId, deadId);
    const f = Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]));
    assert.equal(f, { q: 'q', o: id, n: '1', r: 'boom', t: '1234', p: 'body', h: '{"x":"1"}' });
    assert.is(await redis.xlen(k.stream), 0);
    assert.is(await pendingCount(redis, id), undefined);
  });

  dead('with ARGV[9], stores that payload instead of the entry’s and keeps the headers', async () => {
    await redis.xgroup('CREATE', k.stream, G, '0', 'MKSTREAM');
    await redis.sadd(k.groups, G);
    const id = (await redis.xadd(k.stream, '*', 'p', 'authorization: Bearer secret', 'h', '{"x":"1"}'))!;
    await redis.xreadgroup('GROUP', G, 'c1', 'COUNT', 1, 'STREAMS', k.stream, '>');
    await redis.syFencedDeadLetter(k.stream, k.deadLetters, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', id, 1, 'boom', 'q', 1, 1234, 'redacted');
    const [[, fields]] = (await redis.xrange(k.deadLetters, '-', '+')) as [[string, string[]]];
    const f = Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]));
    assert.equal(f, { q: 'q', o: id, n: '1', r: 'boom', t: '1234', p: 'redacted', h: '{"x":"1"}' });
    assert.is(await redis.xlen(k.stream), 0);
  });

  dead('a refused dead-letter changes nothing', async () => {
    const [a] = await leased(redis, 1);
    const before = await snapshot(redis);
    assert.is(await redis.syFencedDeadLetter(k.stream, k.deadLetters, k.delayed, k.leaseExtensions, k.groups, k.fanout, G, 'c1', a!, 3, 'x', 'q', 3, 1), -1);
    assert.equal(await snapshot(redis), before);
  });
  dead.run();

  const reclaim = scriptSuite('reclaim');
  reclaim('claims expired leases and due releases with a new delivery count, skips parked and extended ones, acks dangling ids', async () => {
    const [expired, parked, due, extended, gone] = await leased(redis, 5, 'dead-consumer');
    for (const id of [expired, parked, due, extended, gone]) await redis.xclaim(k.stream, G, 'dead-consumer', 0, id!, 'IDLE', 60_000, 'JUSTID');
    await redis.zadd(k.delayed, Date.now() + 60_000, `${G}\n${parked}`, Date.now() - 1, `${G}\n${due}`);
    await redis.hset(k.leaseExtensions, `${G}\n${extended}`, String(Date.now() + 60_000));
    await redis.xdel(k.stream, gone!);
    const [cursor, claimed, dangling] = await redis.syReclaim(k.stream, k.delayed, k.leaseExtensions, G, 'c2', 30_000, 10, '-', 30_000);
    assert.equal(claimed.map(([id]) => id).sort(), [expired, due].sort());
    assert.ok(claimed.every(([, , count]) => count === 2), 'each claim counts a delivery');
    assert.is(dangling, 1);
    assert.is(cursor, '-', 'scan finished: cursor wraps');
    assert.is(await pendingCount(redis, gone!), undefined, 'the dangling id left the pending list');
    assert.equal(await redis.zrange(k.delayed, 0, -1), [`${G}\n${parked}`], 'the due member left the delayed set');
    assert.is(await pendingCount(redis, parked!), 1);
    assert.is(await pendingCount(redis, extended!), 1);
  });

  reclaim('a missing group raises NOGROUP and creates nothing', async () => {
    await redis.xadd(k.stream, '*', 'p', 'x');
    const before = await snapshot(redis);
    try {
      await redis.syReclaim(k.stream, k.delayed, k.leaseExtensions, G, 'c2', 30_000, 10, '-', 30_000);
      assert.unreachable('should raise NOGROUP');
    } catch (err) {
      assert.match((err as Error).message, /NOGROUP/);
    }
    assert.equal(await snapshot(redis), before);
  });
  reclaim.run();

  const adjust = scriptSuite('adjust-leases');
  adjust('a shorter lease sets idle to T - lease, a longer one records its expiry; no delivery is counted', async () => {
    const [a, b] = await leased(redis, 2);
    assert.is(await redis.syAdjustLeases(k.stream, k.leaseExtensions, G, 'c1', 30_000, 1_000, a!), 1);
    const [[, , idle, count]] = (await redis.xpending(k.stream, G, a!, a!, 1)) as [[string, string, number, number]];
    assert.ok(idle >= 29_000 && idle < 31_000, `idle is T - lease (got ${idle})`);
    assert.is(count, 1);
    assert.is(await redis.syAdjustLeases(k.stream, k.leaseExtensions, G, 'c1', 30_000, 90_000, b!), 1);
    assert.ok(Number(await redis.hget(k.leaseExtensions, `${G}\n${b}`)) > Date.now() + 80_000, 'the longer lease is recorded');
    assert.is(await pendingCount(redis, b!), 1);
    assert.is(await redis.hexists(k.leaseExtensions, `${G}\n${a}`), 0, 'nothing recorded for the shorter lease');
  });
  adjust.run();

  const park = scriptSuite('park-scheduled');
  park('moves read delayed enqueues from the scheduled set to the delayed set of the group', async () => {
    const [a] = await leased(redis, 1);
    await redis.zadd(k.scheduled, 99, a!);
    assert.is(await redis.syParkScheduled(k.stream, k.delayed, k.scheduled, G, a!, 12345), 1);
    assert.equal(await redis.zrange(k.delayed, 0, -1, 'WITHSCORES'), [`${G}\n${a}`, '12345']);
    assert.is(await redis.exists(k.scheduled), 0);
  });
  park.run();

  const dlq = scriptSuite('replay and purge dead letters');
  dlq('replay moves dead letters back as new messages keeping payload, headers and enqueue time', async () => {
    const d1 = (await redis.xadd(k.deadLetters, '*', 'q', 'q', 'o', '1-1', 'n', '3', 'r', 'x', 't', '777', 'p', 'a', 'h', '{}'))!;
    await redis.xadd(k.deadLetters, '*', 'q', 'q', 'o', '1-2', 'n', '3', 'r', 'x', 't', '778', 'p', 'b');
    assert.is(await redis.syReplayDeadLetters(k.deadLetters, k.stream, 'ids', 0, d1, '9-9'), 1);
    assert.equal((await redis.xrange(k.stream, '-', '+')).map(([, f]) => f), [['t', '777', 'p', 'a', 'h', '{}']]);
    assert.is(await redis.syReplayDeadLetters(k.deadLetters, k.stream, 'all', 500), 1);
    assert.is(await redis.xlen(k.deadLetters), 0);
    assert.is(await redis.xlen(k.stream), 2);
  });

  dlq('purge deletes the named dead letters, or all of them', async () => {
    const d1 = (await redis.xadd(k.deadLetters, '*', 'p', 'a'))!;
    await redis.xadd(k.deadLetters, '*', 'p', 'b');
    await redis.xadd(k.deadLetters, '*', 'p', 'c');
    assert.is(await redis.syPurgeDeadLetters(k.deadLetters, 'ids', d1, '9-9'), 1);
    assert.is(await redis.syPurgeDeadLetters(k.deadLetters, 'all'), 2);
    assert.is(await redis.exists(k.deadLetters), 0);
  });
  dlq.run();

  const sweep = scriptSuite('sweep-stale');
  sweep('destroys fan-out groups whose consumers all went idle (with their parked members) and deletes idle consumers that hold nothing', async () => {
    const [a] = await leased(redis, 1, 'busy');
    await redis.xgroup('CREATECONSUMER', k.stream, G, 'idle-empty');
    await redis.xgroup('CREATE', k.stream, 'fanout:crashed', '0');
    await redis.xreadgroup('GROUP', 'fanout:crashed', 'x', 'COUNT', 1, 'STREAMS', k.stream, '>');
    await redis.xgroup('CREATE', k.stream, 'fanout:never-read', '$');
    await redis.xgroup('CREATE', k.stream, 'fanout:me', '$');
    await redis.zadd(k.delayed, 1, `fanout:crashed\n${a}`, 2, `${G}\n${a}`);
    await redis.hset(k.leaseExtensions, `fanout:crashed\n${a}`, '1');
    let totals = [0, 0];
    await eventually(async () => {
      const [g, c] = await redis.sySweepStale(k.stream, k.delayed, k.leaseExtensions, 'fanout:me', 'me', 30, 'fanout:');
      totals = [totals[0]! + g, totals[1]! + c];
      return totals[0] === 2 && totals[1] === 1;
    }, { within: 5_000, what: `two stale groups and one idle consumer removed (so far ${totals.join('/')})` });
    const groups = ((await redis.xinfo('GROUPS', k.stream)) as string[][]).map((g) => g[1]).sort();
    assert.equal(groups, [G, 'fanout:me'], 'the caller\'s own fan-out group and the competing group stay');
    const consumers = ((await redis.xinfo('CONSUMERS', k.stream, G)) as string[][]).map((c) => c[1]);
    assert.equal(consumers, ['busy'], 'a consumer with pending entries is never deleted');
    assert.equal(await redis.zrange(k.delayed, 0, -1), [`${G}\n${a}`], 'the destroyed group\'s parked member is gone, others stay');
    assert.is(await redis.exists(k.leaseExtensions), 0);
  });

  sweep('changes nothing while groups and consumers are active', async () => {
    await leased(redis, 1, 'busy');
    await redis.xgroup('CREATE', k.stream, 'fanout:live', '0');
    await redis.xreadgroup('GROUP', 'fanout:live', 'x', 'COUNT', 1, 'STREAMS', k.stream, '>');
    const before = await snapshot(redis);
    assert.equal(await redis.sySweepStale(k.stream, k.delayed, k.leaseExtensions, G, 'busy', 60_000, 'fanout:'), [0, 0]);
    assert.equal(await snapshot(redis), before);
  });
  sweep.run();

  const stats = scriptSuite('stats');
  stats('counts waiting, leased, delayed and dead-lettered messages', async () => {
    const [a, b] = await leased(redis, 2);
    await redis.xadd(k.stream, '*', 'p', 'waiting');
    const later = (await redis.xadd(k.stream, '*', 'p', 'later', 'd', String(Date.now() + 60_000)))!;
    await redis.zadd(k.scheduled, Date.now() + 60_000, later);
    await redis.zadd(k.delayed, Date.now() + 60_000, `${G}\n${a}`);
    await redis.xadd(k.deadLetters, '*', 'p', 'dead');
    assert.equal(await redis.syStats(k.stream, k.delayed, k.scheduled, k.deadLetters, k.groups, k.fanout), [1, 1, 2, 1]);
    void b;
  });
  stats('activity counts reading consumers and the age of the oldest entry not handed out yet, and changes nothing', async () => {
    assert.equal(await redis.syActivity(k.stream, k.groups, k.fanout, k.scheduled, 30_000, 1_000), [0, -1, 0, 0], 'no stream: nobody reads, nothing waits');
    await leased(redis, 1, 'c1');
    await redis.xgroup('CREATECONSUMER', k.stream, G, 'c2');
    assert.equal(await redis.syActivity(k.stream, k.groups, k.fanout, k.scheduled, 30_000, 1_000), [2, -1, 0, 0], 'two readers; the one entry is leased, once');
    const later = (await redis.xadd(k.stream, '*', 'p', 'later', 'd', String(Date.now() + 60_000)))!;
    await redis.zadd(k.scheduled, Date.now() + 60_000, later);
    assert.equal(await redis.syActivity(k.stream, k.groups, k.fanout, k.scheduled, 30_000, 1_000), [2, -1, 0, 0], 'a delayed enqueue not yet due does not wait');
    const [first] = (await redis.xrange(k.stream, '-', '+', 'COUNT', 1))[0] as [string, string[]];
    await redis.xclaim(k.stream, G, 'c2', 0, first);
    assert.is((await redis.syActivity(k.stream, k.groups, k.fanout, k.scheduled, 30_000, 1_000))[2], 1, 'a claimed entry counts as redelivered');
    await redis.xadd(k.stream, '*', 'p', 'waiting');
    const before = await snapshot(redis);
    const [consumers, ageMs, redelivered, partial] = await redis.syActivity(k.stream, k.groups, k.fanout, k.scheduled, 30_000, 1_000);
    assert.is(consumers, 2);
    assert.is(redelivered, 1);
    assert.is(partial, 0, 'every pending entry was looked at');
    assert.ok(ageMs >= 0 && ageMs < 5_000, `age ${ageMs} ms of the entry just added`);
    assert.equal(await snapshot(redis), before);
    assert.is((await redis.syActivity(k.stream, k.groups, k.fanout, k.scheduled, -1, 1_000))[0], 0, 'a consumer idle longer than the window does not count');
  });
  stats('activity counts redelivered entries over at most the scan limit per group, and says when that made it a lower bound', async () => {
    const ids = await leased(redis, 5, 'c1');
    for (const id of ids.slice(0, 4)) await redis.xclaim(k.stream, G, 'c2', 0, id);
    // 5 pending, 4 of them on their second delivery.
    assert.equal((await redis.syActivity(k.stream, k.groups, k.fanout, k.scheduled, 30_000, 5)).slice(2), [4, 0], 'all 5 looked at: exact');
    assert.equal((await redis.syActivity(k.stream, k.groups, k.fanout, k.scheduled, 30_000, 3)).slice(2), [3, 1], 'only 3 looked at: at least 3');
    await redis.xack(k.stream, G, ids[4] as string);
    assert.equal((await redis.syActivity(k.stream, k.groups, k.fanout, k.scheduled, 30_000, 4)).slice(2), [4, 0], 'pending equal to the limit is exact');
  });
  // The last suite releases the connection and the server, so the file exits by itself.
  stats.after(async () => {
    redis.disconnect();
    await server?.stop();
  });
  stats.run();
}
