/**
 * The gateway's router transports: started together, all feeding ONE routing state (control →
 * applyControl, a resync effect → `transport.resync`, lost → routing.lost), stopped in config
 * order. Also reads what `/metrics` shows about them (readiness, Messaging counters and queue stats).
 */
import {
  TransportType,
  parseServiceRequestsQueue,
  type Clock,
  type ControlFrame,
  type DispatchTarget,
  type GatewayTransport,
  type InstanceLink,
  type Logger,
  type QueueStats,
  type RoutingState,
} from '@switchyard/core';

import type { DepartedRoutes } from './departed-routes.js';

/** What a Messaging gateway transport exposes beyond the contract (duck-typed: any transport may offer it). */
interface CountingTransport {
  metrics(): Readonly<Record<string, number>>;
}
interface QueueStatsTransport {
  queueStats(): Promise<Readonly<Record<string, QueueStats>>>;
}

export class TransportSet {
  readonly byType: ReadonlyMap<TransportType, GatewayTransport>;
  private started: GatewayTransport[] = [];

  constructor(
    readonly transports: readonly GatewayTransport[],
    private readonly routing: RoutingState,
    private readonly departed: DepartedRoutes,
    private readonly logger: Logger,
    private readonly clock: Clock,
    /** Called after routing applied a control frame (the admin API's drain keeps its instances draining). */
    private readonly afterControl: (frame: ControlFrame) => void = () => undefined,
  ) {
    const map = new Map<TransportType, GatewayTransport>();
    for (const t of transports) if (!map.has(t.type)) map.set(t.type, t);
    this.byType = map;
  }

  /** Starts every transport in order; if one fails, the ones already started are stopped and the error is rethrown. */
  async start(): Promise<void> {
    for (const t of this.transports) {
      try {
        await t.start({
          control: (frame: ControlFrame, link: InstanceLink) => this.onControl(t, frame, link),
          lost: (instanceId: string, reason: string) => {
            this.logger.info({ instanceId, reason, transport: t.type }, 'instance lost');
            if (this.routing.lost(instanceId, reason)?.removed === true) this.departed.departed(instanceId);
          },
        });
        this.started.push(t);
      } catch (err) {
        await this.stop();
        throw err;
      }
    }
  }

  private onControl(t: GatewayTransport, frame: ControlFrame, link: InstanceLink): void {
    let outcome;
    try {
      outcome = this.routing.applyControl(frame, link);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, type: frame.type, transport: t.type }, 'control frame rejected by routing');
      return;
    }
    this.afterControl(frame);
    if (frame.type === 'HELLO') {
      this.departed.registered(frame, link);
      const i = frame.payload.instance;
      this.logger.info({ service: i.service, version: i.version, instanceId: i.instanceId, transport: t.type }, 'instance registered');
    } else if (frame.type === 'GOODBYE') {
      if (outcome.kind === 'removed') this.departed.departed(outcome.instanceId);
      this.logger.info({ instanceId: frame.payload.instanceId, transport: t.type }, 'instance said goodbye');
    }
    if (outcome.kind === 'resync') {
      const target = this.resyncTarget(outcome.instanceId, outcome.link);
      if (target === undefined) return;
      t.resync(target).catch((err: unknown) => {
        this.logger.warn({ err: (err as Error).message, instanceId: outcome.instanceId }, 'RESYNC could not be sent');
      });
    }
  }

  /**
   * Who to send RESYNC to. A known instance (endpoints changed) names its service; an unknown one
   * is addressed by its link. A Messaging link names `service.<name>.<version>.requests`; when it
   * names nothing, the Messaging transport has already sent RESYNC itself (it reads the service
   * from the control frame's queue headers), so there is nothing to add.
   */
  private resyncTarget(instanceId: string, link: InstanceLink): DispatchTarget | undefined {
    const known = this.routing.instance(instanceId);
    if (known !== undefined) return { instanceId, service: known.service, version: known.version, link };
    if (link.transport !== TransportType.Messaging) return { instanceId, service: '', version: '', link };
    const served = parseServiceRequestsQueue(link.address);
    return served === undefined ? undefined : { instanceId, ...served, link };
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

  counters(): Array<{ transport: string; event: string; value: number }> {
    const out: Array<{ transport: string; event: string; value: number }> = [];
    this.transports.forEach((t, i) => {
      const c = t as Partial<CountingTransport> & GatewayTransport;
      if (typeof c.metrics !== 'function') return;
      for (const [event, value] of Object.entries(c.metrics())) {
        if (event !== 'pending' && typeof value === 'number') out.push({ transport: `${t.type}#${i}`, event, value });
      }
    });
    return out;
  }

  async queueStats(): Promise<Array<{ transport: string; queue: string; depth: number; deadLetters: number }>> {
    const out: Array<{ transport: string; queue: string; depth: number; deadLetters: number }> = [];
    for (let i = 0; i < this.transports.length; i++) {
      const t = this.transports[i] as Partial<QueueStatsTransport> & GatewayTransport;
      if (typeof t.queueStats !== 'function' || !t.isReady()) continue;
      try {
        for (const [queue, s] of Object.entries(await t.queueStats())) {
          out.push({ transport: `${t.type}#${i}`, queue, depth: s.depth, deadLetters: s.deadLetters });
        }
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, transport: t.type }, 'queue stats unavailable');
      }
    }
    return out;
  }
}
