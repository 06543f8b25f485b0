/**
 * Options of the Messaging router transport: defaults in one frozen object, validated once where
 * a transport is created, returned frozen (docs/messaging-transport.md, "Options").
 */
import { InvalidArgumentError } from '../../errors.js';
import { OptionProblems } from '../../options/problems.js';
import { checkRunOnceOptions, resolveRunOnceOptions, RUN_ONCE_DEFAULTS, type RunOnceOptions, type RunOnceOptionsInput } from './run-once-options.js';

export interface MessagingTransportOptionsInput {
  /** Lease of the control and responses queues (the queue default lease). @default 30000 */
  leaseMs?: number;
  /** Lease of a REQUEST, renewed while its handler runs, so a dead instance's work is reclaimed quickly. @default 5000 */
  requestLeaseMs?: number;
  /** Deliveries of one frame before it is dead-lettered. @default 3 */
  maxDeliveries?: number;
  /** Dead-letter queue = queue name + this. @default ':dlq' */
  deadLetterSuffix?: string;
  /** Instance: REQUEST handlers running at once (also the read batch size). Gateway: RESPONSEs read per batch. @default 256 */
  concurrency?: number;
  /** Long-poll length of each queue read. @default 1000 */
  blockMs?: number;
  /** Instance: how long a finished REQUEST's id is kept so a redelivery or copy does not run again (its RESPONSE only until the ack is confirmed, or within these bounds when the ack failed). @default 30000 */
  replayTtlMs?: number;
  /** Instance: most REQUEST ids remembered for replay (oldest forgotten first). @default 10000 */
  replayCacheSize?: number;
  /** Instance: most RESPONSE body bytes kept for replay while their acks are unconfirmed (oldest forgotten first). @default 16777216 (16 MiB) */
  replayCacheBytes?: number;
  /** Instance: how often running REQUESTs are checked against their deadline (one sweep, no timer per request). @default 100 */
  deadlineCheckMs?: number;
  /** Gateway: a dispatched request nobody aborted is failed this long after its deadline (safety net; the gateway normally aborts at the deadline). @default 5000 */
  pendingGraceMs?: number;
  /** Instance: whether a redelivered REQUEST is run at most once per instance or across instances (docs/messaging-transport.md, "Run once across instances"). @default { scope: 'instance' } */
  runOnce?: RunOnceOptionsInput;
  /**
   * Gateway, on a backend with key hygiene (Valkey): a gateway node that has shown no sign of life
   * for this long has its responses queue and its consumer groups deleted by any live gateway
   * (docs/operations.md, "Key hygiene"). 0 turns the hygiene off. @default 60000
   */
  departedNodeGraceMs?: number;
}

export type MessagingTransportOptions = Readonly<Required<Omit<MessagingTransportOptionsInput, 'runOnce'>>> & { readonly runOnce: RunOnceOptions };

/** Defaults of the Messaging router transport. */
export const MESSAGING_TRANSPORT_DEFAULTS: MessagingTransportOptions = Object.freeze({
  leaseMs: 30_000,
  requestLeaseMs: 5_000,
  maxDeliveries: 3,
  deadLetterSuffix: ':dlq',
  concurrency: 256,
  blockMs: 1_000,
  replayTtlMs: 30_000,
  replayCacheSize: 10_000,
  replayCacheBytes: 16 * 1024 * 1024,
  deadlineCheckMs: 100,
  pendingGraceMs: 5_000,
  runOnce: RUN_ONCE_DEFAULTS,
  departedNodeGraceMs: 60_000,
});

const INTEGER_MINIMUMS: ReadonlyArray<readonly [Exclude<keyof MessagingTransportOptionsInput, 'deadLetterSuffix' | 'runOnce'>, number]> = [
  ['leaseMs', 100],
  ['requestLeaseMs', 100],
  ['maxDeliveries', 1],
  ['concurrency', 1],
  ['blockMs', 1],
  ['replayTtlMs', 0],
  ['replayCacheSize', 0],
  ['replayCacheBytes', 0],
  ['deadlineCheckMs', 1],
  ['pendingGraceMs', 0],
  ['departedNodeGraceMs', 0],
];

/** Fills defaults and checks every option; throws SY_INVALID_ARGUMENT listing every problem, each named `<path>.<option>`. */
export function resolveMessagingOptions(input: MessagingTransportOptionsInput = {}, path = 'messaging'): MessagingTransportOptions {
  const problems = new OptionProblems(path);
  checkMessagingOptions(input, problems);
  if (!problems.isEmpty) throw InvalidArgumentError.fromProblems(problems.list);
  return Object.freeze({ ...MESSAGING_TRANSPORT_DEFAULTS, ...definedOnly(input), runOnce: resolveRunOnceOptions(input.runOnce) });
}

/** Adds every problem of `input` to `problems` (whose prefix names where the options sit in a config). */
export function checkMessagingOptions(input: MessagingTransportOptionsInput, problems: OptionProblems): void {
  problems.unknownKeys(input, Object.keys(MESSAGING_TRANSPORT_DEFAULTS), '', { noun: 'an option of the messaging transport' });
  const o = { ...MESSAGING_TRANSPORT_DEFAULTS, ...definedOnly(input) };
  for (const [key, min] of INTEGER_MINIMUMS) problems.integer(key, o[key], min);
  if (o.departedNodeGraceMs !== 0 && Number.isInteger(o.departedNodeGraceMs) && o.departedNodeGraceMs < 1_000) {
    problems.add('departedNodeGraceMs', `must be 0 (off) or at least 1000 ms: a live gateway beats every third of it (got ${o.departedNodeGraceMs})`);
  }
  problems.nonEmptyString('deadLetterSuffix', o.deadLetterSuffix);
  checkRunOnceOptions(input.runOnce, 'runOnce', problems);
}

function definedOnly(input: MessagingTransportOptionsInput): MessagingTransportOptionsInput {
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (value !== undefined) given[key] = value;
  return given;
}

/**
 * How long a start waits for its control subscription to see what is published from then on
 * (Subscription.opened): a fan-out group is made on the server a round trip after subscribing.
 */
export const CONTROL_OPEN_WAIT_MS = 2_000;
