import { createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
const secret = randomBytes(32); const key = createSecretKey(secret);
const scope = Buffer.from('gateway.gw1.responses\0'); const body = randomBytes(600);
const pad = (b: number) => { const k = Buffer.alloc(64); secret.copy(k); for (let i = 0; i < 64; i++) k[i]! ^= b; return k; };
const inner = createHash('sha256').update(pad(0x36)); const outer = createHash('sha256').update(pad(0x5c));
const a = () => createHmac('sha256', key).update(scope).update(body).digest();
const b = () => outer.copy().update(inner.copy().update(scope).update(body).digest()).digest();
const c = () => createHmac('sha256', secret).update(scope).update(body).digest();
if (!a().equals(b())) throw new Error('mismatch');
for (let r = 0; r < 3; r++) for (const [n, f] of [['createHmac(KeyObject)', a], ['copied states', b], ['createHmac(Buffer)', c]] as const) {
  const N = 100000; const t = process.hrtime.bigint(); for (let i = 0; i < N; i++) f(); console.log(n, (Number(process.hrtime.bigint() - t) / N / 1000).toFixed(2), 'us');
}
