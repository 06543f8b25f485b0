/**
 * One HTTP request on its way through the gateway: what every answer and the request log need
 * (response, request id, route and transport labels, start time), and, once dispatched, its
 * cancellation and deadline. One object per request, filled in as the request path learns
 * more, instead of passing those values through 7- and 9-argument calls, and instead of a
 * controller, a Map entry per tracker and a closure per hook.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Cancellation } from '@switchyard/core';
import type { GatewayHttpErrorCode } from '../errors.js';
import type { InFlightEntry } from './in-flight.js';

/** Route label of a request that matched no route. */
export const UNMATCHED = 'unmatched';

/** `Retry-After` for the 503s that a moment fixes (no instance yet, shutting down). */
export const RETRY_SOON: Readonly<Record<string, string>> = Object.freeze({ 'retry-after': '1' });

/** How an exchange answers its client on the shutdown path (the request path's error answer). */
export interface ExchangeAnswers {
  fail(exchange: Exchange, code: GatewayHttpErrorCode, extra?: Readonly<Record<string, string>>): void;
}

export class Exchange implements InFlightEntry {
  /** `METHOD /template` of the matched endpoint (the metrics label), else UNMATCHED or `departed`. */
  route = UNMATCHED;
  /** The transport type of the chosen instance; '' before one is chosen. */
  transport = '';
  /** The instance that answered or was dispatched to; '' before. */
  instanceId = '';
  /** Epoch ms; set when dispatched. */
  deadline = Number.POSITIVE_INFINITY;
  /** True once the shutdown path answered the client; the dispatch's outcome is then ignored. */
  answered = false;
  listIndex = -1;
  // Made when the request is dispatched: most answers that end earlier (404, 401, 429) need neither.
  private cancel: Cancellation | undefined = undefined;
  private closeListener: (() => void) | undefined = undefined;

  constructor(
    private readonly answers: ExchangeAnswers,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly method: string,
    readonly path: string,
    /** performance.now() when the request arrived. */
    readonly started: number,
  ) {}

  /** Cancelled by the deadline tick, a client disconnect, or shutdown. */
  get cancellation(): Cancellation {
    return (this.cancel ??= new Cancellation());
  }

  /** From now until unwatchClient(): a client gone before its answer cancels the dispatch. */
  watchClient(): void {
    this.closeListener = () => {
      if (!this.res.writableFinished) this.cancellation.cancel('client-disconnected');
    };
    this.res.on('close', this.closeListener);
  }

  unwatchClient(): void {
    if (this.closeListener !== undefined) this.res.off('close', this.closeListener);
  }

  answerShuttingDown(): void {
    if (this.answered) return;
    this.answered = true;
    this.res.shouldKeepAlive = false;
    this.answers.fail(this, 'SY_GATEWAY_SHUTTING_DOWN', RETRY_SOON);
  }
}
