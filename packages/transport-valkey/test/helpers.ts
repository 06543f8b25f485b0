/**
 * Shared setup for the Valkey suites: one harness server per file, a fresh key prefix per test,
 * a backend over it, and a plain ioredis client to inspect keys.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { BackendQueue, BackendQueueSpec, QueueBackend } from '@switchyard/core';
import { createValkeyBackend, type ValkeyBackendOptions } from '../src/index.js';

export function spec(name: string, overrides: Partial<BackendQueueSpec> = {}): BackendQueueSpec {
  return {
    name,
    deadLetterName: `${name}:dlq`,
    leaseMs: 30_000,
    maxDeliveries: 3,
    dedupWindowMs: 60_000,
    fanoutRetention: { maxLength: 1_000, maxAgeMs: 3_600_000 },
    ...overrides,
  };
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export interface Fixture {
  prefix: string;
  backend: QueueBackend;
  redis: Redis;
  open(name: string, overrides?: Partial<BackendQueueSpec>): BackendQueue;
  close(): Promise<void>;
}

export function fixture(url: string, options: Omit<ValkeyBackendOptions, 'url' | 'prefix'> = {}): Fixture {
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  const backend = createValkeyBackend({ url, prefix, ...options });
  const redis = new Redis(url, { lazyConnect: false });
  return {
    prefix,
    backend,
    redis,
    open: (name, overrides) => backend.open(spec(name, overrides)),
    async close() {
      await backend.close();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
}
