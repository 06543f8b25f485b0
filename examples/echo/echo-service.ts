/**
 * The echo service's endpoints (issue 5 item 5), separate from main.ts so tests and the demo can
 * build it around any transport.
 */
import type { Microservice, ServiceContext, ServiceRequest, ServiceResponse } from '@switchyard/microservice';

export interface EchoStats {
  handled: number;
  cancelled: number;
}

/** Registers the echo endpoints on `svc` and returns its live counters. */
export function registerEcho(svc: Microservice): EchoStats {
  const stats: EchoStats = { handled: 0, cancelled: 0 };

  svc.get('/echo/stats', async () => ({ status: 200, json: stats }));

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
  svc.get('/echo/{path...}', echo);
  svc.post('/echo/{path...}', echo);
  svc.put('/echo/{path...}', echo);
  svc.delete('/echo/{path...}', echo);
  return stats;
}

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
