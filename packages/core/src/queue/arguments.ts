/**
 * Checks of per-call arguments (enqueue, lease, subscribe). Queue options are checked in
 * options.ts when the queue opens; these run on every call, so they stay cheap.
 */
import { InvalidArgumentError } from '../errors.js';
import type { ConsumerOptions, EnqueueOptions, LeaseRequest, SubscribeOptions } from './types.js';
import { MIN_LEASE_MS } from './options.js';

const isNonNegativeInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

export function checkEnqueueOptions(options: EnqueueOptions | undefined): void {
  if (options === undefined) return;
  const { idempotencyKey, headers, delayMs } = options;
  if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || idempotencyKey.length === 0)) {
    throw InvalidArgumentError.format('enqueue options.idempotencyKey', 'a non-empty string', idempotencyKey);
  }
  if (delayMs !== undefined && !isNonNegativeInt(delayMs)) {
    throw InvalidArgumentError.format('enqueue options.delayMs', 'an integer ≥ 0', delayMs);
  }
  if (headers !== undefined) checkHeaders(headers);
}

function checkHeaders(headers: Readonly<Record<string, string>>): void {
  if (typeof headers !== 'object' || headers === null) {
    throw InvalidArgumentError.format('enqueue options.headers', 'an object of strings', headers);
  }
  for (const key in headers) {
    if (typeof headers[key] !== 'string') {
      throw InvalidArgumentError.format(`enqueue options.headers.${key}`, 'a string', headers[key]);
    }
  }
}

export function checkLeaseRequest(request: LeaseRequest): void {
  if (request.max !== undefined && !isPositiveInt(request.max)) throw InvalidArgumentError.format('lease max', 'an integer ≥ 1', request.max);
  if (request.leaseMs !== undefined && (!isPositiveInt(request.leaseMs) || request.leaseMs < MIN_LEASE_MS)) {
    throw InvalidArgumentError.format('lease leaseMs', `an integer ≥ ${MIN_LEASE_MS}`, request.leaseMs);
  }
  if (request.blockMs !== undefined && !isNonNegativeInt(request.blockMs)) {
    throw InvalidArgumentError.format('lease blockMs', 'an integer ≥ 0', request.blockMs);
  }
}

export function checkConsumerOptions(options: ConsumerOptions): void {
  if (options.mode !== undefined && options.mode !== 'competing' && options.mode !== 'fanout' && options.mode !== 'tail') {
    throw InvalidArgumentError.format('consumer mode', "'competing', 'fanout' or 'tail'", options.mode);
  }
  if (options.group !== undefined && (typeof options.group !== 'string' || options.group.length === 0)) {
    throw InvalidArgumentError.format('consumer group', 'a non-empty string', options.group);
  }
}

export function checkSubscribeOptions(options: SubscribeOptions): void {
  checkConsumerOptions(options);
  if (options.concurrency !== undefined && !isPositiveInt(options.concurrency)) {
    throw InvalidArgumentError.format('subscribe concurrency', 'an integer ≥ 1', options.concurrency);
  }
  if (options.leaseMs !== undefined && (!isPositiveInt(options.leaseMs) || options.leaseMs < MIN_LEASE_MS)) {
    throw InvalidArgumentError.format('subscribe leaseMs', `an integer ≥ ${MIN_LEASE_MS}`, options.leaseMs);
  }
  if (options.blockMs !== undefined && !isNonNegativeInt(options.blockMs)) {
    throw InvalidArgumentError.format('subscribe blockMs', 'an integer ≥ 0', options.blockMs);
  }
  if (options.drainTimeoutMs !== undefined && !isNonNegativeInt(options.drainTimeoutMs)) {
    throw InvalidArgumentError.format('subscribe drainTimeoutMs', 'an integer ≥ 0', options.drainTimeoutMs);
  }
  const backoff = options.retryBackoff;
  if (backoff !== undefined) {
    if (backoff.baseMs !== undefined && !isNonNegativeInt(backoff.baseMs)) {
      throw InvalidArgumentError.format('subscribe retryBackoff.baseMs', 'an integer ≥ 0', backoff.baseMs);
    }
    if (backoff.maxMs !== undefined && !isNonNegativeInt(backoff.maxMs)) {
      throw InvalidArgumentError.format('subscribe retryBackoff.maxMs', 'an integer ≥ 0', backoff.maxMs);
    }
  }
}
