import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { scriptSource } from '/work/wt/h14-cost/packages/transport-valkey/src/scripts/index.ts';
const port = Number(process.argv[2]); const pid = Number(process.argv[3]);
const r = new Redis({ port });
r.defineCommand('enq', { lua: scriptSource('syEnqueue') });
r.defineCommand('ack', { lua: scriptSource('syFencedAck'), numberOfKeys: 5 });
const cpu = () => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10000; };
const payload = Buffer.alloc(330, 0x61);
const B = 64, N = 400;
async function round(name: string, fn: (k: string, i: number) => Promise<unknown>) {
  const k = `s${Math.random()}`;
  await r.xgroup('CREATE', k, 'g', '$', 'MKSTREAM');
  const c0 = cpu();
  for (let i = 0; i < N; i++) await fn(k, i);
  const us = (cpu() - c0) / (N * B);
  console.log(name, us.toFixed(2), 'us/msg');
}
const ids: string[][] = [];
for (let rep = 0; rep < 2; rep++) {
await round('lua enqueue plain', (k) => (r as any).enq(3, k, k + ':fanout', k + ':sched', B, 600000, 1000, 1000, 'plain', ...Array(B).fill(payload)));
await round('pipelined XADD   ', (k) => { const p = r.pipeline(); for (let j = 0; j < B; j++) p.xadd(k, '*', 'p', payload); return p.exec(); });
await round('lua enq + read + fenced ack', async (k) => {
  await (r as any).enq(3, k, k + ':fanout', k + ':sched', B, 600000, 1000, 1000, 'plain', ...Array(B).fill(payload));
  const res: any = await r.xreadgroup('GROUP', 'g', 'c', 'COUNT', B, 'STREAMS', k, '>');
  const ids = res[0][1].map((e: any) => e[0]);
  return (r as any).ack(k, k + ':d', k + ':x', k + ':groups', k + ':fanout', 'g', 'c', 'first', ...ids);
});
await round('xadd + xreadgroup + xack/xdel', async (k) => {
  const p = r.pipeline(); for (let j = 0; j < B; j++) p.xadd(k, '*', 'p', payload); await p.exec();
  const res: any = await r.xreadgroup('GROUP', 'g', 'c', 'COUNT', B, 'STREAMS', k, '>');
  const ids = res[0][1].map((e: any) => e[0]);
  return r.pipeline().xack(k, 'g', ...ids).xdel(k, ...ids).exec();
});
await round('xadd + xread + xtrim minid', async (k) => {
  const p = r.pipeline(); for (let j = 0; j < B; j++) p.xadd(k, '*', 'p', payload); await p.exec();
  const res: any = await r.xread('COUNT', B, 'STREAMS', k, '0');
  const ids = res[0][1].map((e: any) => e[0]);
  return r.xtrim(k, 'MINID', ids[ids.length-1].replace(/-(\d+)$/, (_: string, s: string) => '-' + (Number(s)+1)));
});
}
process.exit(0);
