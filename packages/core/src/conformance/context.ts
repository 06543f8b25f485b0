/**
 * What every behaviour file gets: fresh factories closed after each test, fresh queue names, a way
 * to let time pass (advance the ManualClock, or wait real time when the backend has no injectable
 * clock), capability-gated registration that prints a loud line for every skip, and small lease
 * helpers that poll with deadlines instead of relying on blocking reads.
 */
import { randomUUID } from 'node:crypto';
import { suite, type Test } from 'uvu';
import type { ManualClock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Lease, MessageQueueFactory, QueueCapabilities, QueueConsumer } from '../queue/types.js';
import { eventually } from './wait.js';

export interface QueueConformanceOptions {
  /** Backend name shown in suite titles. */
  name: string;
  /** A fresh factory; called for each test (and once up front to read capabilities). */
  createFactory: () => MessageQueueFactory | Promise<MessageQueueFactory>;
  /** The clock the factory and backend use, when it is a ManualClock: time is advanced instead of waited for. */
  clock?: ManualClock;
  /** Restarts the backing server (data kept as the server persists it); enables the restart behaviours. */
  restartServer?: () => Promise<void>;
  /** Lease length used by the kit. @default 1000 with a ManualClock, 500 in real time */
  leaseMs?: number;
  /** Messages in the bulk property test. @default 10000 */
  bulkMessages?: number;
  /** Deadline of each wait in ms. @default max(10000, 20 × leaseMs); the bulk test waits at least 60000 */
  waitMs?: number;
}

export type CapabilityName = keyof QueueCapabilities | 'restartServer';

export class KitContext {
  readonly leaseMs: number;
  readonly manual: boolean;
  private readonly open: MessageQueueFactory[] = [];

  constructor(
    readonly options: QueueConformanceOptions,
    readonly capabilities: QueueCapabilities,
  ) {
    this.manual = options.clock !== undefined;
    this.leaseMs = options.leaseMs ?? (this.manual ? 1_000 : 500);
  }

  get name(): string {
    return this.options.name;
  }

  /** A uvu suite titled for this backend; closes what each test opened. */
  suite(title: string): Test {
    const s = suite(`${this.name}: ${title}`);
    s.after.each(async () => {
      await this.closeAll();
    });
    return s;
  }

  /** A fresh factory, closed after the test. */
  async factory(): Promise<MessageQueueFactory> {
    const f = await this.options.createFactory();
    this.open.push(f);
    return f;
  }

  queueName(): string {
    return `t-${randomUUID()}`;
  }

  /** Lets `ms` pass: advances the ManualClock in small steps (so renewals and wake-ups run in order), or waits real time. */
  async passTime(ms: number): Promise<void> {
    const clock = this.options.clock;
    if (clock === undefined) {
      await systemClock.sleep(ms);
      return;
    }
    const step = Math.max(1, Math.floor(ms / 20));
    let left = ms;
    while (left > 0) {
      const d = Math.min(step, left);
      await clock.advance(d);
      left -= d;
    }
  }

  /** True when the behaviour can run; otherwise registers a uvu skip and prints a loud line naming the capability. */
  requires(test: Test, behaviour: string, capability: CapabilityName, reason: string): boolean {
    const has = capability === 'restartServer' ? this.options.restartServer !== undefined : this.capabilities[capability];
    if (has) return true;
    const why = capability === 'restartServer' ? 'no restartServer hook was given to the kit' : `capabilities.${capability} is false`;
    console.log(`  SKIPPED [${this.name}] "${behaviour}": ${why} (${reason})`);
    test.skip(behaviour);
    return false;
  }

  /** Leases until `count` leases arrived (polling without blocking), failing after the deadline with how many came. */
  async leaseExactly<T>(consumer: { lease: QueueConsumer<T>['lease'] }, count: number, what: string, leaseMs = this.leaseMs): Promise<Lease<T>[]> {
    const got: Lease<T>[] = [];
    await eventually(async () => {
      if (got.length < count) got.push(...(await consumer.lease({ max: count - got.length, leaseMs, blockMs: 0 })));
      return got.length >= count;
    }, `${count} leases of ${what} (got ${got.length})`, { within: this.deadlineMs() });
    return got;
  }

  /** Fails if `consumer` can lease anything right now. */
  async expectNothing<T>(consumer: { lease: QueueConsumer<T>['lease'] }, what: string): Promise<void> {
    const got = await consumer.lease({ max: 10, leaseMs: this.leaseMs, blockMs: 0 });
    if (got.length > 0) {
      throw new Error(`expected nothing to lease (${what}), got ${got.length}: ${got.map((l) => `${l.id}#${l.attempt}`).join(', ')}`);
    }
  }

  /** Generous deadline for waits (the machine may be loaded). */
  deadlineMs(): number {
    return this.options.waitMs ?? Math.max(10_000, this.leaseMs * 20);
  }

  async closeAll(): Promise<void> {
    const all = this.open.splice(0);
    await Promise.all(all.map((f) => f.close()));
  }
}
