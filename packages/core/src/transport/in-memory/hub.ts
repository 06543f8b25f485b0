/**
 * `TransportType.InMemory`: gateway and instances in one process, frames passed by reference
 * (tests, embedding, the zero-setup demo). A hub links any number of gateway-side and
 * instance-side transports; hubs are found by name so config entries (`{ type: inmemory, hub }`)
 * on both sides meet. No queue, so no redelivery: a REQUEST runs exactly once or fails.
 */
import { InvalidArgumentError, RequestCancelledError, TransportClosedError, TransportFailureError } from '../../errors.js';
import type { Clock } from '../../clock.js';
import type { ControlFrame, DrainPayload, UndrainPayload, HeartbeatPayload, HelloPayload, RequestPayload, ResponsePayload } from '../../protocol/frames.js';
import { newFrameId } from '../../protocol/ids.js';
import { Cancellation, type CancelListener } from '../cancellation.js';
import {
  TransportType,
  type DispatchOptions,
  type DispatchTarget,
  type GatewayTransport,
  type GatewayTransportEvents,
  type InstanceLink,
  type InstanceRequestHandler,
  type InstanceTransport,
  type InstanceTransportEvents,
  type TransportDeps,
} from '../types.js';

const LINK_PREFIX = 'inmemory:';

/** Links in-process gateway and instance transports. */
export class InMemoryHub {
  private readonly gateways = new Set<GatewayTransportEvents>();
  private readonly instances = new Map<string, { handle: InstanceRequestHandler; accepting: boolean; events: InstanceTransportEvents | undefined }>();

  constructor(readonly name: string) {}

  /** A gateway-side transport on this hub. */
  gatewayTransport(deps: TransportDeps): GatewayTransport {
    return new InMemoryGatewayTransport(this, deps.clock);
  }

  /** An instance-side transport on this hub. */
  instanceTransport(deps: TransportDeps): InstanceTransport {
    return new InMemoryInstanceTransport(this, deps.clock);
  }

  /** @internal */
  attachGateway(events: GatewayTransportEvents): void {
    this.gateways.add(events);
  }

  /** @internal */
  detachGateway(events: GatewayTransportEvents): void {
    this.gateways.delete(events);
  }

  /** @internal */
  broadcast(frame: ControlFrame): void {
    const link: InstanceLink = { transport: TransportType.InMemory, address: `${LINK_PREFIX}${this.name}` };
    for (const g of this.gateways) g.control(frame, link);
  }

  /** @internal */
  register(instanceId: string, handle: InstanceRequestHandler, events: InstanceTransportEvents | undefined): void {
    this.instances.set(instanceId, { handle, accepting: true, events });
  }

  /** @internal Hands a DRAIN or an UNDRAIN to the instance; false when it is not on this hub. */
  drain(instanceId: string, payload: DrainPayload | UndrainPayload, undo: boolean): boolean {
    const entry = this.instances.get(instanceId);
    if (entry === undefined) return false;
    if (undo) entry.events?.undrain(payload);
    else entry.events?.drain(payload);
    return true;
  }

  /** @internal */
  stopAccepting(instanceId: string): void {
    const entry = this.instances.get(instanceId);
    if (entry !== undefined) entry.accepting = false;
  }

  /** @internal */
  unregister(instanceId: string): void {
    if (!this.instances.delete(instanceId)) return;
    for (const g of this.gateways) g.lost(instanceId, 'in-memory instance closed');
  }

  /** @internal */
  handlerOf(instanceId: string): InstanceRequestHandler | undefined {
    const entry = this.instances.get(instanceId);
    return entry?.accepting === true ? entry.handle : undefined;
  }
}

const hubs = new Map<string, InMemoryHub>();

/** The process-wide hub called `name` (created on first use). @default name 'default' */
export function inMemoryHub(name = 'default'): InMemoryHub {
  if (typeof name !== 'string' || name.length === 0) throw InvalidArgumentError.format('hub', 'a non-empty string', name);
  let hub = hubs.get(name);
  if (hub === undefined) {
    hub = new InMemoryHub(name);
    hubs.set(name, hub);
  }
  return hub;
}

class InMemoryGatewayTransport implements GatewayTransport {
  readonly type = TransportType.InMemory;
  private events: GatewayTransportEvents | undefined;
  private readonly waiting = new Map<string, () => void>();
  private stopped = false;

  constructor(
    private readonly hub: InMemoryHub,
    private readonly clock: Clock,
  ) {}

  async start(events: GatewayTransportEvents): Promise<void> {
    if (this.stopped) throw new TransportClosedError('inmemory', 'start after stop');
    this.events = events;
    this.hub.attachGateway(events);
  }

  dispatch(target: DispatchTarget, request: Omit<RequestPayload, 'replyTo'>, options: DispatchOptions): Promise<ResponsePayload> {
    const id = options.requestId ?? newFrameId();
    if (this.stopped || this.events === undefined) return Promise.reject(new TransportClosedError('inmemory', `dispatch request ${id}`));
    const { cancellation } = options;
    if (cancellation?.reason !== undefined) return Promise.reject(new RequestCancelledError(id, cancellation.reason));
    const handle = this.hub.handlerOf(target.instanceId);
    if (handle === undefined) return Promise.reject(new TransportFailureError('inmemory', `instance ${target.instanceId} is not connected to hub "${this.hub.name}"`));
    const onInstance = new Cancellation();
    return new Promise<ResponsePayload>((resolve, reject) => {
      let settled = false;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        cancellation?.offCancel(onCancel);
        this.waiting.delete(id);
        return true;
      };
      const onCancel: CancelListener = (reason) => {
        if (!finish()) return;
        onInstance.cancel(reason);
        reject(new RequestCancelledError(id, reason));
      };
      cancellation?.onCancel(onCancel);
      this.waiting.set(id, () => {
        if (!finish()) return;
        onInstance.cancel('shutdown');
        reject(new TransportClosedError('inmemory', `wait for the RESPONSE to ${id}`));
      });
      const frame = { v: 1 as const, type: 'REQUEST' as const, id, sentAt: this.clock.now(), payload: { ...request, replyTo: `${LINK_PREFIX}${this.hub.name}` } };
      handle(frame, onInstance).then(
        (answer) => {
          if (finish()) resolve({ ...answer, instanceId: target.instanceId });
        },
        (err: unknown) => {
          if (finish()) reject(new TransportFailureError('inmemory', `handler of ${target.instanceId} failed: ${(err as Error).message}`, { cause: err }));
        },
      );
    });
  }

  async resync(): Promise<void> {
    // Frames pass by reference and HELLO is delivered synchronously: there is nothing to re-learn.
  }

  async drain(target: DispatchTarget, payload: DrainPayload): Promise<void> {
    this.toInstance(target, payload, false);
  }

  async undrain(target: DispatchTarget, payload: UndrainPayload): Promise<void> {
    this.toInstance(target, payload, true);
  }

  private toInstance(target: DispatchTarget, payload: DrainPayload, undo: boolean): void {
    if (this.stopped) throw new TransportClosedError('inmemory', `${undo ? 'undrain' : 'drain'} ${target.instanceId}`);
    if (!this.hub.drain(target.instanceId, payload, undo)) throw new TransportFailureError('inmemory', `instance ${target.instanceId} is not connected to hub "${this.hub.name}"`);
  }

  isReady(): boolean {
    return !this.stopped && this.events !== undefined;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const fail of [...this.waiting.values()]) fail();
    if (this.events !== undefined) this.hub.detachGateway(this.events);
  }
}

class InMemoryInstanceTransport implements InstanceTransport {
  readonly type = TransportType.InMemory;
  private hello: HelloPayload | undefined;
  private closed = false;

  constructor(
    private readonly hub: InMemoryHub,
    private readonly clock: Clock,
  ) {}

  async start(hello: HelloPayload, handle: InstanceRequestHandler, events?: InstanceTransportEvents): Promise<void> {
    if (this.hello !== undefined || this.closed) throw new TransportClosedError('inmemory', 'start an instance transport twice');
    this.hello = { ...hello, instance: { ...hello.instance, address: `${LINK_PREFIX}${this.hub.name}` } };
    // The deadline check a queue transport does on delivery: a REQUEST past it never runs.
    this.hub.register(hello.instance.instanceId, (frame, cancellation) =>
      this.clock.now() > frame.payload.deadline ? Promise.reject(new Error('deadline passed before the REQUEST ran')) : handle(frame, cancellation),
      events,
    );
    this.hub.broadcast({ v: 1, type: 'HELLO', id: newFrameId(), sentAt: this.clock.now(), payload: this.hello });
  }

  async heartbeat(payload: HeartbeatPayload): Promise<void> {
    if (this.hello === undefined || this.closed) throw new TransportClosedError('inmemory', 'send a HEARTBEAT');
    this.hub.broadcast({ v: 1, type: 'HEARTBEAT', id: newFrameId(), sentAt: this.clock.now(), payload });
  }

  async goodbye(): Promise<void> {
    if (this.hello === undefined || this.closed) return;
    const instanceId = this.hello.instance.instanceId;
    this.hub.stopAccepting(instanceId);
    this.hub.broadcast({ v: 1, type: 'GOODBYE', id: newFrameId(), sentAt: this.clock.now(), payload: { instanceId } });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.hello !== undefined) this.hub.unregister(this.hello.instance.instanceId);
  }

  isReady(): boolean {
    return this.hello !== undefined && !this.closed;
  }
}
