/**
 * Nothing stranded in a region nobody serves: when the last Messaging instance of a service
 * version in a region departs (GOODBYE, connection lost, or stale), the REQUESTs still queued on
 * that region's requests queue are moved to the queue of the region this gateway would now send
 * to (its own region when it has an instance, else the instance selector's next choice). The
 * gateway reads the departed region's queue in the instances' consumer group, so it also takes
 * the REQUESTs the departed instance had leased once their lease runs out, and re-enqueues each
 * (same id: an instance that already ran it replays its answer). It stops when the queue is empty
 * with nothing leased, when an instance of that region registers again, after MAX_HANDOVER_MS, or
 * when the gateway stops. Several gateways may move the same queue at once: they compete for its
 * REQUESTs like instances do.
 */
import { TransportType, type Clock, type Frame, type GatewayTransport, type HelloFrame, type InstanceLink, type Logger, type MessageQueue } from '@switchyard/core';
import { parseServiceRequestsQueue, type RoutingState } from '@switchyard/core/internal';

/** A transport whose queues the gateway can open (the Messaging transport). */
interface QueueOpeningTransport {
  adminQueue(queue: string): MessageQueue<unknown>;
}

const opensQueues = (t: GatewayTransport | undefined): t is GatewayTransport & QueueOpeningTransport =>
  t !== undefined && typeof (t as Partial<QueueOpeningTransport>).adminQueue === 'function';

/** How long a queue whose region left, with no other region to move to, waits for one to register. */
const ORPHAN_KEEP_MS = 10 * 60_000;
/** How often a handover checks whether its queue is empty. */
const CHECK_MS = 500;
/** The longest a handover runs (a lease the departed instance held runs out well before). */
export const MAX_HANDOVER_MS = 60_000;

interface Placement {
  readonly service: string;
  readonly version: string;
  readonly queue: string;
}

interface Running {
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

export class RegionHandover {
  /** Messaging instances by id: where each takes its REQUESTs. */
  private readonly placed = new Map<string, Placement>();
  private readonly running = new Map<string, Running>();
  /** Queues whose region left while no other region had an instance: handed over when one registers. */
  private readonly orphans = new Map<string, Placement & { readonly since: number }>();
  private moved = 0;
  private closed = false;

  constructor(
    private readonly transport: GatewayTransport | undefined,
    private readonly routing: RoutingState,
    private readonly region: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** REQUESTs moved since start (for tests and the log). */
  get movedRequests(): number {
    return this.moved;
  }

  /** Queues being handed over now. */
  get activeQueues(): string[] {
    return [...this.running.keys()];
  }

  /** A HELLO the routing state accepted: remembers where a Messaging instance reads, and ends a handover of that queue. */
  registered(frame: HelloFrame, link: InstanceLink): void {
    if (link.transport !== TransportType.Messaging) return;
    const parsed = parseServiceRequestsQueue(link.address);
    if (parsed === undefined) return;
    this.placed.set(frame.payload.instance.instanceId, { service: parsed.service, version: parsed.version, queue: link.address });
    this.running.get(link.address)?.stop.abort();
    this.orphans.delete(link.address);
    const now = this.clock.now();
    for (const [queue, o] of this.orphans) {
      if (now - o.since > ORPHAN_KEEP_MS) this.orphans.delete(queue);
      else if (o.service === parsed.service && o.version === parsed.version) {
        this.orphans.delete(queue);
        this.start(o);
      }
    }
  }

  /** An instance left the routing state: when it was its region's last for its version, its queue is handed over. */
  departed(instanceId: string): void {
    const p = this.placed.get(instanceId);
    if (p === undefined) return;
    this.placed.delete(instanceId);
    for (const other of this.placed.values()) if (other.queue === p.queue) return;
    // No other region serves the version now: what waits there is moved once one registers.
    if (this.destination(p) === undefined) this.orphans.set(p.queue, { ...p, since: this.clock.now() });
    else this.start(p);
  }

  private start(p: Placement): void {
    if (this.closed || this.running.has(p.queue) || !opensQueues(this.transport)) return;
    const stop = new AbortController();
    const done = this.handOver(this.transport, p, stop.signal).catch((err: unknown) => {
      this.logger.warn({ queue: p.queue, err: (err as Error).message }, 'region handover failed; REQUESTs left on the queue expire at their deadline');
    });
    const running: Running = { stop, done: done.finally(() => this.running.get(p.queue) === running && this.running.delete(p.queue)) };
    this.running.set(p.queue, running);
  }

  /** Stops every handover (REQUESTs it holds are released back to their queue). */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.running.values()) r.stop.abort();
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private async handOver(transport: GatewayTransport & QueueOpeningTransport, p: Placement, signal: AbortSignal): Promise<void> {
    const from = transport.adminQueue(p.queue) as MessageQueue<Frame>;
    const until = this.clock.now() + MAX_HANDOVER_MS;
    let moved = 0;
    this.logger.info({ queue: p.queue, service: p.service, version: p.version }, 'last instance of a region left: moving its queued REQUESTs');
    const sub = from.subscribe(
      async (frame) => {
        const to = this.destination(p);
        // No region serves the version now: the REQUEST goes back (with backoff) until one does or its deadline passes.
        if (to === undefined) throw new Error(`no instance of ${p.service} ${p.version} to move REQUEST ${frame.id} to`);
        if (frame.type === 'REQUEST' && frame.payload.deadline < this.clock.now()) return;
        await (transport.adminQueue(to) as MessageQueue<Frame>).enqueue(frame);
        moved += 1;
        this.moved += 1;
      },
      { group: 'instances', concurrency: 16, signal, blockMs: 200, retryBackoff: { baseMs: 200, maxMs: 1_000 }, drainTimeoutMs: 0 },
    );
    try {
      while (!signal.aborted && this.clock.now() < until) {
        await this.clock.sleep(CHECK_MS, signal).catch(() => undefined);
        if (signal.aborted) break;
        const stats = await from.stats();
        if (stats.depth === 0 && stats.inFlight === 0 && stats.delayed === 0) break;
      }
    } finally {
      await sub.close();
      this.logger.info({ queue: p.queue, moved }, 'region handover ended');
    }
  }

  /** The requests queue this gateway would send the version's next REQUEST to, if any instance takes it. */
  private destination(p: Placement): string | undefined {
    const instance = this.routing.eligibleInstances(p.service, p.version, this.region, undefined, TransportType.Messaging)[0];
    return instance === undefined || instance.link.address === p.queue ? undefined : instance.link.address;
  }
}
