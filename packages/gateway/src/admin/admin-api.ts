/**
 * The admin API under `/_switchyard/admin/` (docs/operations.md lists every path): instances,
 * per-route stats, queues, dead letters and the actions on them, RESYNC and drain. Reads need the
 * `viewer` role, actions `operator`; every action is logged with who asked. Bodies and answers are
 * JSON; errors use the gateway's error body.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { matchesDeadLetter, matchingDeadLetterIds, PROTOCOL_LIMITS, purgeMatchingDeadLetters, type DeadLetterFilter, type Logger, type RedriveTarget } from '@switchyard/core';
import type { AdminRole } from '../config/admin-schema.js';
import { errorBody, type GatewayHttpErrorCode, statusOf } from '../errors.js';
import type { AdminAccess, AdminPrincipal } from './access.js';
import type { AdminBody, AdminBodyKind } from './admin-bodies.js';
import type { AdminSources, QueueRow } from './admin-sources.js';
import { detail, summarize, type DeadLetterSummary } from './dead-letter-view.js';
import type { RedriveTasks } from './redrive-tasks.js';

export const ADMIN_PREFIX = '/_switchyard/admin/';

/** Largest action body accepted. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Dead letters looked at per queue when listing. */
const LIST_SCAN_LIMIT = 5_000;
const DEFAULT_LIST_LIMIT = 100;

class AdminHttpError extends Error {
  constructor(
    readonly code: GatewayHttpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface AdminApiDeps {
  readonly access: AdminAccess;
  readonly sources: AdminSources;
  readonly tasks: RedriveTasks;
  readonly logger: Logger;
}

type Handler = (ctx: { req: IncomingMessage; url: URL; params: string[]; principal: AdminPrincipal }) => Promise<{ status?: number; body: unknown }>;

interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly role: AdminRole;
  readonly handle: Handler;
}

/** Returns the request-path hook: true when `path` is under the admin prefix and has been answered. */
export function adminApi(deps: AdminApiDeps): (path: string, req: IncomingMessage, res: ServerResponse) => boolean {
  const { access, sources, tasks, logger } = deps;

  const targets = (queue: string | undefined): RedriveTarget[] => {
    const names = queue === undefined ? sources.queueNames() : [queue];
    return names.flatMap((name) => {
      const store = sources.deadLetters(name);
      return store === undefined ? [] : [{ queue: name, store }];
    });
  };

  const storeOf = (queue: string): NonNullable<ReturnType<AdminSources['deadLetters']>> => {
    const store = sources.deadLetters(queue);
    if (store === undefined) throw new AdminHttpError('SY_GATEWAY_NOT_FOUND', 'this gateway has no Messaging transport, so it has no queues');
    return store;
  };

  const filterOf = (f: { reason?: string | undefined; since?: number | undefined; until?: number | undefined; ids?: readonly string[] | undefined }): DeadLetterFilter => ({
    ...(f.reason === undefined ? {} : { reason: f.reason }),
    ...(f.since === undefined ? {} : { since: f.since }),
    ...(f.until === undefined ? {} : { until: f.until }),
    ...(f.ids === undefined ? {} : { ids: f.ids }),
  });

  const queueRows = async (): Promise<QueueRow[]> =>
    Promise.all(sources.queueNames().map(async (queue) => ({ queue, transport: 'messaging', ...(await sources.queueStats(queue)) })));

  const listDeadLetters = async (url: URL): Promise<{ deadLetters: DeadLetterSummary[]; matched: number }> => {
    const q = url.searchParams;
    const limit = intParam(q, 'limit') ?? DEFAULT_LIST_LIMIT;
    const filter = filterOf({ reason: q.get('reason') ?? undefined, since: timeParam(q, 'since'), until: timeParam(q, 'until') });
    const out: DeadLetterSummary[] = [];
    for (const { queue, store } of targets(q.get('queue') ?? undefined)) {
      let after: string | undefined;
      let scanned = 0;
      while (scanned < LIST_SCAN_LIMIT) {
        const page = await store.list({ limit: 500, ...(after === undefined ? {} : { after }) });
        scanned += page.length;
        for (const letter of page) {
          if (matchesDeadLetter(letter, filter)) out.push(summarize(queue, letter));
        }
        if (page.length < 500) break;
        after = page[page.length - 1]?.id;
      }
    }
    out.sort((a, b) => b.deadLetteredAt - a.deadLetteredAt);
    return { deadLetters: out.slice(0, limit), matched: out.length };
  };

  const audit = (principal: AdminPrincipal, action: string, detailFields: Record<string, unknown>): void => {
    logger.info({ admin: principal.name, role: principal.role, via: principal.via, action, ...detailFields }, `admin action ${action} by ${principal.name}`);
  };

  const routes: Route[] = [
    { method: 'GET', pattern: /^whoami$/, role: 'viewer', handle: async ({ principal }) => ({ body: { name: principal.name, role: principal.role } }) },
    { method: 'GET', pattern: /^instances$/, role: 'viewer', handle: async () => ({ body: { instances: sources.instances() } }) },
    { method: 'GET', pattern: /^routes$/, role: 'viewer', handle: async () => ({ body: { routes: await sources.routes() } }) },
    { method: 'GET', pattern: /^queues$/, role: 'viewer', handle: async () => ({ body: { queues: await queueRows() } }) },
    {
      method: 'GET',
      pattern: /^overview$/,
      role: 'viewer',
      handle: async ({ principal }) => ({
        body: { me: { name: principal.name, role: principal.role }, instances: sources.instances(), routes: await sources.routes(), queues: await queueRows(), tasks: tasks.list() },
      }),
    },
    { method: 'GET', pattern: /^dead-letters$/, role: 'viewer', handle: async ({ url }) => ({ body: await listDeadLetters(url) }) },
    {
      method: 'GET',
      pattern: /^dead-letters\/([^/]+)\/([^/]+)$/,
      role: 'viewer',
      handle: async ({ params }) => {
        const [queue, id] = params as [string, string];
        const store = storeOf(queue);
        const [letter] = await store.list({ limit: 1, after: previousId(id) });
        if (letter === undefined || letter.id !== id) throw new AdminHttpError('SY_GATEWAY_NOT_FOUND', `no dead letter ${id} in queue "${queue}" (replayed or purged?)`);
        return { body: detail(queue, letter) };
      },
    },
    {
      method: 'POST',
      pattern: /^dead-letters\/replay$/,
      role: 'operator',
      handle: async ({ req, principal }) => {
        const body = await readBody(req, 'replay');
        const replayed = await storeOf(body.queue).replay(body.ids);
        audit(principal, 'replay', { queue: body.queue, ids: body.ids, replayed });
        return { body: { replayed } };
      },
    },
    {
      method: 'POST',
      pattern: /^dead-letters\/redrive$/,
      role: 'operator',
      handle: async ({ req, principal }) => {
        const body = await readBody(req, 'redrive');
        const filter = filterOf(body);
        const chosen = targets(body.queue);
        if (body.dryRun) return { body: await dryRun(chosen, filter) };
        const task = tasks.start(chosen, filter, body.ratePerSecond, principal.name);
        audit(principal, 'redrive', { task: task.id, queues: task.queues, filter, ratePerSecond: body.ratePerSecond });
        return { status: 202, body: task };
      },
    },
    {
      method: 'POST',
      pattern: /^dead-letters\/purge$/,
      role: 'operator',
      handle: async ({ req, principal }) => {
        const body = await readBody(req, 'purge');
        if (body.queue === undefined && body.ids === undefined && body.reason === undefined && body.since === undefined && body.until === undefined) {
          throw new AdminHttpError('SY_GATEWAY_BAD_REQUEST', 'purge needs a queue or a filter (ids, reason, since, until); it never purges every queue by default');
        }
        const filter = filterOf(body);
        const chosen = targets(body.queue);
        if (body.dryRun) return { body: await dryRun(chosen, filter) };
        const purged = await purgeMatchingDeadLetters(chosen, filter);
        audit(principal, 'purge', { queues: chosen.map((t) => t.queue), filter, purged });
        return { body: { purged } };
      },
    },
    { method: 'GET', pattern: /^tasks$/, role: 'viewer', handle: async () => ({ body: { tasks: tasks.list() } }) },
    {
      method: 'GET',
      pattern: /^tasks\/([^/]+)$/,
      role: 'viewer',
      handle: async ({ params }) => {
        const task = tasks.get(params[0] as string);
        if (task === undefined) throw new AdminHttpError('SY_GATEWAY_NOT_FOUND', `no task ${params[0] as string}`);
        return { body: task };
      },
    },
    {
      method: 'POST',
      pattern: /^tasks\/([^/]+)\/cancel$/,
      role: 'operator',
      handle: async ({ params, principal }) => {
        const task = await tasks.cancel(params[0] as string);
        if (task === undefined) throw new AdminHttpError('SY_GATEWAY_NOT_FOUND', `no task ${params[0] as string}`);
        audit(principal, 'cancel', { task: task.id, replayed: task.replayed });
        return { body: task };
      },
    },
    {
      method: 'POST',
      pattern: /^resync$/,
      role: 'operator',
      handle: async ({ req, principal }) => {
        const body = await readBody(req, 'resync');
        const asked = await sources.resync(body.instanceId);
        if (body.instanceId !== undefined && asked === 0) throw new AdminHttpError('SY_GATEWAY_NOT_FOUND', `no instance ${body.instanceId} is registered at this gateway`);
        audit(principal, 'resync', { instanceId: body.instanceId ?? 'all', asked });
        return { body: { asked } };
      },
    },
    {
      method: 'POST',
      pattern: /^instances\/([^/]+)\/drain$/,
      role: 'operator',
      handle: async ({ req, params, principal }) => {
        const id = params[0] as string;
        const body = await readBody(req, 'drain');
        const outcome = await sources.drain(id, { ...body, requestedBy: requester(principal) });
        if (!outcome.known) throw new AdminHttpError('SY_GATEWAY_NOT_FOUND', `no instance ${id} is registered at this gateway`);
        audit(principal, 'drain', { instanceId: id, reason: body.reason, told: outcome.told, ...(outcome.told ? {} : { why: outcome.why }) });
        // Not told: drained at this gateway only; the operator sees why and can retry or stop the instance.
        return { body: outcome.told ? { drained: id, told: true } : { drained: id, told: false, why: outcome.why } };
      },
    },
    {
      method: 'POST',
      pattern: /^instances\/([^/]+)\/undrain$/,
      role: 'operator',
      handle: async ({ req, params, principal }) => {
        const id = params[0] as string;
        const body = await readBody(req, 'drain');
        const outcome = await sources.undrain(id, { ...body, requestedBy: requester(principal) });
        if (!outcome.known) throw new AdminHttpError('SY_GATEWAY_NOT_FOUND', `no instance ${id} is registered at this gateway`);
        audit(principal, 'undrain', { instanceId: id, reason: body.reason, told: outcome.told, ...(outcome.told ? {} : { why: outcome.why }) });
        return { body: outcome.told ? { undrained: id, told: true } : { undrained: id, told: false, why: outcome.why } };
      },
    },
  ];

  return (path, req, res) => {
    if (!path.startsWith(ADMIN_PREFIX)) return false;
    const rest = path.slice(ADMIN_PREFIX.length);
    const requestId = randomUUID();
    let params: string[] | undefined;
    const route = routes.find((r) => {
      const m = r.pattern.exec(rest);
      if (m === null) return false;
      params = m.slice(1).map((p) => decodeURIComponent(p));
      return r.method === req.method || (r.method === 'GET' && req.method === 'HEAD');
    });
    if (route === undefined) {
      const known = routes.filter((r) => r.pattern.test(rest)).map((r) => r.method);
      if (known.length > 0) sendError(res, requestId, 'SY_GATEWAY_METHOD_NOT_ALLOWED', `${req.method ?? ''} is not allowed here; use ${known.join(', ')}`, { allow: known.join(', ') });
      else sendError(res, requestId, 'SY_GATEWAY_NOT_FOUND', `no admin endpoint ${path}; see docs/operations.md`);
      return true;
    }
    void (async () => {
      try {
        const decision = await access.check(req.headers, route.role);
        if (decision.kind === 'refused') {
          if (route.role === 'operator') logger.warn({ path, method: req.method, status: decision.status, reason: decision.message }, 'admin action refused');
          sendError(res, requestId, decision.code, decision.message);
          return;
        }
        const url = new URL(req.url ?? '/', 'http://admin.invalid');
        const out = await route.handle({ req, url, params: params ?? [], principal: decision.principal });
        sendJson(res, out.status ?? 200, out.body);
      } catch (err) {
        if (err instanceof AdminHttpError) {
          sendError(res, requestId, err.code, err.message);
          return;
        }
        logger.error({ err: (err as Error).message, path, requestId }, 'admin request failed');
        sendError(res, requestId, 'SY_GATEWAY_INTERNAL', `admin request failed: ${(err as Error).message}`);
      }
    })();
    return true;
  };
}

/** The id just before `id` in stream order, so `list({ after, limit: 1 })` returns `id` itself. */
/** What a dry run of a redrive or purge would touch: the matching dead letters of each chosen queue, counted. */
async function dryRun(chosen: readonly RedriveTarget[], filter: DeadLetterFilter): Promise<{ dryRun: true; matched: number; queues: string[] }> {
  let matched = 0;
  for (const t of chosen) matched += (await matchingDeadLetterIds(t.store, filter)).length;
  return { dryRun: true, matched, queues: chosen.map((t) => t.queue) };
}

function previousId(id: string): string {
  const m = /^(\d+)-(\d+)$/.exec(id);
  if (m === null) return id;
  const [ms, seq] = [BigInt(m[1] as string), BigInt(m[2] as string)];
  if (seq > 0n) return `${ms}-${seq - 1n}`;
  return ms > 0n ? `${ms - 1n}-18446744073709551615` : '0-0';
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new AdminHttpError('SY_GATEWAY_BAD_REQUEST', `query parameter ${name} must be an integer from 1 to 10000 (got "${raw}")`);
  return n;
}

function timeParam(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(n)) throw new AdminHttpError('SY_GATEWAY_BAD_REQUEST', `query parameter ${name} must be epoch ms or an ISO date-time (got "${raw}")`);
  return n;
}

/** admin-bodies.ts, loaded on the first action with a body. */
let bodies: Promise<typeof import('./admin-bodies.js')> | undefined;

/** The request's JSON body, validated as the `kind` action's. */
async function readBody<K extends AdminBodyKind>(req: IncomingMessage, kind: K): Promise<AdminBody<K>> {
  const { parseAdminBody } = await (bodies ??= import('./admin-bodies.js'));
  const result = parseAdminBody(kind, await readJson(req));
  if (result.ok) return result.body;
  throw new AdminHttpError('SY_GATEWAY_BAD_REQUEST', `invalid body: ${result.problems}`);
}

/** Who asked, as a DRAIN frame carries it (a short string: a long JWT subject is cut, never refused by the instance). */
function requester(principal: AdminPrincipal): string {
  return principal.name.slice(0, PROTOCOL_LIMITS.maxShortStringLength);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new AdminHttpError('SY_GATEWAY_PAYLOAD_TOO_LARGE', `admin request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new AdminHttpError('SY_GATEWAY_BAD_REQUEST', 'the body is not JSON');
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' });
  res.end(body);
}

function sendError(res: ServerResponse, requestId: string, code: GatewayHttpErrorCode, message: string, extra?: Readonly<Record<string, string>>): void {
  const body = errorBody(code, requestId, message);
  res.writeHead(statusOf(code), { ...extra, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' });
  res.end(body);
}
