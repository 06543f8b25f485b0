/**
 * The Valkey RateLimitStore: one key per limit and client or route, `<prefix>:rate:{<key>}`,
 * decided by one GCRA script with the server's clock (scripts/rate-limit-gcra.lua). Each key
 * expires once its limit is whole again, so idle clients leave nothing behind.
 */
import type { RateLimitStore } from '@switchyard/core';
import type { ValkeyClient } from './connection.js';
import { rateLimitKey } from './keys.js';

export class ValkeyRateLimitStore implements RateLimitStore {
  constructor(
    private readonly client: ValkeyClient,
    private readonly prefix: string,
  ) {}

  take(key: string, requestsPerSecond: number, burst: number): Promise<number> {
    const interval = 1000 / requestsPerSecond;
    return this.client.syRateLimitGcra(rateLimitKey(this.prefix, key), interval, interval * (Math.max(1, burst) - 1));
  }

  isReady(): boolean {
    return this.client.status === 'ready';
  }
}
