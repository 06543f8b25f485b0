/**
 * The gateway side of the Messaging router transport (SPEC §5). Listens first, then sends: the
 * node's responses queue is subscribed in start(), before any REQUEST can be dispatched.
 * No timer runs per request; one slow sweep fails requests nobody aborted long after their deadline.
 */
import { InvalidArgumentError, RequestCancelledError, TransportClosedError, TransportFailureError } from '../../errors.js';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { Delivery, MessageQueue, MessageQueueFactory, QueueStats, Subscription } from '../../queue/types.js';
import type { CancelReason, ControlFrame, Frame, RequestFrame, RequestPayload, ResponsePayload } from '../../protocol/frames.js';
import { newFrameId } from '../../protocol/ids.js';
import { withReplyTo } from '../../protocol/make-frame.js';
import {
  TransportType,
  type DispatchOptions,
  type DispatchTarget,
  type GatewayTransport,
  type GatewayTransportEvents,
  type InstanceLink,
  type TransportDeps,
} from '../types.js';
import { FrameQueues } from './frame-queues.js';
import { resolveMessagingOptions, type MessagingTransportOptions, type MessagingTransportOptionsInput } from './options.js';
import { PendingRequests, type PendingEntry } from '../pending-requests.js';
import {
  GATEWAY_CONTROL_QUEUE,
  HEADER_SERVICE,
  HEADER_VERSION,
  gatewayResponsesQueue,
  parseServiceRequestsQueue,
  serviceControlQueue,
  serviceRequestsQueue,
} from './queue-names.js';

/** Counters of one gateway-side Messaging transport, for `/metrics`. All are totals since start except `pending`. */
export interface MessagingGatewayCounters {
  /** REQUESTs enqueued. */
  readonly dispatched: number;
  /** RESPONSEs matched to a waiting request. */
  readonly responses: number;
  /** RESPONSEs for an unknown or already finished request (late, duplicate), dropped (SPEC §4). */
  readonly droppedResponses: number;
  /** CANCELs sent (abort of a dispatched request). */
  readonly cancels: number;
  /** RESYNCs sent (asked for, or for a HEARTBEAT from an instance without a known HELLO). */
  readonly resyncs: number;
  /** HELLO, HEARTBEAT and GOODBYE frames received. */
  readonly controlFrames: number;
  /** Frames of the wrong type for their queue, dead-lettered. */
  readonly rejectedFrames: number;
  /** Requests waiting for their RESPONSE now. */
  readonly pending: number;
}

export interface MessagingGatewayTransportInit {
  readonly factory: MessageQueueFactory;
  readonly options?: MessagingTransportOptionsInput;
  /** Close the factory on stop() (true when the registry built it for this transport). @default false */
  readonly ownsFactory?: boolean;
}

interface KnownInstance {
  readonly endpointsHash: string;
  readonly link: InstanceLink;
}

const DONE: Promise<void> = Promise.resolve();

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
  private readonly known = new Map<string, KnownInstance>();
  private readonly lastResyncAt = new Map<string, number>();
  private readonly requestQueues = new Map<string, MessageQueue<Frame>>();
  private readonly stopping = new AbortController();
  private events: GatewayTransportEvents | undefined;
  private subscriptions: Subscription[] = [];
  private stopSweep: (() => void) | undefined;
  private backendWatch: Promise<void> | undefined;
  private state: 'new' | 'started' | 'stopped' = 'new';
  private stopped: Promise<void> | undefined;
  private counters = { dispatched: 0, responses: 0, droppedResponses: 0, cancels: 0, resyncs: 0, controlFrames: 0, rejectedFrames: 0 };

  constructor(
    private readonly init: MessagingGatewayTransportInit,
    deps: TransportDeps,
  ) {
    if (deps.node === undefined) throw new InvalidArgumentError('deps.node', 'is required on the gateway side: its id names the responses queue');
    this.options = resolveMessagingOptions(init.options);
    this.queues = new FrameQueues(init.factory, this.options);
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.nodeId = deps.node.id;
    this.responsesName = gatewayResponsesQueue(this.nodeId);
  }

  async start(events: GatewayTransportEvents): Promise<void> {
    if (this.state !== 'new') throw new TransportClosedError('messaging', this.state === 'started' ? 'start twice' : 'start after stop');
    this.events = events;
    this.state = 'started';
    const signal = this.stopping.signal;
    this.subscriptions.push(
      this.queues.queue(this.responsesName).subscribe((frame, delivery) => this.onResponse(frame, delivery), {
        group: 'gateway',
        concurrency: this.options.concurrency,
        blockMs: this.options.blockMs,
        signal,
      }),
      this.queues.queue(GATEWAY_CONTROL_QUEUE).subscribe((frame, delivery) => this.onControl(frame, delivery), {
        mode: 'fanout',
        concurrency: 64,
        blockMs: this.options.blockMs,
        signal,
      }),
    );
    this.stopSweep = this.clock.every(1_000, () => this.failOverdue());
    this.backendWatch = this.watchBackend();
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
      const frame: RequestFrame = { v: 1, type: 'REQUEST', id, sentAt: this.clock.now(), payload: withReplyTo(request, this.responsesName) };
      this.counters.dispatched += 1;
      queue.enqueue(frame).catch((err: unknown) => {
        const waiting = this.pending.take(id);
        if (waiting === undefined) return;
        waiting.reject(new TransportFailureError('messaging', `could not enqueue REQUEST ${id} to "${queue.name}": ${(err as Error).message}`, { cause: err }));
      });
    });
  }

  async resync(target: DispatchTarget): Promise<void> {
    if (this.state !== 'started') throw new TransportClosedError('messaging', `resync ${target.instanceId}`);
    // The gateway asks for the same RESYNC that track() may have just sent for this HEARTBEAT:
    // one rate limit for both keeps it to one RESYNC per instance per resyncMinIntervalMs.
    if (!this.resyncDue(target.instanceId)) return;
    await this.sendResync(target.service, target.instanceId);
  }

  isReady(): boolean {
    return this.state === 'started' && this.init.factory.isReady() && this.subscriptions.every((s) => !s.isClosed());
  }

  /** Counters for `/metrics` (documented in docs/messaging-transport.md). */
  metrics(): MessagingGatewayCounters {
    return { ...this.counters, pending: this.pending.size };
  }

  /** Stats of the queues this node reads or writes: its responses queue, `gateway.control`, and every requests queue it dispatched to. */
  queueStats(): Promise<Record<string, QueueStats>> {
    return this.queues.stats();
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
    const cancels: Promise<void>[] = [];
    for (const waiting of this.pending.takeAll()) {
      if (wasStarted) cancels.push(this.enqueueCancel(waiting.target.service, waiting.id, 'shutdown'));
      waiting.reject(new TransportClosedError('messaging', `wait for the RESPONSE to ${waiting.id}`));
    }
    await Promise.all(cancels);
    this.stopping.abort();
    await Promise.all(this.subscriptions.map((s) => s.close()));
    await this.backendWatch;
    if (this.init.ownsFactory === true) await this.init.factory.close();
    this.logger.info({ transport: 'messaging', node: this.nodeId }, 'messaging gateway transport stopped');
  }

  /**
   * After the backend comes back from a loss (or recreated a consumer group: the server lost its
   * data), frames may have been missed, HELLOs among them. Forgetting which HELLOs were seen makes
   * the next HEARTBEAT of every instance trigger a RESYNC, so the view heals within one heartbeat
   * interval. Never rejects; ends when the transport stops or the status stream ends.
   */
  private async watchBackend(): Promise<void> {
    const iterator = this.init.factory.status()[Symbol.asyncIterator]();
    const signal = this.stopping.signal;
    const stopped = new Promise<null>((resolve) => {
      if (signal.aborted) resolve(null);
      else signal.addEventListener('abort', () => resolve(null), { once: true });
    });
    let lost = false;
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), stopped]);
        if (next === null || next.done === true) return;
        const status = next.value;
        if (status.type === 'disconnected' || status.type === 'reconnecting') lost = true;
        else if ((status.type === 'connected' && lost) || status.type === 'group-recreated') {
          lost = false;
          this.known.clear();
          this.lastResyncAt.clear();
          this.logger.info({ node: this.nodeId, event: status.type }, 'backend recovered; instances will be re-synced on their next heartbeat');
        }
      }
    } catch (err) {
      this.logger.warn({ err }, 'backend status stream failed');
    } finally {
      void iterator.return?.();
    }
  }

  private onResponse(frame: Frame, delivery: Delivery<Frame>): Promise<void> {
    if (frame.type !== 'RESPONSE') return this.reject(frame, delivery, this.responsesName);
    const waiting = this.pending.take(frame.id);
    if (waiting === undefined) {
      this.counters.droppedResponses += 1;
      this.logger.debug({ requestId: frame.id, instanceId: frame.payload.instanceId }, 'RESPONSE for an unknown or finished request dropped');
      return DONE;
    }
    this.counters.responses += 1;
    waiting.resolve(frame.payload);
    return DONE;
  }

  private onControl(frame: Frame, delivery: Delivery<Frame>): Promise<void> {
    if (frame.type !== 'HELLO' && frame.type !== 'HEARTBEAT' && frame.type !== 'GOODBYE') return this.reject(frame, delivery, GATEWAY_CONTROL_QUEUE);
    this.counters.controlFrames += 1;
    const link = this.track(frame, delivery.headers);
    try {
      this.events?.control(frame, link);
    } catch (err) {
      this.logger.error({ err, frame: frame.type, id: frame.id }, 'routing state rejected a control frame');
    }
    return DONE;
  }

  /** Keeps what the node needs to address an instance, and RESYNCs one it sees beat without a matching HELLO (SPEC §5). */
  private track(frame: ControlFrame, headers: Readonly<Record<string, string>>): InstanceLink {
    if (frame.type === 'HELLO') {
      const { instance, endpointsHash } = frame.payload;
      const link: InstanceLink = { transport: TransportType.Messaging, address: serviceRequestsQueue(instance.service, instance.version) };
      this.known.set(instance.instanceId, { endpointsHash, link });
      this.lastResyncAt.delete(instance.instanceId);
      return link;
    }
    const instanceId = frame.payload.instanceId;
    const known = this.known.get(instanceId);
    if (frame.type === 'GOODBYE') {
      this.known.delete(instanceId);
      this.lastResyncAt.delete(instanceId);
      return known?.link ?? this.linkFromHeaders(headers);
    }
    if (known === undefined || known.endpointsHash !== frame.payload.endpointsHash) {
      const service = headers[HEADER_SERVICE];
      if (service !== undefined) this.maybeResync(service, instanceId);
    }
    return known?.link ?? this.linkFromHeaders(headers);
  }

  private linkFromHeaders(headers: Readonly<Record<string, string>>): InstanceLink {
    const service = headers[HEADER_SERVICE];
    const version = headers[HEADER_VERSION];
    const address = service !== undefined && version !== undefined ? serviceRequestsQueue(service, version) : '';
    return { transport: TransportType.Messaging, address };
  }

  /** True (and the time noted) when no RESYNC went to `instanceId` within resyncMinIntervalMs. */
  private resyncDue(instanceId: string): boolean {
    const now = this.clock.now();
    const last = this.lastResyncAt.get(instanceId);
    if (last !== undefined && now - last < this.options.resyncMinIntervalMs) return false;
    this.lastResyncAt.set(instanceId, now);
    return true;
  }

  private maybeResync(service: string, instanceId: string): void {
    if (!this.resyncDue(instanceId)) return;
    this.sendResync(service, instanceId).catch((err: unknown) => {
      this.logger.warn({ err, instanceId }, 'RESYNC could not be sent');
    });
  }

  private async sendResync(service: string, instanceId: string): Promise<void> {
    this.counters.resyncs += 1;
    await this.queues.queue(serviceControlQueue(service)).enqueue({ v: 1, type: 'RESYNC', id: newFrameId(), sentAt: this.clock.now(), payload: { instanceId } });
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

  private requestQueue(target: DispatchTarget): MessageQueue<Frame> {
    const key = `${target.service}\u0000${target.version}`;
    let queue = this.requestQueues.get(key);
    if (queue === undefined) {
      queue = this.queues.requests(serviceRequestsQueue(target.service, target.version));
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
    return delivery.deadLetter(`unexpected-frame-type: ${frame.type} on ${queue}`);
  }
}
