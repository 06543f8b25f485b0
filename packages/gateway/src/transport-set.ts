/**
 * The gateway's router transports: started together, each feeding the ONE routing state through
 * a TransportFeed (which also sends the RESYNCs routing decides on), stopped in config order.
 * Also reads what `/metrics` shows about them (readiness, counters, queue stats).
 */
import {
  type Clock,
  type ControlFrame,
  type GatewayTransport,
  type HelloFrame,
  type InstanceLink,
  type Logger,
  type TransportType,
} from '@switchyard/core';
import { TransportFeed, type ControlOutcome, type RoutingState, type TransportFeedHooks } from '@switchyard/core/internal';

import type { DepartedRoutes } from './departed-routes.js';

export class TransportSet {
  readonly byType: ReadonlyMap<TransportType, GatewayTransport>;
  private started: GatewayTransport[] = [];
  private readonly helloListeners: Array<(frame: HelloFrame, link: InstanceLink) => void> = [];

  constructor(
    readonly transports: readonly GatewayTransport[],
    private readonly routing: RoutingState,
    private readonly departed: DepartedRoutes,
    private readonly logger: Logger,
    private readonly clock: Clock,
    /** Further feed hooks, called after this set's own (the admin API's drain keeps its instances draining on `control`). */
    private readonly hooks: TransportFeedHooks = {},
  ) {
    const map = new Map<TransportType, GatewayTransport>();
    for (const t of transports) if (!map.has(t.type)) map.set(t.type, t);
    this.byType = map;
  }

  /** Calls `listener` with every HELLO the routing state accepted (the OpenAPI description store). */
  onHello(listener: (frame: HelloFrame, link: InstanceLink) => void): void {
    this.helloListeners.push(listener);
  }

  /** Starts every transport in order; if one fails, the ones already started are stopped and the error is rethrown. */
  async start(): Promise<void> {
    for (const t of this.transports) {
      try {
        await t.start(
          new TransportFeed(this.routing, t, this.logger, {
            control: (frame, link, outcome) => {
              this.onControl(t, frame, link, outcome);
              this.hooks.control?.(frame, link, outcome);
            },
            lost: (instanceId, reason, change) => {
              this.logger.info({ instanceId, reason, transport: t.type }, 'instance lost');
              if (change?.removed === true) this.departed.departed(instanceId);
              this.hooks.lost?.(instanceId, reason, change);
            },
          }),
        );
        this.started.push(t);
      } catch (err) {
        await this.stop();
        throw err;
      }
    }
  }

  /** Departed-route bookkeeping and the registration log lines; routing and RESYNC are the feed's. */
  private onControl(t: GatewayTransport, frame: ControlFrame, link: InstanceLink, outcome: ControlOutcome): void {
    if (frame.type === 'HELLO') {
      this.departed.registered(frame, link);
      const i = frame.payload.instance;
      this.logger.info({ service: i.service, version: i.version, instanceId: i.instanceId, transport: t.type }, 'instance registered');
      for (const listener of this.helloListeners) listener(frame, link);
    } else if (frame.type === 'GOODBYE') {
      if (outcome.kind === 'removed') this.departed.departed(outcome.instanceId);
      this.logger.info({ instanceId: frame.payload.instanceId, transport: t.type }, 'instance said goodbye');
    }
  }

  /**
   * Stops the started transports in config order. A failing stop is logged and the rest still
   * stop; a stop that takes longer than `timeoutMs` (e.g. its server is gone and the client keeps
   * reconnecting) is logged and left behind, so shutdown always ends.
   */
  async stop(timeoutMs = 5_000): Promise<void> {
    const toStop = this.started;
    this.started = [];
    for (const t of toStop) {
      const timer = new AbortController();
      try {
        const finished = await Promise.race([
          t.stop().then(() => true),
          this.clock.sleep(timeoutMs, timer.signal).then(() => false),
        ]);
        if (!finished) this.logger.error({ transport: t.type, timeoutMs }, 'transport did not stop in time; continuing shutdown');
      } catch (err) {
        this.logger.error({ err: (err as Error).message, transport: t.type }, 'transport stop failed');
      } finally {
        timer.abort();
      }
    }
  }

  readiness(): Array<{ transport: string; ready: boolean }> {
    return this.transports.map((t, i) => ({ transport: `${t.type}#${i}`, ready: t.isReady() }));
  }

  /** Every transport's counters (`pending`, a gauge, left out). */
  counters(): Array<{ transport: string; event: string; value: number }> {
    const out: Array<{ transport: string; event: string; value: number }> = [];
    this.transports.forEach((t, i) => {
      if (t.metrics === undefined) return;
      for (const [event, value] of Object.entries(t.metrics())) {
        if (event !== 'pending') out.push({ transport: `${t.type}#${i}`, event, value });
      }
    });
    return out;
  }

  async queueStats(): Promise<Array<{ transport: string; queue: string; depth: number; deadLetters: number; deadLettersDropped: number | undefined }>> {
    const out: Array<{ transport: string; queue: string; depth: number; deadLetters: number; deadLettersDropped: number | undefined }> = [];
    for (let i = 0; i < this.transports.length; i++) {
      const t = this.transports[i] as GatewayTransport;
      if (t.queueStats === undefined || !t.isReady()) continue;
      try {
        for (const [queue, s] of Object.entries(await t.queueStats())) {
          out.push({ transport: `${t.type}#${i}`, queue, depth: s.depth, deadLetters: s.deadLetters, deadLettersDropped: s.deadLettersDropped });
        }
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, transport: t.type }, 'queue stats unavailable');
      }
    }
    return out;
  }
}
