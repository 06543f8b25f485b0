/**
 * Queue option defaults and validation. Options are validated once, when a queue is opened;
 * every problem is collected and each names the option and the value received.
 */
import { InvalidQueueOptionsError } from '../errors.js';
import { OptionProblems } from '../options/problems.js';
import { jsonCodec } from './codecs.js';
import type { QueueOptions, QueueOptionsInput } from './types.js';

/** Defaults for every queue option (packages/core/README.md, "Queue options"). */
export const QUEUE_DEFAULTS = Object.freeze({
  leaseMs: 30_000,
  maxDeliveries: 3,
  deadLetterSuffix: ':dlq',
  dedupWindowMs: 600_000,
  fanoutRetention: Object.freeze({ maxLength: 10_000, maxAgeMs: 3_600_000 }),
});

/** Shortest lease accepted: shorter leases expire before a round trip to a loaded server returns. */
export const MIN_LEASE_MS = 50;

const KNOWN_KEYS = ['codec', 'leaseMs', 'maxDeliveries', 'deadLetterSuffix', 'dedupWindowMs', 'fanoutRetention'];
const KNOWN_RETENTION_KEYS = ['maxLength', 'maxAgeMs'];

/** Validates `input` for queue `queue`; returns frozen, fully resolved options or throws InvalidQueueOptionsError listing every problem. */
export function resolveQueueOptions<T>(queue: string, input: QueueOptionsInput<T> = {}): QueueOptions<T> {
  const problems = new OptionProblems();
  if (typeof queue !== 'string' || queue.length === 0) problems.expected('name', 'a non-empty string', queue);
  if (!problems.object('options', input)) throw new InvalidQueueOptionsError(String(queue), problems.messages());
  problems.unknownKeys(input, KNOWN_KEYS, '', { noun: 'a queue option' });

  const leaseMs = input.leaseMs ?? QUEUE_DEFAULTS.leaseMs;
  problems.integer('leaseMs', leaseMs, MIN_LEASE_MS);
  const maxDeliveries = input.maxDeliveries ?? QUEUE_DEFAULTS.maxDeliveries;
  problems.integer('maxDeliveries', maxDeliveries, 1);
  const deadLetterSuffix = input.deadLetterSuffix ?? QUEUE_DEFAULTS.deadLetterSuffix;
  problems.nonEmptyString('deadLetterSuffix', deadLetterSuffix);
  const dedupWindowMs = input.dedupWindowMs ?? QUEUE_DEFAULTS.dedupWindowMs;
  problems.integer('dedupWindowMs', dedupWindowMs, 1);

  const retentionInput = input.fanoutRetention ?? {};
  let maxLength: number = QUEUE_DEFAULTS.fanoutRetention.maxLength;
  let maxAgeMs: number = QUEUE_DEFAULTS.fanoutRetention.maxAgeMs;
  if (problems.object('fanoutRetention', retentionInput)) {
    problems.unknownKeys(retentionInput, KNOWN_RETENTION_KEYS, 'fanoutRetention', { noun: 'an option' });
    maxLength = retentionInput.maxLength ?? maxLength;
    maxAgeMs = retentionInput.maxAgeMs ?? maxAgeMs;
    problems.integer('fanoutRetention.maxLength', maxLength, 1);
    problems.integer('fanoutRetention.maxAgeMs', maxAgeMs, 1);
  }

  const codec = input.codec ?? jsonCodec<T>();
  if (typeof codec !== 'object' || codec === null || typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    problems.expected('codec', 'an object with encode() and decode() functions', input.codec);
  }

  if (!problems.isEmpty) throw new InvalidQueueOptionsError(String(queue), problems.messages());
  return Object.freeze({
    codec,
    leaseMs,
    maxDeliveries,
    deadLetterSuffix,
    dedupWindowMs,
    fanoutRetention: Object.freeze({ maxLength, maxAgeMs }),
  });
}
