/**
 * The instance side of the Messaging router transport (docs/messaging-transport.md). Pulls REQUESTs from
 * its region's `service.<name>.<version>@<region>.requests` (`service.<name>.<version>.requests`
 * when it states no region) with a batched, high-concurrency subscription (the lease of
 * each REQUEST is renewed by core's subscribe loop while its handler runs), answers on the
 * REQUEST's `replyTo`, and listens on `service.<name>.control` for CANCEL, RESYNC, DRAIN and UNDRAIN.
 */
import { ERROR_CODES, hasCode, InvalidArgumentError, TransportClosedError } from '../../errors.js';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { Delivery, MessageQueue, MessageQueueFactory, QueueStats, Subscription } from '../../queue/types.js';
import type { ControlFrame, Frame, HeartbeatPayload, HelloPayload, RequestFrame, ResponseFrame } from '../../protocol/frames.js';
import { newFrameId } from '../../protocol/ids.js';
import { makeFrame } from '../../protocol/make-frame.js';
import { invalidReplyToReason, unexpectedFrameTypeReason } from '../../queue/dead-letter-reasons.js';
import { Cancellation } from '../cancellation.js';
import { TransportType, type InstanceRequestHandler, type InstanceTransport, type InstanceTransportEvents, type TransportDeps } from '../types.js';
import { ExecutedRequests } from './executed-requests.js';
import { SharedRunOnce, type SharedRunOnceCounters } from './shared-run-once.js';
import { RecentIds } from './recent-ids.js';
import { watchBackendRecovery } from './backend-recovery.js';
import { FrameQueues } from './frame-queues.js';
import { MessagingInstanceStreams } from './instance-streams.js';
import type { FrameAuthenticator } from './frame-authenticator.js';
import { CONTROL_OPEN_WAIT_MS, resolveMessagingOptions, type MessagingTransportOptions, type MessagingTransportOptionsInput } from './options.js';
import { untilOpened } from '../../queue/subscription.js';
import {
  GATEWAY_CONTROL_QUEUE,
  HEADER_REGION,
  HEADER_SERVICE,
  HEADER_VERSION,
  isGatewayResponsesQueue,
  regionRequestsQueue,
  serviceControlQueue,
} from './queue-names.js';

/** Counters of one instance-side Messaging transport. Totals since start except `running`. */
export interface MessagingInstanceCounters {
  /** REQUESTs whose handler ran to an answer. */
  readonly handled: number;
  /** REQUESTs acked and dropped because their deadline had passed (never run). */
  readonly expired: number;
  /** Redeliveries answered from the stored RESPONSE or joined to the running handler (not run again). */
  readonly replayed: number;
  /** Handlers aborted by CANCEL or by their deadline (no RESPONSE sent). */
  readonly aborted: number;
  /** CANCEL frames received (for this instance's REQUESTs or another's). */
  readonly cancels: number;
  /** REQUESTs acked and dropped because their CANCEL arrived before them (never run). */
  readonly cancelledBeforeStart: number;
  /** Frames of the wrong type or with an invalid replyTo, dead-lettered. */
  readonly rejectedFrames: number;
  /** Handlers running now. */
  readonly running: number;
  /** Frames refused as unauthenticated and dead-lettered (docs/messaging-transport.md, "Signed frames"); 0 when frames are unsigned. */
  readonly unauthenticatedFrames: number;
  /** Handlers told to stop because this instance lost their REQUEST's lease (their signal aborted with `lease-lost`). */
  readonly leaseLost: number;
  /** RESPONSEs whose enqueue failed after their REQUEST's ack was sent behind them (a backend with `orderedWrites`). */
  readonly unsentResponses: number;
  /** With `runOnce.scope: shared` (docs/messaging-transport.md, "Run once across instances"); undefined otherwise. */
  readonly runOnce?: SharedRunOnceCounters;
}

export interface MessagingInstanceTransportInit {
  readonly factory: MessageQueueFactory;
  readonly options?: MessagingTransportOptionsInput;
  /** Close the factory on close() (true when the registry built it for this transport). @default false */
  readonly ownsFactory?: boolean;
  /** Signs every frame written and verifies every frame read (docs/messaging-transport.md, "Signed frames"). Unsigned when omitted. */
  readonly auth?: FrameAuthenticator;
}

interface Running {
  readonly cancellation: Cancellation;
  readonly deadline: number;
}

/** The longest timer Node accepts (~24.8 days): no drain limit of the subscription's own. */
const NO_DRAIN_LIMIT_MS = 2_147_483_647;

const DONE: Promise<void> = Promise.resolve();
const HANDLER_FAILED = new TextEncoder().encode(
  JSON.stringify({ error: { code: 'SY_HANDLER_FAILED', message: 'the handler failed before answering' } }),
);

/** The instance side of `TransportType.Messaging` over any MessageQueueFactory. */
export class MessagingInstanceTransport implements InstanceTransport {
  readonly type = TransportType.Messaging;
  private readonly options: MessagingTransportOptions;
  private readonly queues: FrameQueues;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly executed: ExecutedRequests;
  /** CANCELs for REQUESTs not running here: the REQUEST may still be queued, and must then not run. */
  private readonly earlyCancels: RecentIds;
  private readonly running = new Map<string, Running>();
  private readonly responseQueues = new Map<string, MessageQueue<Frame>>();
  /** Aborted by drain() or goodbye(): stops pulling REQUESTs. undrain() starts pulling again with a new one. */
  private intake = new AbortController();
  /** Aborted by close(): stops the control subscription. */
  private readonly closing = new AbortController();
  private hello: HelloPayload | undefined;
  private handle: InstanceRequestHandler | undefined;
  private events: InstanceTransportEvents | undefined;
  /** The last HEARTBEAT sent; after drain() it follows every HELLO, since a HELLO alone registers the instance healthy. */
  private lastHeartbeat: HeartbeatPayload | undefined;
  private headers: Readonly<Record<string, string>> = {};
  private gatewayControl: MessageQueue<Frame> | undefined;
  private requestsSub: Subscription | undefined;
  /** REQUEST subscriptions a drain ended; close() waits for their handlers too. */
  private readonly drainedSubs: Subscription[] = [];
  private requestsName = '';
  private controlSub: Subscription | undefined;
  private stopDeadlineCheck: (() => void) | undefined;
  private backendWatch: Promise<void> | undefined;
  private state: 'new' | 'started' | 'leaving' | 'closed' = 'new';
  private closed: Promise<void> | undefined;
  private counters = { handled: 0, expired: 0, replayed: 0, aborted: 0, cancels: 0, cancelledBeforeStart: 0, rejectedFrames: 0, leaseLost: 0, unsentResponses: 0 };
  /** The factory's `capabilities.orderedWrites`: a REQUEST's ack may follow its RESPONSE without waiting for it. */
  private readonly orderedWrites: boolean;
  /** Set at start() when `runOnce.scope` is `shared`. */
  private shared: SharedRunOnce | undefined;
  /** Streamed exchanges (instance-streams.ts); made at start(), since its queue is named for the instance. */
  private streams: MessagingInstanceStreams | undefined;

  constructor(
    private readonly init: MessagingInstanceTransportInit,
    deps: TransportDeps,
  ) {
    this.options = resolveMessagingOptions(init.options);
    this.queues = new FrameQueues(init.factory, this.options, init.auth);
    this.orderedWrites = init.factory.capabilities.orderedWrites === true;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.executed = new ExecutedRequests(this.options.replayCacheSize, this.options.replayTtlMs, this.options.replayCacheBytes);
    this.earlyCancels = new RecentIds(this.options.replayCacheSize, this.options.replayTtlMs);
    if (this.options.runOnce.scope === 'shared' && init.factory.runOnceStore?.() === undefined) {
      throw InvalidArgumentError.format('runOnce.scope', `"instance": backend "${init.factory.backend}" has no shared run-once store`, 'shared');
    }
  }

  async start(hello: HelloPayload, handle: InstanceRequestHandler, events?: InstanceTransportEvents): Promise<void> {
    if (this.state !== 'new') throw new TransportClosedError('messaging', 'start an instance transport twice');
    this.events = events;
    const { service, version, region } = hello.instance;
    // The instance's region's queue (the version's queue for an instance that states no region).
    const requestsName = regionRequestsQueue(service, version, region);
    // The address is the transport's to fill: where this instance takes its REQUESTs.
    this.hello = { ...hello, instance: { ...hello.instance, address: `messaging:${requestsName}` } };
    this.handle = handle;
    this.headers = Object.freeze({ [HEADER_SERVICE]: service, [HEADER_VERSION]: version, [HEADER_REGION]: region });
    this.gatewayControl = this.queues.queue(GATEWAY_CONTROL_QUEUE);
    const store = this.options.runOnce.scope === 'shared' ? this.init.factory.runOnceStore?.() : undefined;
    if (store !== undefined) this.shared = new SharedRunOnce(store, this.options.runOnce, hello.instance.instanceId, this.clock, this.logger);
    this.streams = new MessagingInstanceStreams({
      queues: this.queues,
      clock: this.clock,
      logger: this.logger,
      instanceId: hello.instance.instanceId,
      blockMs: this.options.blockMs,
      signal: this.closing.signal,
      track: (id, cancellation) => this.running.set(id, { cancellation, deadline: Number.POSITIVE_INFINITY }),
      untrack: (id) => this.running.delete(id),
      reply: (replyTo, response) => this.reply(replyTo, response),
    });
    this.state = 'started';
    // Listen first (RESYNC, CANCEL), then pull, then announce.
    this.controlSub = this.queues.queue(serviceControlQueue(service)).subscribe((frame, delivery) => this.onControl(frame, delivery), {
      mode: 'fanout',
      concurrency: 16,
      blockMs: this.options.blockMs,
      signal: this.closing.signal,
    });
    this.requestsName = requestsName;
    this.pull();
    this.stopDeadlineCheck = this.clock.every(this.options.deadlineCheckMs, () => this.abortOverdue());
    this.backendWatch = this.watchBackend();
    // Listening means a RESYNC, CANCEL or DRAIN sent once the HELLO is out is seen: the fan-out group exists first.
    await untilOpened(this.controlSub, this.clock, CONTROL_OPEN_WAIT_MS);
    await this.sendHello();
    this.logger.info({ transport: 'messaging', backend: this.init.factory.backend, instanceId: hello.instance.instanceId, requests: requestsName }, 'messaging instance transport started');
  }

  async heartbeat(payload: HeartbeatPayload): Promise<void> {
    if (this.state !== 'started' && this.state !== 'leaving') throw new TransportClosedError('messaging', 'send a HEARTBEAT');
    this.lastHeartbeat = payload;
    await this.sendControl({ v: 1, type: 'HEARTBEAT', id: newFrameId(), sentAt: this.clock.now(), payload });
  }

  /**
   * Stops pulling REQUESTs and stays registered: the REQUEST subscription ends (its running
   * handlers finish and are acked), so nothing new is leased to this instance; the control
   * subscription and heartbeats go on.
   */
  async drain(): Promise<void> {
    if (this.state !== 'started' || this.intake.signal.aborted) return;
    this.intake.abort();
    // Subscriptions of earlier drains that have finished their handlers need no waiting for.
    for (let i = this.drainedSubs.length - 1; i >= 0; i--) if (this.drainedSubs[i]?.isClosed() === true) this.drainedSubs.splice(i, 1);
    if (this.requestsSub !== undefined) this.drainedSubs.push(this.requestsSub);
    this.logger.info({ instanceId: (this.hello as HelloPayload).instance.instanceId }, 'draining: no longer pulling REQUESTs');
  }

  /** Pulls REQUESTs again after drain(), with a new subscription (the drained one may still be finishing its handlers). */
  async undrain(): Promise<void> {
    if (this.state !== 'started' || !this.intake.signal.aborted) return;
    this.intake = new AbortController();
    this.pull();
    this.logger.info({ instanceId: (this.hello as HelloPayload).instance.instanceId }, 'undrained: pulling REQUESTs again');
  }

  async goodbye(): Promise<void> {
    if (this.state !== 'started') return;
    this.state = 'leaving';
    this.intake.abort();
    const instanceId = (this.hello as HelloPayload).instance.instanceId;
    await this.sendControl({ v: 1, type: 'GOODBYE', id: newFrameId(), sentAt: this.clock.now(), payload: { instanceId } });
  }

  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  isReady(): boolean {
    return this.state === 'started' && this.init.factory.isReady() && this.requestsSub?.isClosed() === false;
  }

  /** Counters (documented in docs/messaging-transport.md). */
  metrics(): MessagingInstanceCounters {
    const counters = { ...this.counters, running: this.running.size, unauthenticatedFrames: this.init.auth?.counters.unauthenticated ?? 0 };
    return this.shared === undefined ? counters : { ...counters, runOnce: this.shared.metrics() };
  }

  /** Stats of the queues this instance reads or writes. */
  queueStats(): Promise<Record<string, QueueStats>> {
    return this.queues.stats();
  }

  private async doClose(): Promise<void> {
    this.state = 'closed';
    this.intake.abort();
    this.shared?.close();
    await Promise.all([this.requestsSub?.close(), ...this.drainedSubs.map((s) => s.close())]);
    this.stopDeadlineCheck?.();
    this.closing.abort();
    await this.controlSub?.close();
    await this.streams?.close();
    await this.backendWatch;
    if (this.init.ownsFactory === true) await this.init.factory.close();
  }

  private pull(): void {
    this.requestsSub = this.queues.requests(this.requestsName).subscribe((frame, delivery) => this.onRequest(frame, delivery), {
      group: 'instances',
      concurrency: this.options.concurrency,
      leaseMs: this.options.requestLeaseMs,
      blockMs: this.options.blockMs,
      signal: this.intake.signal,
      // This subscription stops at GOODBYE or a drain, when the SDK's own drain starts (at GOODBYE
      // its drainTimeoutMs, then it aborts the handlers): releasing REQUESTs that are still running
      // would hand them to another instance while they run here.
      drainTimeoutMs: NO_DRAIN_LIMIT_MS,
    });
  }

  private onRequest(frame: Frame, delivery: Delivery<Frame>): Promise<void> {
    if (frame.type !== 'REQUEST') return this.reject(delivery, unexpectedFrameTypeReason(frame.type, 'a requests queue'));
    const { deadline, replyTo } = frame.payload;
    if (!isGatewayResponsesQueue(replyTo)) return this.reject(delivery, invalidReplyToReason(replyTo));
    const now = this.clock.now();
    // A REQUEST past its deadline is acked and dropped, never executed (docs/protocol.md, REQUEST).
    if (now > deadline) {
      this.counters.expired += 1;
      return DONE;
    }
    if (this.earlyCancels.take(frame.id, now)) {
      this.counters.cancelledBeforeStart += 1;
      return DONE;
    }
    if (frame.payload.stream !== undefined) {
      // A copy leased again while the first still runs here: the running one answers.
      if (this.running.has(frame.id)) return DONE;
      return (this.streams as MessagingInstanceStreams).run(frame, delivery, this.handle as InstanceRequestHandler);
    }
    const seen = this.executed.get(frame.id, now);
    if (seen !== undefined) {
      this.counters.replayed += 1;
      // Answered: replay the stored RESPONSE (the gateway drops it if it already has one); answered
      // and acked: its RESPONSE is in the responses queue already, so this copy is only acked.
      // Still running here (our lease was lost and the queue handed it back): the running handler answers.
      return seen.response !== undefined ? this.reply(replyTo, seen.response) : seen.done;
    }
    const done = this.shared === undefined ? this.run(frame, delivery) : this.runShared(frame, delivery, this.shared);
    this.executed.begin(frame.id, done);
    return done;
  }

  /** Claims the REQUEST in the shared store first: runs it, replays another instance's RESPONSE, or drops it past its deadline. */
  private async runShared(frame: RequestFrame, delivery: Delivery<Frame>, shared: SharedRunOnce): Promise<void> {
    let claim;
    try {
      claim = await shared.claim(frame);
    } catch (err) {
      // The store cannot be reached, or this transport closed while waiting: the REQUEST is released
      // with backoff and tried again (here or elsewhere), never run unclaimed and never dropped.
      this.executed.forget(frame.id);
      throw err;
    }
    if (claim.state === 'claimed') return this.run(frame, delivery);
    if (claim.state === 'answered') {
      this.counters.replayed += 1;
      this.executed.answer(frame.id, claim.response, this.clock.now());
      return this.reply(frame.payload.replyTo, claim.response);
    }
    this.counters.expired += 1;
    this.executed.forget(frame.id);
  }

  private async run(frame: RequestFrame, delivery: Delivery<Frame>): Promise<void> {
    const cancellation = new Cancellation();
    const entry: Running = { cancellation, deadline: frame.payload.deadline };
    this.running.set(frame.id, entry);
    // A lost lease means another instance may hold the REQUEST now: the handler is told to stop
    // (its signal aborts with `lease-lost`). One listener slot on the delivery, no AbortController.
    delivery.onLeaseLost(() => {
      if (cancellation.cancel('lease-lost')) this.counters.leaseLost += 1;
    });
    let answer: Awaited<ReturnType<InstanceRequestHandler>>;
    let threw = false;
    try {
      answer = await (this.handle as InstanceRequestHandler)(frame, cancellation);
    } catch (err) {
      threw = true;
      if (!cancellation.cancelled) this.logger.error({ err, requestId: frame.id }, 'request handler threw');
      answer = { status: 500, headers: { 'content-type': 'application/json' }, body: HANDLER_FAILED };
    } finally {
      this.running.delete(frame.id);
    }
    // A handler that still answered after its lease was lost has the first answer: it is sent and
    // stored like any other (the gateway keeps the first RESPONSE it gets). One that stopped has none.
    if (cancellation.cancelled && (threw || cancellation.reason !== 'lease-lost')) {
      // Cancelled, past its deadline, or stopped on a lost lease: the gateway has already answered
      // the client, or the instance that holds the REQUEST now runs it; a RESPONSE would only be dropped.
      this.counters.aborted += 1;
      this.executed.forget(frame.id);
      if (this.shared !== undefined) await this.shared.abandon(frame.id);
      return;
    }
    this.counters.handled += 1;
    // In the REQUEST's wire format: a gateway that wrote the binary header reads it.
    const response = makeFrame(
      'RESPONSE',
      { status: answer.status, headers: answer.headers, body: answer.body, instanceId: (this.hello as HelloPayload).instance.instanceId },
      { clock: this.clock, id: frame.id, wireFormat: frame.wireFormat },
    );
    // Stored before sending: if the send fails, the REQUEST is released and its redelivery replays this RESPONSE.
    this.executed.answer(frame.id, response, this.clock.now());
    if (this.shared !== undefined) {
      await Promise.all([this.shared.answer(response), this.reply(frame.payload.replyTo, response)]);
    } else {
      const sent = this.reply(frame.payload.replyTo, response);
      if (this.orderedWrites) {
        // The backend applies this process's writes in order: acking now sends the ack in the same
        // write, right behind the RESPONSE (core flushes enqueues before acks), instead of a round
        // trip later. A RESPONSE refused for memory has its ack refused too: the REQUEST is
        // redelivered when its lease runs out and replays the stored RESPONSE.
        sent.catch((err: unknown) => {
          this.counters.unsentResponses += 1;
          this.logger.warn({ err, requestId: frame.id }, 'RESPONSE could not be enqueued');
        });
      } else {
        await sent;
      }
    }
    this.ackAnswered(frame.id, delivery);
  }

  /**
   * Acks an answered REQUEST. Once the queue confirms the ack (or answers that the REQUEST is no
   * longer pending: another delivery settled it), nothing can redeliver it and its RESPONSE is in
   * the responses queue, so the replay cache drops the stored RESPONSE at once instead of keeping
   * it for the cache's whole bounds (retained RESPONSEs were most of the instance's GC work). An
   * ack that failed keeps it: the REQUEST may come back, and then replays it.
   */
  private ackAnswered(id: string, delivery: Delivery<Frame>): void {
    delivery.ack().then(
      () => this.executed.acked(id),
      (err: unknown) => {
        if (hasCode(err, ERROR_CODES.LeaseLost)) this.executed.acked(id);
        else this.logger.warn({ err, requestId: id }, 'ack failed; the RESPONSE stays stored for a redelivery');
      },
    );
  }

  private reply(replyTo: string, response: ResponseFrame): Promise<void> {
    let queue = this.responseQueues.get(replyTo);
    if (queue === undefined) {
      queue = this.queues.queue(replyTo);
      this.responseQueues.set(replyTo, queue);
    }
    return queue.enqueue(response).then(() => undefined);
  }

  private onControl(frame: Frame, delivery: Delivery<Frame>): Promise<void> {
    const instanceId = (this.hello as HelloPayload).instance.instanceId;
    switch (frame.type) {
      case 'CANCEL': {
        this.counters.cancels += 1;
        const running = this.running.get(frame.id);
        if (running !== undefined) running.cancellation.cancel(frame.payload.reason);
        // Every instance of the service sees every CANCEL; remembering ids that are not running here
        // costs one Map entry each and stops a still-queued REQUEST from running for nobody.
        else if (this.executed.get(frame.id, this.clock.now()) === undefined) this.earlyCancels.add(frame.id, this.clock.now());
        return DONE;
      }
      case 'RESYNC':
        if (frame.payload.instanceId !== instanceId || this.state !== 'started') return DONE;
        return this.sendHello();
      case 'DRAIN':
        if (frame.payload.instanceId === instanceId && this.state === 'started') this.events?.drain(frame.payload);
        return DONE;
      case 'UNDRAIN':
        if (frame.payload.instanceId === instanceId && this.state === 'started') this.events?.undrain(frame.payload);
        return DONE;
      default:
        return this.reject(delivery, unexpectedFrameTypeReason(frame.type, 'a service control queue'));
    }
  }

  private async sendHello(): Promise<void> {
    await this.sendControl({ v: 1, type: 'HELLO', id: newFrameId(), sentAt: this.clock.now(), payload: this.hello as HelloPayload });
    const beat = this.lastHeartbeat;
    if (this.intake.signal.aborted && beat !== undefined) await this.sendControl({ v: 1, type: 'HEARTBEAT', id: newFrameId(), sentAt: this.clock.now(), payload: beat });
  }

  private async sendControl(frame: ControlFrame): Promise<void> {
    await (this.gatewayControl as MessageQueue<Frame>).enqueue(frame, { headers: this.headers });
  }

  /**
   * Re-sends HELLO when the backend connection comes back after a loss (InstanceTransport
   * contract: "after a reconnect"): a server that lost its data lost the gateways' view with it.
   * Never rejects; ends when the transport closes or the factory's status stream ends.
   */
  private watchBackend(): Promise<void> {
    const what = 'HELLO will not be re-sent on reconnect';
    return watchBackendRecovery(this.init.factory, this.closing.signal, { groupRecreated: false, logger: this.logger, what }, async () => {
      if (this.state !== 'started') return;
      this.logger.info({ instanceId: (this.hello as HelloPayload).instance.instanceId }, 'backend reconnected; sending HELLO again');
      await this.sendHello().catch((err: unknown) => this.logger.warn({ err }, 'HELLO after reconnect could not be sent'));
    });
  }

  /** One sweep over running handlers instead of a timer per request. */
  private abortOverdue(): void {
    const now = this.clock.now();
    for (const entry of this.running.values()) {
      if (now > entry.deadline) entry.cancellation.cancel('timeout');
    }
  }

  private reject(delivery: Delivery<Frame>, reason: string): Promise<void> {
    this.counters.rejectedFrames += 1;
    this.logger.warn({ reason, messageId: delivery.id }, 'frame dead-lettered');
    return delivery.deadLetter(reason);
  }
}
