import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { scriptSource } from '/work/wt/h14-cost/packages/transport-valkey/src/scripts/index.ts';
const port = Number(process.argv[2]); const pid = Number(process.argv[3]);
const r = new Redis({ port }) as any;
r.defineCommand('ack', { lua: scriptSource('syFencedAck'), numberOfKeys: 5 });
r.defineCommand('ackb', { lua: `redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 4)); redis.call('XDEL', KEYS[1], unpack(ARGV, 4)); return 1`, numberOfKeys: 5 });
r.defineCommand('ackc', { lua: `
local out, acked = {}, {}
for i = 4, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p == 1 and p[1][2] == ARGV[2] and p[1][4] == 1 then acked[#acked+1] = ARGV[i]; out[#out+1] = 1 else out[#out+1] = -1 end
end
redis.call('XACK', KEYS[1], ARGV[1], unpack(acked)); redis.call('XDEL', KEYS[1], unpack(acked)); return out`, numberOfKeys: 5 });
const cpu = () => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10000; };
const payload = Buffer.alloc(330, 0x61);
const B = Number(process.argv[4] ?? 64), N = Math.floor(25600 / B);
async function round(name: string, ack: (k: string, ids: string[]) => Promise<unknown>) {
  const k = `s${Math.random()}`;
  await r.xgroup('CREATE', k, 'g', '$', 'MKSTREAM');
  let ackUs = 0;
  for (let i = 0; i < N; i++) {
    const p = r.pipeline(); for (let j = 0; j < B; j++) p.xadd(k, '*', 'p', payload); await p.exec();
    const res: any = await r.xreadgroup('GROUP', 'g', 'c', 'COUNT', B, 'STREAMS', k, '>');
    const ids = res[0][1].map((e: any) => e[0]);
    const c0 = cpu(); await ack(k, ids); ackUs += cpu() - c0;
  }
  return ackUs / (N * B);
}
const res: Record<string, number[]> = { A: [], B: [], C: [], P: [] };
for (let rep = 0; rep < 5; rep++) {
  res.A!.push(await round('A', (k, ids) => r.ack(k, k + ':d', k + ':x', k + ':groups', k + ':fanout', 'g', 'c', 'first', ...ids)));
  res.B!.push(await round('B', (k, ids) => r.ackb(k, k + ':d', k + ':x', k + ':groups', k + ':fanout', 'g', 'c', 'first', ...ids)));
  res.C!.push(await round('C', (k, ids) => r.ackc(k, k + ':d', k + ':x', k + ':groups', k + ':fanout', 'g', 'c', 'first', ...ids)));
  res.P!.push(await round('P', (k, ids) => r.pipeline().xack(k, 'g', ...ids).xdel(k, ...ids).exec()));
}
const med = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
for (const [k, v] of Object.entries(res)) console.log(k, med(v).toFixed(2), 'us/msg', v.map((x) => x.toFixed(1)).join(' '));
process.exit(0);
