/**
 * Feeds one gateway transport's events into the routing state, and sends the RESYNCs the
 * routing state decides on: the only place a RESYNC is sent from. Transports only report
 * (control frames, an instance lost, their backend recovered); RoutingState decides
 * (unknown instance, changed endpoints, recovered backend, at most once per
 * `resyncMinIntervalMs` per instance); this sends it with `transport.resync(target)`.
 */
import type { Logger } from '../logger.js';
import type { ControlFrame } from '../protocol/frames.js';
import type { DispatchTarget, GatewayTransport, GatewayTransportEvents, InstanceLink } from '../transport/types.js';
import type { RoutingState } from './routing-state.js';
import type { ControlOutcome, HealthChange } from './types.js';

/** What the host (the gateway) does besides routing with each event: bookkeeping, logging. */
export interface TransportFeedHooks {
  /** After routing applied a control frame (not called when routing rejected it). */
  control?(frame: ControlFrame, link: InstanceLink, outcome: ControlOutcome): void;
  /** After routing removed a lost instance (`change` is undefined when it was not registered). */
  lost?(instanceId: string, reason: string, change: HealthChange | undefined): void;
}

export class TransportFeed implements GatewayTransportEvents {
  constructor(
    private readonly routing: RoutingState,
    private readonly transport: GatewayTransport,
    private readonly logger: Logger,
    private readonly hooks: TransportFeedHooks = {},
  ) {}

  control(frame: ControlFrame, link: InstanceLink): void {
    let outcome: ControlOutcome;
    try {
      outcome = this.routing.applyControl(frame, link);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, type: frame.type, transport: this.transport.type }, 'control frame rejected by routing');
      return;
    }
    this.hooks.control?.(frame, link, outcome);
    if (outcome.kind === 'resync') this.resync(outcome.instanceId, outcome.link);
  }

  lost(instanceId: string, reason: string): void {
    this.hooks.lost?.(instanceId, reason, this.routing.lost(instanceId, reason));
  }

  recovered(reason: string): void {
    const instances = this.routing.backendRecovered(this.transport.type);
    this.logger.info({ transport: this.transport.type, reason, instances }, 'transport backend recovered; its instances will be re-synced on their next heartbeat');
  }

  /**
   * A known instance is addressed as it registered; an unknown one by the link it beat over
   * alone (`service` and `version` empty), which the transport knows how to reach.
   */
  private resync(instanceId: string, link: InstanceLink): void {
    const known = this.routing.instance(instanceId);
    const target: DispatchTarget =
      known === undefined ? { instanceId, service: '', version: '', link } : { instanceId, service: known.service, version: known.version, link: known.link };
    this.transport.resync(target).catch((err: unknown) => {
      this.logger.warn({ err: (err as Error).message, instanceId, transport: this.transport.type }, 'RESYNC could not be sent');
    });
  }
}
