import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { scriptSource } from '/work/wt/h14-cost/packages/transport-valkey/src/scripts/index.ts';
const port = Number(process.argv[2]); const pid = Number(process.argv[3]); const B = Number(process.argv[4] ?? 64);
const r = new Redis({ port }) as any;
r.defineCommand('enq', { lua: scriptSource('syEnqueue') });
const cpu = () => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10000; };
const me = () => { const u = process.cpuUsage(); return u.user + u.system; };
const payload = Buffer.alloc(330, 0x61);
const N = Math.floor(40000 / B);
async function round(fn: (k: string) => Promise<unknown>) {
  const k = `s${Math.random()}`;
  const c0 = cpu(), m0 = me();
  for (let i = 0; i < N; i++) await fn(k);
  return [(cpu() - c0) / (N * B), (me() - m0) / (N * B)];
}
const res: Record<string, number[][]> = { script: [], pipeline: [], multiXadd: [] };
for (let rep = 0; rep < 5; rep++) {
  res.script!.push(await round((k) => r.enq(3, k, k + ':fanout', k + ':sched', B, 600000, 1000, 1000, 'plain', ...Array(B).fill(payload))));
  res.pipeline!.push(await round((k) => { const p = r.pipeline(); for (let j = 0; j < B; j++) p.xadd(k, '*', 'p', payload); return p.exec(); }));
  res.multiXadd!.push(await round((k) => Promise.all(Array.from({ length: B }, () => r.xadd(k, '*', 'p', payload)))));
}
const med = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(10), 'server', med(v.map((x) => x[0]!)).toFixed(2), 'client', med(v.map((x) => x[1]!)).toFixed(2), 'us/msg');
process.exit(0);
