/** Valkey's own CPU time, from INFO cpu: the server's share of a benchmark's work. */
import type { Redis } from 'ioredis';

/** Valkey's CPU time (user + system) so far, in microseconds; NaN when the server does not report it. */
export async function valkeyCpuMicros(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const seconds = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1_000_000;
}
