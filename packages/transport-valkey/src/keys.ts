/**
 * Key names, and nothing else. Every key of a queue carries the `{<queue>}` hash tag, so a
 * queue's stream, dead letters, delayed set and idempotency keys share one Cluster slot, so every script's keys hash alike.
 */

export interface QueueKeys {
  /** `{prefix}:{<queue>}` — the stream. */
  readonly stream: string;
  /** stream + dead-letter suffix (default `:dlq`). */
  readonly deadLetters: string;
  /** deadLetters + `:dropped`: how many dead letters retention has dropped, in total. */
  readonly deadLettersDropped: string;
  /** Sorted set of released/parked deliveries, member `<group>\n<id>`, score due ms. */
  readonly delayed: string;
  /** Sorted set of delayed enqueues not yet read by any consumer (member id, score due ms). */
  readonly scheduled: string;
  /** Hash `<group>\n<id>` → expiry ms, for leases longer than the queue's leaseMs. */
  readonly leaseExtensions: string;
  /** Set of competing consumer group names. */
  readonly groups: string;
  /** Exists once a fan-out consumer opened the queue: enqueue then trims by retention. */
  readonly fanout: string;
  /** Exists (with a TTL its reader renews) while a tail consumer reads the queue: enqueue may then pack a batch into one entry (packed-append.ts). */
  readonly tailReader: string;
  /** The idempotency key for `key`. */
  idempotency(key: string): string;
}

/** The keys of queue `queue` whose dead-letter queue is `queue + deadLetterSuffix`. */
export function queueKeys(prefix: string, queue: string, deadLetterSuffix: string): QueueKeys {
  const stream = `${prefix}:{${queue}}`;
  return Object.freeze({
    stream,
    deadLetters: `${stream}${deadLetterSuffix}`,
    deadLettersDropped: `${stream}${deadLetterSuffix}:dropped`,
    delayed: `${stream}:delayed`,
    scheduled: `${stream}:scheduled`,
    leaseExtensions: `${stream}:lease-ext`,
    groups: `${stream}:groups`,
    fanout: `${stream}:fanout`,
    tailReader: `${stream}:tail-reader`,
    idempotency: (key: string) => `${stream}:idem:${key}`,
  });
}

/**
 * The sorted set of signs of life (member owner, score server ms) of key hygiene. Its tag is not a
 * queue name (queue names never start with `~`), and the `:beats` suffix keeps it out of any
 * listing of queues by key.
 */
export const signsOfLifeKey = (prefix: string): string => `${prefix}:{~nodes}:beats`;

/** The dead-letter suffix of queue `name` whose dead-letter queue is `deadLetterName` (a name that does not extend `name` is appended after a colon). */
export const deadLetterSuffixOf = (name: string, deadLetterName: string): string =>
  deadLetterName.startsWith(name) ? deadLetterName.slice(name.length) : `:${deadLetterName}`;

/** Member of the delayed set / lease-extension hash for entry `id` of consumer group `group`. */
export const groupMember = (group: string, id: string): string => `${group}\n${id}`;

/** Every fan-out group name starts with this. */
export const FANOUT_GROUP_PREFIX = 'fanout:';

/** The private group of a fan-out consumer. */
export const fanoutGroup = (consumerName: string): string => `${FANOUT_GROUP_PREFIX}${consumerName}`;

/**
 * The run-once record of REQUEST `id` (ValkeyRunOnceStore): its own `{<id>}` hash tag, so records
 * spread over a Cluster's slots; each script touches only this one key.
 */
export const runOnceKey = (prefix: string, id: string): string => `${prefix}:run-once:{${id}}`;

/** The shared rate-limit key of `key` (ValkeyRateLimitStore): its own hash tag, so limits spread over a Cluster's slots. */
export const rateLimitKey = (prefix: string, key: string): string => `${prefix}:rate:{${key}}`;
