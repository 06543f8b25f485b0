/**
 * The request path's last steps for an endpoint declared `streaming` on a transport that streams
 * (packages/gateway/README.md, "Streamed bodies"): the request is dispatched as soon as its headers
 * are read; its body flows from the client socket to the instance as the instance grants credit
 * (a slow instance leaves the socket paused), and the response is written as it arrives (chunked,
 * or with the instance's Content-Length), granting credit as the client takes it. Memory per
 * exchange is bounded by `http.streamWindowBytes` per direction, whatever the body's size.
 *
 * Limits: the endpoint's `maxBodyBytes` (else `http.maxBodyBytes`) answers 413 up front for a
 * declared length, or cuts the body mid-way (413 when no answer started, else an aborted
 * response); a client that sends nothing for `http.bodyIdleTimeoutMs` while the gateway waits
 * for it is cut off. The endpoint's timeout bounds the wait for the RESPONSE head once the request
 * body was sent (504); after the head, only the idle limit bounds the body. A response that
 * cannot complete is aborted (the connection or HTTP/2 stream is reset), never ended: a client
 * never gets a truncated body that looks whole.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import {
  hasCode,
  ERROR_CODES,
  STREAM_DEFAULTS,
  type DispatchTarget,
  type EndpointDescriptor,
  type GatewayTransport,
  type Logger,
  type RequestPayload,
  type StreamedResponse,
} from '@switchyard/core';
import { streamPieces } from '@switchyard/core/internal';
import type { GatewayConfig } from '../config/schema.js';
import type { Answers } from './answers.js';
import type { Exchange } from './exchange.js';
import { isResponseGone, mayHaveUnsizedBody } from './http2-compat.js';
import type { InFlightRequests } from './in-flight.js';

/** Response headers the gateway sets itself or that only concern one hop (Content-Length is kept). */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings']);

export interface StreamPathDeps {
  readonly config: Readonly<GatewayConfig>;
  readonly logger: Logger;
  readonly answers: Answers;
  readonly inFlight: InFlightRequests;
  readonly requestIdHeader: string;
  /** Reads and drops the rest of a body after an early answer (the request path's 413 linger). */
  readonly discardRest: (req: IncomingMessage, res: ServerResponse) => void;
  /** Answers a dispatch that failed before its RESPONSE head (499, 502, 504). */
  readonly dispatchFailed: (err: unknown, ex: Exchange) => void;
}

type StreamingTransport = GatewayTransport & Required<Pick<GatewayTransport, 'dispatchStream'>>;

/** True when `endpoint` streams and `transport` can carry it as a stream. */
export function streamsOn(endpoint: EndpointDescriptor, transport: GatewayTransport): transport is StreamingTransport {
  return endpoint.streaming && transport.dispatchStream !== undefined;
}

export class StreamPath {
  constructor(private readonly deps: StreamPathDeps) {}

  async run(
    ex: Exchange,
    transport: StreamingTransport,
    target: DispatchTarget,
    endpoint: EndpointDescriptor,
    request: Omit<RequestPayload, 'replyTo' | 'stream' | 'body' | 'deadline'>,
    begin: () => () => void,
  ): Promise<void> {
    const { req, res } = ex;
    const http = this.deps.config.http;
    const limit = endpoint.maxBodyBytes ?? http.maxBodyBytes;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      this.deps.answers.fail(ex, 'SY_GATEWAY_PAYLOAD_TOO_LARGE');
      this.deps.discardRest(req, res);
      return;
    }
    // The listener holds back "100 Continue" for a declared length over http.maxBodyBytes; this
    // endpoint's own limit allows it.
    if (req.headers.expect?.toLowerCase() === '100-continue' && declared !== undefined && Number(declared) > http.maxBodyBytes) res.writeContinue();
    const hasBody = declared !== undefined ? Number(declared) > 0 : mayHaveUnsizedBody(req);
    const tooLarge = { hit: false, cancel: (): void => void ex.cancellation.cancel('payload-limit') };
    const body = hasBody ? clientBody(req, limit, http.bodyIdleTimeoutMs, tooLarge) : undefined;

    const timeoutMs = endpoint.timeoutMs ?? this.deps.config.routing.defaultTimeoutMs;
    // The deadline covers the wait for the RESPONSE head once the request body is sent; while the
    // body flows, and after the head, the idle limit bounds the exchange instead.
    ex.deadline = Number.POSITIVE_INFINITY;
    let headSeen = false;
    const requestSent = (): void => {
      if (!headSeen) ex.deadline = this.deps.inFlight.deadlineAfter(timeoutMs);
    };
    ex.instanceId = target.instanceId;
    this.deps.inFlight.add(ex);
    const dispatched = begin();
    ex.watchClient();
    try {
      let response: StreamedResponse;
      try {
        response = await transport.dispatchStream(
          target,
          { ...request, deadline: this.deps.inFlight.deadlineAfter(timeoutMs) },
          body,
          { cancellation: ex.cancellation, window: http.streamWindowBytes, idleMs: http.bodyIdleTimeoutMs, requestSent },
        );
      } catch (err) {
        if (ex.answered) return;
        if (tooLarge.hit) {
          this.deps.answers.fail(ex, 'SY_GATEWAY_PAYLOAD_TOO_LARGE');
          this.deps.discardRest(req, res);
        } else {
          this.deps.dispatchFailed(err, ex);
        }
        return;
      }
      headSeen = true;
      ex.deadline = Number.POSITIVE_INFINITY;
      ex.instanceId = response.instanceId;
      if (ex.answered || isResponseGone(res)) {
        response.bodyStream?.destroy();
        if (!ex.answered) this.deps.answers.finished(ex, 499);
        return;
      }
      await this.relay(ex, response, tooLarge);
    } finally {
      dispatched();
      this.deps.inFlight.delete(ex);
      ex.unwatchClient();
    }
  }

  /** Writes the head, then the body as it arrives; a body that fails aborts the response. */
  private async relay(ex: Exchange, response: StreamedResponse, tooLarge: TooLarge): Promise<void> {
    const out: Record<string, string> = {};
    for (const name in response.headers) {
      if (!HOP_HEADERS.has(name)) out[name] = response.headers[name] as string;
    }
    out[this.deps.requestIdHeader] = ex.requestId;
    const stream = response.bodyStream;
    if (stream === undefined) {
      out['content-length'] = String(response.body.byteLength);
      ex.res.writeHead(response.status, out);
      ex.res.end(response.body);
      this.deps.answers.finished(ex, response.status);
      return;
    }
    ex.res.writeHead(response.status, out);
    // Headers go out now, not with the first chunk: an event stream may wait long for its first event.
    ex.res.flushHeaders();
    try {
      await pipeline(stream, ex.res);
      this.deps.answers.finished(ex, response.status);
    } catch (err) {
      // Never end() here: a reset connection (or HTTP/2 stream) is how the client learns the body is incomplete.
      if (!isResponseGone(ex.res)) ex.res.destroy();
      const reason = tooLarge.hit ? 'payload-limit' : ((err as { reason?: unknown }).reason ?? (err as Error).message);
      if (!hasCode(err, ERROR_CODES.BodyAborted) || ex.cancellation.reason !== 'client-disconnected') {
        this.deps.logger.warn({ requestId: ex.requestId, route: ex.route, instanceId: ex.instanceId, reason }, 'streamed response aborted');
      }
      this.deps.answers.finished(ex, ex.cancellation.reason === 'client-disconnected' ? 499 : response.status, 'stream-aborted');
    }
  }
}

/**
 * The client's body as the instance pulls it: counted against `limit` (over it, the exchange is
 * cancelled with `payload-limit`), and cut when nothing arrives for `idleMs` while the gateway
 * waits for it (time spent waiting for the instance's credit is not idleness).
 */
interface TooLarge {
  hit: boolean;
  /** Cancels the exchange with `payload-limit`. */
  readonly cancel: () => void;
}

function clientBody(req: IncomingMessage, limit: number, idleMs: number, tooLarge: TooLarge): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      // Piece by piece: Node's own iterator joins what is buffered into a new buffer, a copy per chunk.
      const it = streamPieces<Buffer>(req, STREAM_DEFAULTS.maxChunkBytes)[Symbol.asyncIterator]();
      let received = 0;
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          const idle = setTimeout(() => req.destroy(bodyError('idle-timeout')), idleMs);
          let step: IteratorResult<Buffer>;
          try {
            step = await it.next();
          } catch (err) {
            throw hasCode(err, 'idle-timeout') ? err : bodyError('client-disconnected', err);
          } finally {
            clearTimeout(idle);
          }
          if (step.done === true) return step;
          received += step.value.length;
          if (received > limit) {
            tooLarge.hit = true;
            // The rest of the body is drained after the 413 (discardRest), not read here.
            it.release();
            req.pause();
            tooLarge.cancel();
            throw bodyError('payload-limit');
          }
          return step;
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** An error whose `code` becomes the reason of the request body's BODY_END. */
function bodyError(code: string, cause?: unknown): Error {
  return Object.assign(new Error(`the client's request body ended early: ${code}`, { cause }), { code });
}
