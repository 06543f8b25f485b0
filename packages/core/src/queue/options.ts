/**
 * Queue option defaults and validation. Options are validated once, when a queue is opened;
 * every problem is collected and each names the option and the value received (STYLE §5).
 */
import { InvalidQueueOptionsError } from '../errors.js';
import { jsonCodec } from './codecs.js';
import type { QueueOptions, QueueOptionsInput } from './types.js';

/** Defaults for every queue option (SPEC §9). */
export const QUEUE_DEFAULTS = Object.freeze({
  leaseMs: 30_000,
  maxDeliveries: 3,
  deadLetterSuffix: ':dlq',
  dedupWindowMs: 600_000,
  fanoutRetention: Object.freeze({ maxLength: 10_000, maxAgeMs: 3_600_000 }),
});

/** Shortest lease accepted: shorter leases expire before a round trip to a loaded server returns. */
export const MIN_LEASE_MS = 50;

const KNOWN_KEYS = new Set(['codec', 'leaseMs', 'maxDeliveries', 'deadLetterSuffix', 'dedupWindowMs', 'fanoutRetention']);
const KNOWN_RETENTION_KEYS = new Set(['maxLength', 'maxAgeMs']);

/** Validates `input` for queue `queue`; returns frozen, fully resolved options or throws InvalidQueueOptionsError listing every problem. */
export function resolveQueueOptions<T>(queue: string, input: QueueOptionsInput<T> = {}): QueueOptions<T> {
  const problems: string[] = [];
  if (typeof queue !== 'string' || queue.length === 0) problems.push(`name must be a non-empty string (got ${show(queue)})`);
  if (typeof input !== 'object' || input === null) {
    throw new InvalidQueueOptionsError(String(queue), [`options must be an object (got ${show(input)})`]);
  }
  for (const key of Object.keys(input)) {
    if (!KNOWN_KEYS.has(key)) problems.push(`${key} is not a queue option (known: ${[...KNOWN_KEYS].join(', ')})`);
  }

  const leaseMs = input.leaseMs ?? QUEUE_DEFAULTS.leaseMs;
  if (!Number.isInteger(leaseMs) || leaseMs < MIN_LEASE_MS) {
    problems.push(`leaseMs must be an integer ≥ ${MIN_LEASE_MS} (got ${show(input.leaseMs)})`);
  }
  const maxDeliveries = input.maxDeliveries ?? QUEUE_DEFAULTS.maxDeliveries;
  if (!Number.isInteger(maxDeliveries) || maxDeliveries < 1) {
    problems.push(`maxDeliveries must be an integer ≥ 1 (got ${show(input.maxDeliveries)})`);
  }
  const deadLetterSuffix = input.deadLetterSuffix ?? QUEUE_DEFAULTS.deadLetterSuffix;
  if (typeof deadLetterSuffix !== 'string' || deadLetterSuffix.length === 0) {
    problems.push(`deadLetterSuffix must be a non-empty string (got ${show(input.deadLetterSuffix)})`);
  }
  const dedupWindowMs = input.dedupWindowMs ?? QUEUE_DEFAULTS.dedupWindowMs;
  if (!Number.isInteger(dedupWindowMs) || dedupWindowMs < 1) {
    problems.push(`dedupWindowMs must be an integer ≥ 1 (got ${show(input.dedupWindowMs)})`);
  }

  const retentionInput = input.fanoutRetention ?? {};
  let maxLength: number = QUEUE_DEFAULTS.fanoutRetention.maxLength;
  let maxAgeMs: number = QUEUE_DEFAULTS.fanoutRetention.maxAgeMs;
  if (typeof retentionInput !== 'object' || retentionInput === null) {
    problems.push(`fanoutRetention must be an object (got ${show(retentionInput)})`);
  } else {
    for (const key of Object.keys(retentionInput)) {
      if (!KNOWN_RETENTION_KEYS.has(key)) problems.push(`fanoutRetention.${key} is not an option (known: maxLength, maxAgeMs)`);
    }
    maxLength = retentionInput.maxLength ?? maxLength;
    maxAgeMs = retentionInput.maxAgeMs ?? maxAgeMs;
    if (!Number.isInteger(maxLength) || maxLength < 1) {
      problems.push(`fanoutRetention.maxLength must be an integer ≥ 1 (got ${show(retentionInput.maxLength)})`);
    }
    if (!Number.isInteger(maxAgeMs) || maxAgeMs < 1) {
      problems.push(`fanoutRetention.maxAgeMs must be an integer ≥ 1 (got ${show(retentionInput.maxAgeMs)})`);
    }
  }

  const codec = input.codec ?? jsonCodec<T>();
  if (typeof codec !== 'object' || codec === null || typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    problems.push(`codec must have encode() and decode() functions (got ${show(input.codec)})`);
  }

  if (problems.length > 0) throw new InvalidQueueOptionsError(String(queue), problems);
  return Object.freeze({
    codec,
    leaseMs,
    maxDeliveries,
    deadLetterSuffix,
    dedupWindowMs,
    fanoutRetention: Object.freeze({ maxLength, maxAgeMs }),
  });
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
