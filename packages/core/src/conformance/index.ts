/**
 * @switchyard/core/conformance — the queue conformance kit (packages/core/README.md).
 *
 * ```ts
 * import { runQueueConformance } from '@switchyard/core/conformance';
 * import { createAcmeQueueFactory } from '../src/index.js';
 * await runQueueConformance({ name: 'acme', createFactory: () => createAcmeQueueFactory({ url: process.env.ACME_URL! }) });
 * ```
 *
 * It reads `factory.capabilities` from one probe factory, registers one uvu suite per behaviour and
 * runs them. A test file that calls it should register nothing else: uvu starts when the last
 * suite is queued.
 */
import { KitContext, type QueueConformanceOptions } from './context.js';
import * as bulk from './bulk.js';
import * as close from './close.js';
import * as competing from './competing.js';
import * as deadLetter from './dead-letter.js';
import * as decodeError from './decode-error.js';
import * as enqueue from './enqueue.js';
import * as fanout from './fanout.js';
import * as faults from './faults.js';
import * as fencing from './fencing.js';
import * as idempotency from './idempotency.js';
import * as leaseExpiry from './lease-expiry.js';
import * as release from './release.js';
import * as stats from './stats.js';
import * as subscribe from './subscribe.js';
import * as subscribeDrain from './subscribe-drain.js';
import * as tail from './tail.js';

export type { QueueConformanceOptions } from './context.js';

/** The behaviour files, in the order they run. */
const BEHAVIOURS = [enqueue, competing, fanout, leaseExpiry, fencing, release, deadLetter, decodeError, idempotency, subscribe, subscribeDrain, tail, stats, close, faults, bulk];

/** Registers and runs the whole queue behaviour suite against factories from `options.createFactory`. */
export async function runQueueConformance(options: QueueConformanceOptions): Promise<void> {
  const probe = await options.createFactory();
  const capabilities = { ...probe.capabilities };
  await probe.close();
  console.log(
    `queue conformance kit: backend "${options.name}" (${probe.backend}), capabilities ${JSON.stringify(capabilities)}, ` +
      `${options.clock === undefined ? 'real time' : 'ManualClock'}`,
  );
  const ctx = new KitContext(options, capabilities);
  for (const behaviour of BEHAVIOURS) behaviour.register(ctx);
}
