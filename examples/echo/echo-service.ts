/**
 * The echo service's endpoints (issue 5 item 5), separate from main.ts so tests and the demo can
 * build it around any transport.
 */
import type { Microservice, ServiceContext, ServiceRequest, ServiceResponse } from '@switchyard/microservice';
import { registerEchoStreams } from './echo-streams.js';

export interface EchoStats {
  handled: number;
  cancelled: number;
}

/** Registers the echo endpoints on `svc` and returns its live counters. */
export function registerEcho(svc: Microservice): EchoStats {
  const stats: EchoStats = { handled: 0, cancelled: 0 };

  svc.get('/echo/stats', async () => ({ status: 200, json: stats }), {
    summary: 'Counters of this instance',
    tags: ['echo'],
    responses: { 200: { description: 'requests answered and cancelled since start', body: STATS_SCHEMA } },
  });

  svc.get('/echo/slow', async (req, ctx) => {
    const ms = Number(req.query.get('ms') ?? '0');
    if (!Number.isFinite(ms) || ms < 0) return { status: 400, json: { error: { code: 'BAD_MS', message: 'ms must be a number ≥ 0' } } };
    try {
      await wait(ms, ctx.signal);
    } catch {
      stats.cancelled += 1;
      return { status: 499, json: { cancelled: true, reason: String(ctx.signal.reason) } };
    }
    stats.handled += 1;
    return { status: 200, json: { waitedMs: ms, instanceId: ctx.instanceId } };
  }, {
    summary: 'Answers after a delay',
    description: 'Waits `ms` milliseconds, or until the request is cancelled (client gone, deadline, shutdown), then answers.',
    tags: ['echo'],
    query: { type: 'object', properties: { ms: { type: 'number', minimum: 0, description: 'how long to wait', default: 0 } } },
    responses: {
      200: { description: 'waited the whole time', body: { type: 'object', required: ['waitedMs', 'instanceId'], properties: { waitedMs: { type: 'number' }, instanceId: { type: 'string' } } } },
      499: { description: 'cancelled while waiting', body: { type: 'object', required: ['cancelled', 'reason'], properties: { cancelled: { const: true }, reason: { type: 'string' } } } },
    },
  });

  const echo = async (req: ServiceRequest, ctx: ServiceContext): Promise<ServiceResponse> => {
    stats.handled += 1;
    return {
      status: 200,
      json: {
        method: req.method,
        path: req.path,
        query: queryObject(req.query),
        headers: req.headers,
        body: req.text(),
        identity: req.identity,
        instanceId: ctx.instanceId,
      },
    };
  };
  // No body schema: echo takes any body of any type, and an empty one.
  const echoDocs = (method: string) => ({
    summary: `Echoes a ${method} request`,
    description: 'Answers with what the service received: method, path, query, headers (identity headers included), body as text and the verified identity.',
    tags: ['echo'],
    params: { type: 'object', properties: { path: { type: 'string', description: 'any path below /echo/' } } },
    responses: { 200: { description: 'the request as the service saw it', body: ECHO_SCHEMA } },
  });
  svc.post('/echo/validated', echo, {
    summary: 'Echoes a JSON body the gateway has validated',
    description: 'The same answer as the other echo endpoints, for a body `{"data": "<text>"}`; `npm run bench:http -- --validation` measures the cost of checking it.',
    tags: ['echo'],
    body: { type: 'object', required: ['data'], additionalProperties: false, properties: { data: { type: 'string' } } },
    responses: { 200: { description: 'the request as the service saw it', body: ECHO_SCHEMA } },
  });
  registerEchoStreams(svc);
  svc.get('/echo/{path...}', echo, echoDocs('GET'));
  svc.post('/echo/{path...}', echo, echoDocs('POST'));
  svc.put('/echo/{path...}', echo, echoDocs('PUT'));
  svc.delete('/echo/{path...}', echo, echoDocs('DELETE'));
  return stats;
}

const STATS_SCHEMA = {
  type: 'object',
  required: ['handled', 'cancelled'],
  properties: { handled: { type: 'integer', minimum: 0 }, cancelled: { type: 'integer', minimum: 0 } },
} as const;

const ECHO_SCHEMA = {
  type: 'object',
  required: ['method', 'path', 'query', 'headers', 'body', 'identity', 'instanceId'],
  properties: {
    method: { type: 'string' },
    path: { type: 'string' },
    query: { type: 'object', additionalProperties: { type: ['string', 'array'], items: { type: 'string' } } },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    body: { type: 'string' },
    identity: { type: ['object', 'null'] },
    instanceId: { type: 'string' },
  },
} as const;

/** The query as JSON: a repeated parameter keeps every value, in order (`?a=1&a=2&b=3` → `{ a: ['1', '2'], b: '3' }`). */
export function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    out[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return out;
}

/** Real time on purpose: this is the service's work, not Switchyard's scheduling. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
