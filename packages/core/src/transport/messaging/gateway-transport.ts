/**
 * The gateway side of the Messaging router transport (docs/messaging-transport.md). Listens
 * first, then sends: the node's responses queue is subscribed in start(), before any REQUEST can
 * be dispatched. No timer runs per request; one slow sweep fails requests nobody aborted long
 * after their deadline. It reports control frames and backend recoveries; whether an instance
 * needs a RESYNC is the routing state's decision (core/src/routing/transport-feed.ts sends it).
 */
import { InvalidArgumentError, RequestCancelledError, TransportClosedError, TransportFailureError } from '../../errors.js';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { RateLimitStore } from '../../queue/rate-limit-store.js';
import type { Delivery, MessageQueue, MessageQueueFactory, QueueStats, Subscription } from '../../queue/types.js';
import type { CancelReason, DrainFrame, DrainPayload, Frame, HelloFrame, RequestPayload, ResponsePayload, ResyncFrame, UndrainFrame, UndrainPayload } from '../../protocol/frames.js';
import { newFrameId } from '../../protocol/ids.js';
import { unexpectedFrameTypeReason } from '../../queue/dead-letter-reasons.js';
import { makeFrame, withReplyTo } from '../../protocol/make-frame.js';
import {
  TransportType,
  type DispatchOptions,
  type DispatchTarget,
  type GatewayTransport,
  type GatewayTransportEvents,
  type InstanceLink,
  type TransportDeps,
} from '../types.js';
import { watchBackendRecovery } from './backend-recovery.js';
import { DepartedGateways } from './departed-gateways.js';
import { FrameQueues } from './frame-queues.js';
import type { FrameAuthenticator } from './frame-authenticator.js';
import { CONTROL_OPEN_WAIT_MS, resolveMessagingOptions, type MessagingTransportOptions, type MessagingTransportOptionsInput } from './options.js';
import { untilOpened } from '../../queue/subscription.js';
import { PendingRequests, type PendingEntry } from '../pending-requests.js';
import type { StreamDispatchOptions, StreamedResponse } from '../streaming/types.js';
import { MessagingGatewayStreams } from './gateway-streams.js';
import {
  GATEWAY_CONTROL_QUEUE,
  HEADER_REGION,
  HEADER_SERVICE,
  HEADER_VERSION,
  UNPLACED_REGION,
  gatewayResponsesQueue,
  parseServiceRequestsQueue,
  regionRequestsQueue,
  serviceControlQueue,
  serviceRequestsQueue,
} from './queue-names.js';

/** Counters of one gateway-side Messaging transport, for `/metrics`. All are totals since start except `pending`. */
// A type, not an interface, so it is a Readonly<Record<string, number>> as GatewayTransport.metrics() promises.
export type MessagingGatewayCounters = {
  /** REQUESTs enqueued. */
  readonly dispatched: number;
  /** RESPONSEs matched to a waiting request. */
  readonly responses: number;
  /** RESPONSEs for an unknown or already finished request (late, duplicate), dropped (docs/protocol.md §6). */
  readonly droppedResponses: number;
  /** CANCELs sent (abort of a dispatched request). */
  readonly cancels: number;
  /** RESYNCs sent (each one the routing state asked for). */
  readonly resyncs: number;
  /** DRAINs and UNDRAINs sent (each one an operator asked for). */
  readonly drains: number;
  readonly undrains: number;
  /** HELLO, HEARTBEAT and GOODBYE frames received. */
  readonly controlFrames: number;
  /** Frames of the wrong type for their queue, dead-lettered. */
  readonly rejectedFrames: number;
  /** Requests waiting for their RESPONSE now. */
  readonly pending: number;
  /** Frames refused as unauthenticated and dead-lettered (docs/messaging-transport.md, "Signed frames"); 0 when frames are unsigned. */
  readonly unauthenticatedFrames: number;
};

export interface MessagingGatewayTransportInit {
  readonly factory: MessageQueueFactory;
  readonly options?: MessagingTransportOptionsInput;
  /** Close the factory on stop() (true when the registry built it for this transport). @default false */
  readonly ownsFactory?: boolean;
  /** Signs every frame written and verifies every frame read (docs/messaging-transport.md, "Signed frames"). Unsigned when omitted. */
  readonly auth?: FrameAuthenticator;
}

/** A dispatched REQUEST waiting for its RESPONSE. */
interface Waiting extends PendingEntry {
  readonly target: DispatchTarget;
  readonly deadline: number;
  readonly resolve: (response: ResponsePayload) => void;
  readonly reject: (err: Error) => void;
}

/** The gateway side of `TransportType.Messaging` over any MessageQueueFactory. */
export class MessagingGatewayTransport implements GatewayTransport {
  readonly type = TransportType.Messaging;
  private readonly options: MessagingTransportOptions;
  private readonly queues: FrameQueues;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly nodeId: string;
  private readonly responsesName: string;
  private readonly pending = new PendingRequests<Waiting>((waiting, reason) => {
    this.sendCancel(waiting.target.service, waiting.id, reason);
    waiting.reject(new RequestCancelledError(waiting.id, reason));
  });
  private readonly requestQueues = new Map<string, MessageQueue<Frame>>();
  private readonly stopping = new AbortController();
  private events: GatewayTransportEvents | undefined;
  private subscriptions: Subscription[] = [];
  private stopSweep: (() => void) | undefined;
  private hygiene: DepartedGateways | undefined;
  private backendWatch: Promise<void> | undefined;
  private state: 'new' | 'started' | 'stopped' = 'new';
  private stopped: Promise<void> | undefined;
  private counters = { dispatched: 0, responses: 0, droppedResponses: 0, cancels: 0, resyncs: 0, drains: 0, undrains: 0, controlFrames: 0, rejectedFrames: 0 };
  /** Streamed exchanges (gateway-streams.ts). */
  private readonly streams: MessagingGatewayStreams;

  constructor(
    private readonly init: MessagingGatewayTransportInit,
    deps: TransportDeps,
  ) {
    if (deps.node === undefined) throw new InvalidArgumentError('deps.node', 'is required on the gateway side: its id names the responses queue');
    this.options = resolveMessagingOptions(init.options);
    this.queues = new FrameQueues(init.factory, this.options, init.auth);
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.nodeId = deps.node.id;
    this.responsesName = gatewayResponsesQueue(this.nodeId);
    this.streams = new MessagingGatewayStreams({
      queues: this.queues,
      clock: this.clock,
      logger: this.logger,
      responsesQueue: this.responsesName,
      blockMs: this.options.blockMs,
      signal: this.stopping.signal,
      dispatch: (target, request, options) => this.dispatch(target, request, options),
      cancel: (service, requestId, reason) => this.sendCancel(service, requestId, reason),
    });
  }

  async start(events: GatewayTransportEvents): Promise<void> {
    if (this.state !== 'new') throw new TransportClosedError('messaging', this.state === 'started' ? 'start twice' : 'start after stop');
    this.events = events;
    this.state = 'started';
    const signal = this.stopping.signal;
    const control = this.queues.queue(GATEWAY_CONTROL_QUEUE).subscribe((frame, delivery) => this.onControl(frame, delivery), {
      mode: 'fanout',
      concurrency: 64,
      blockMs: this.options.blockMs,
      signal,
    });
    this.subscriptions.push(
      control,
      // This node is the queue's one reader: a tail read (no group, no lease, no ack). Responses
      // read but not yet matched when the process dies are lost, with the clients waiting for them.
      this.queues.queue(this.responsesName).subscribe((frame, delivery) => this.onResponse(frame, delivery), {
        mode: 'tail',
        group: 'gateway',
        concurrency: this.options.concurrency,
        blockMs: this.options.blockMs,
        signal,
      }),
    );
    // A HELLO published once start() returned must be seen: the fan-out group exists first.
    await untilOpened(control, this.clock, CONTROL_OPEN_WAIT_MS);
    this.stopSweep = this.clock.every(1_000, () => this.failOverdue());
    this.backendWatch = this.watchBackend();
    const { keyHygiene } = this.init.factory;
    if (keyHygiene !== undefined && this.options.departedNodeGraceMs > 0) {
      this.hygiene = new DepartedGateways({
        hygiene: keyHygiene,
        nodeId: this.nodeId,
        graceMs: this.options.departedNodeGraceMs,
        deadLetterSuffix: this.options.deadLetterSuffix,
        clock: this.clock,
        logger: this.logger,
      });
      this.hygiene.start();
    }
    this.logger.info({ transport: 'messaging', backend: this.init.factory.backend, responses: this.responsesName }, 'messaging gateway transport started');
  }

  dispatch(target: DispatchTarget, request: Omit<RequestPayload, 'replyTo'>, options: DispatchOptions): Promise<ResponsePayload> {
    if (this.state !== 'started') return Promise.reject(new TransportClosedError('messaging', `dispatch request ${options.requestId ?? '(new)'}`));
    const { cancellation } = options;
    if (cancellation?.reason !== undefined) return Promise.reject(new RequestCancelledError(options.requestId ?? '(new)', cancellation.reason));
    const queue = this.requestQueue(target);
    return new Promise<ResponsePayload>((resolve, reject) => {
      // The pending table makes the id (it names the entry's slot) unless the caller chose one.
      const id = this.pending.add({ id: '', target, deadline: request.deadline, resolve, reject, cancellation }, options.requestId);
      const frame = makeFrame('REQUEST', withReplyTo(request, this.responsesName), { clock: this.clock, id, wireFormat: target.wireFormat });
      this.counters.dispatched += 1;
      queue.enqueue(frame).catch((err: unknown) => {
        const waiting = this.pending.take(id);
        if (waiting === undefined) return;
        waiting.reject(new TransportFailureError('messaging', `could not enqueue REQUEST ${id} to "${queue.name}": ${(err as Error).message}`, { cause: err }));
      });
    });
  }

  /** A streamed exchange (docs/messaging-transport.md, "Streamed bodies"). */
  dispatchStream(
    target: DispatchTarget,
    request: Omit<RequestPayload, 'replyTo' | 'stream' | 'body'>,
    body: AsyncIterable<Uint8Array> | undefined,
    options: StreamDispatchOptions,
  ): Promise<StreamedResponse> {
    if (this.state !== 'started') return Promise.reject(new TransportClosedError('messaging', `dispatch request ${options.requestId ?? '(new)'}`));
    return this.streams.dispatch(target, request, body, options);
  }

  /** Enqueues RESYNC on `service.<name>.control`; an unknown instance's service comes from its link (its requests queue). */
  async resync(target: DispatchTarget): Promise<void> {
    await this.toInstance(target, 'resync', { v: 1, type: 'RESYNC', id: newFrameId(), sentAt: this.clock.now(), payload: { instanceId: target.instanceId } }, 'resyncs');
  }

  /** Enqueues DRAIN on `service.<name>.control`, as RESYNC. */
  async drain(target: DispatchTarget, payload: DrainPayload): Promise<void> {
    await this.toInstance(target, 'drain', { v: 1, type: 'DRAIN', id: newFrameId(), sentAt: this.clock.now(), payload }, 'drains');
  }

  /** Enqueues UNDRAIN on `service.<name>.control`, as RESYNC. */
  async undrain(target: DispatchTarget, payload: UndrainPayload): Promise<void> {
    await this.toInstance(target, 'undrain', { v: 1, type: 'UNDRAIN', id: newFrameId(), sentAt: this.clock.now(), payload }, 'undrains');
  }

  /**
   * A frame for one instance goes to its service's control queue (every instance of the service
   * reads it; the one named acts). Counted as it starts sending, so the counter is exact at once.
   */
  private async toInstance(target: DispatchTarget, what: string, frame: ResyncFrame | DrainFrame | UndrainFrame, counter: 'resyncs' | 'drains' | 'undrains'): Promise<void> {
    if (this.state !== 'started') throw new TransportClosedError('messaging', `${what} ${target.instanceId}`);
    const service = target.service !== '' ? target.service : parseServiceRequestsQueue(target.link.address)?.service;
    if (service === undefined) {
      throw new TransportFailureError('messaging', `cannot ${what} instance ${target.instanceId}: its link "${target.link.address}" names no service requests queue`);
    }
    this.counters[counter] += 1;
    await this.queues.queue(serviceControlQueue(service)).enqueue(frame);
  }

  isReady(): boolean {
    return this.state === 'started' && this.init.factory.isReady() && this.subscriptions.every((s) => !s.isClosed());
  }

  /** Counters for `/metrics` (documented in docs/messaging-transport.md). */
  metrics(): MessagingGatewayCounters {
    return { ...this.counters, pending: this.pending.size, unauthenticatedFrames: this.init.auth?.counters.unauthenticated ?? 0 };
  }

  /** Stats of the queues this node reads or writes: its responses queue, `gateway.control`, and every requests queue it dispatched to. */
  queueStats(): Promise<Record<string, QueueStats>> {
    return this.queues.stats();
  }

  /** The backend's shared rate-limit store, if it has one (the gateway's `rateLimit.shared`). */
  rateLimitStore(): RateLimitStore | undefined {
    return this.init.factory.rateLimitStore?.();
  }

  /**
   * One of the transport's queues (a `service.<name>.<version>.requests` queue, a service control
   * queue, `gateway.control` or a responses queue) opened with the options the transport uses, for
   * the gateway's admin API: its stats, activity and dead letters.
   */
  adminQueue(queue: string): MessageQueue<Frame> {
    return parseServiceRequestsQueue(queue) === undefined ? this.queues.queue(queue) : this.queues.requests(queue);
  }

  stop(): Promise<void> {
    this.stopped ??= this.doStop();
    return this.stopped;
  }

  private async doStop(): Promise<void> {
    const wasStarted = this.state === 'started';
    this.state = 'stopped';
    this.stopSweep?.();
    this.hygiene?.stop();
    const cancels: Promise<void>[] = [];
    for (const waiting of this.pending.takeAll()) {
      if (wasStarted) cancels.push(this.enqueueCancel(waiting.target.service, waiting.id, 'shutdown'));
      waiting.reject(new TransportClosedError('messaging', `wait for the RESPONSE to ${waiting.id}`));
    }
    await Promise.all(cancels);
    this.stopping.abort();
    await Promise.all(this.subscriptions.map((s) => s.close()));
    await this.streams.close();
    await this.backendWatch;
    if (this.init.ownsFactory === true) await this.init.factory.close();
    this.logger.info({ transport: 'messaging', node: this.nodeId }, 'messaging gateway transport stopped');
  }

  /**
   * After the backend comes back from a loss (or recreated a consumer group: the server lost its
   * data), frames may have been missed, HELLOs among them: reported as `recovered`, so the routing
   * state asks every instance for its HELLO on its next HEARTBEAT and the view heals within one
   * heartbeat interval. Never rejects; ends when the transport stops or the status stream ends.
   */
  private watchBackend(): Promise<void> {
    const what = 'a recovered backend will not be reported to routing';
    return watchBackendRecovery(this.init.factory, this.stopping.signal, { groupRecreated: true, logger: this.logger, what }, (event) => {
      this.logger.info({ node: this.nodeId, event }, 'backend recovered');
      this.report(() => this.events?.recovered?.(event), 'backend recovery');
    });
  }

  /** Returns nothing once matched or dropped: the read loop settles the delivery at once. */
  private onResponse(frame: Frame, delivery: Delivery<Frame>): Promise<void> | undefined {
    if (frame.type !== 'RESPONSE') return this.reject(frame, delivery, this.responsesName);
    const waiting = this.pending.take(frame.id);
    if (waiting === undefined) {
      this.counters.droppedResponses += 1;
      this.logger.debug({ requestId: frame.id, instanceId: frame.payload.instanceId }, 'RESPONSE for an unknown or finished request dropped');
      return undefined;
    }
    this.counters.responses += 1;
    waiting.resolve(frame.payload);
    return undefined;
  }

  /** Returns nothing once reported: the read loop settles the delivery without waiting on a promise. */
  private onControl(frame: Frame, delivery: Delivery<Frame>): Promise<void> | undefined {
    if (frame.type !== 'HELLO' && frame.type !== 'HEARTBEAT' && frame.type !== 'GOODBYE') return this.reject(frame, delivery, GATEWAY_CONTROL_QUEUE);
    this.counters.controlFrames += 1;
    const link = frame.type === 'HELLO' ? helloLink(frame) : linkFromHeaders(delivery.headers);
    this.report(() => this.events?.control(frame, link), `${frame.type} ${frame.id}`);
    return undefined;
  }

  /** Reports an event; a throwing sink is logged, never allowed to stop a read loop. */
  private report(event: () => void, what: string): void {
    try {
      event();
    } catch (err) {
      this.logger.error({ err, what }, 'the gateway failed to take a transport event');
    }
  }

  private sendCancel(service: string, requestId: string, reason: CancelReason): void {
    void this.enqueueCancel(service, requestId, reason);
  }

  /** Never rejects: a CANCEL that cannot be sent is logged (the instance still stops at the deadline). */
  private async enqueueCancel(service: string, requestId: string, reason: CancelReason): Promise<void> {
    this.counters.cancels += 1;
    try {
      await this.queues
        .queue(serviceControlQueue(service))
        .enqueue({ v: 1, type: 'CANCEL', id: requestId, sentAt: this.clock.now(), payload: { reason } });
    } catch (err) {
      this.logger.warn({ err, requestId }, 'CANCEL could not be sent');
    }
  }

  /**
   * The queue of the target's region: its link (from its HELLO) names it. The instance selector
   * chose the target, so the gateway's own region comes first (routing/instance-selector.ts).
   */
  private requestQueue(target: DispatchTarget): MessageQueue<Frame> {
    const key = target.link.address;
    let queue = this.requestQueues.get(key);
    if (queue === undefined) {
      const name = parseServiceRequestsQueue(key) === undefined ? serviceRequestsQueue(target.service, target.version) : key;
      queue = this.queues.requests(name);
      this.requestQueues.set(key, queue);
    }
    return queue;
  }

  /** Safety net: a request nobody aborted is failed `pendingGraceMs` after its deadline, with a CANCEL. */
  private failOverdue(): void {
    const cutoff = this.clock.now() - this.options.pendingGraceMs;
    for (const waiting of this.pending.takeWhere((p) => p.deadline < cutoff)) {
      this.sendCancel(waiting.target.service, waiting.id, 'timeout');
      waiting.reject(new RequestCancelledError(waiting.id, 'timeout'));
    }
  }

  private reject(frame: Frame, delivery: Delivery<Frame>, queue: string): Promise<void> {
    this.counters.rejectedFrames += 1;
    this.logger.warn({ queue, frame: frame.type, id: frame.id }, 'frame of the wrong type for its queue dead-lettered');
    return delivery.deadLetter(unexpectedFrameTypeReason(frame.type, queue));
  }
}

/** A HELLO names its service, version and region: its link is their requests queue. */
function helloLink(frame: HelloFrame): InstanceLink {
  const { service, version, region } = frame.payload.instance;
  return { transport: TransportType.Messaging, address: regionRequestsQueue(service, version, region) };
}

/** HEARTBEAT and GOODBYE name only the instance; the SDK's queue headers name its service, version and region. */
function linkFromHeaders(headers: Readonly<Record<string, string>>): InstanceLink {
  const service = headers[HEADER_SERVICE];
  const version = headers[HEADER_VERSION];
  const address = service !== undefined && version !== undefined ? regionRequestsQueue(service, version, headers[HEADER_REGION] ?? UNPLACED_REGION) : '';
  return { transport: TransportType.Messaging, address };
}
