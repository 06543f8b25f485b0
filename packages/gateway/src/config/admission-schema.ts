/**
 * The `admission` config section (docs/configuration.md, "admission"): the concurrency limits and
 * the backlog check the gateway applies before it dispatches, and the `routing.transportOrder`
 * section (which transport a route or service is sent over, in order of preference). Defaults
 * here; the decisions are in src/admission/ and src/routing/.
 */
import { z } from 'zod';

/** Every default of the admission section, frozen. */
export const ADMISSION_DEFAULTS = Object.freeze({
  enabled: true,
  retryAfterSeconds: 1,
  /** How often the backlog of each Messaging requests queue is read (one stats read per queue per period, never per request). */
  backlogRefreshMs: 250,
  /** Shed when the wait a new request can expect in its queue is over this share of its deadline. */
  backlogMaxWaitShare: 0.5,
  initialLimit: 100,
  minLimit: 4,
  maxLimit: 10_000,
  deadlineShare: 0.5,
});

/** A route key in config: `METHOD /path/template`, as the route label of the metrics. */
const ROUTE_KEY = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \/\S*$/;

const positiveInt = (): z.ZodNumber => z.number().int('must be an integer').positive('must be > 0');

/**
 * One concurrency limit: `off`, a fixed number of requests in flight, or `adaptive` (follows the
 * latency it measures; the bounds and targets below apply to it only).
 */
export const limitSchema = z
  .strictObject({
    limit: z.union([z.literal('off'), z.literal('adaptive'), positiveInt()], { error: 'must be "off", "adaptive" or a positive integer' }),
    initialLimit: positiveInt().default(ADMISSION_DEFAULTS.initialLimit),
    minLimit: positiveInt().default(ADMISSION_DEFAULTS.minLimit),
    maxLimit: positiveInt().default(ADMISSION_DEFAULTS.maxLimit),
    /** Latency may reach this share of the route's deadline before the limit shrinks ... */
    deadlineShare: z.number().gt(0, 'must be > 0').max(1, 'must be ≤ 1').default(ADMISSION_DEFAULTS.deadlineShare),
    /** ... and, when set, only `tolerance` × its long-run baseline (a gradient limiter's rule: sheds on latency inflation). */
    tolerance: z.number().min(1, 'must be ≥ 1').optional(),
  })
  .superRefine((l, ctx) => {
    if (l.minLimit > l.maxLimit) ctx.addIssue({ code: 'custom', path: ['minLimit'], message: `must not be greater than maxLimit (${l.maxLimit})` });
    if (l.initialLimit < l.minLimit || l.initialLimit > l.maxLimit) {
      ctx.addIssue({ code: 'custom', path: ['initialLimit'], message: `must be between minLimit (${l.minLimit}) and maxLimit (${l.maxLimit})` });
    }
  });

export type LimitConfig = z.output<typeof limitSchema>;

const routeKeys = <T extends z.ZodType>(value: T) =>
  z
    .record(z.string(), value)
    .superRefine((rec, ctx) => {
      for (const key of Object.keys(rec)) {
        if (!ROUTE_KEY.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'must be a route "METHOD /path/template", e.g. "GET /echo/slow"' });
      }
    })
    .default({});

export const admissionSchema = z
  .strictObject({
    enabled: z.boolean().default(ADMISSION_DEFAULTS.enabled),
    retryAfterSeconds: z.number().int('must be an integer').min(0).default(ADMISSION_DEFAULTS.retryAfterSeconds),
    /** The limit of each route that `routes` does not name. */
    route: limitSchema.prefault({ limit: 'adaptive' }),
    /** The limit of each service that `services` does not name (all its routes together). */
    service: limitSchema.prefault({ limit: 'off' }),
    routes: routeKeys(limitSchema),
    services: z.record(z.string().min(1), limitSchema).default({}),
    backlog: z
      .strictObject({
        enabled: z.boolean().default(true),
        refreshMs: positiveInt().default(ADMISSION_DEFAULTS.backlogRefreshMs),
        maxWaitShare: z.number().gt(0, 'must be > 0').max(1, 'must be ≤ 1').default(ADMISSION_DEFAULTS.backlogMaxWaitShare),
      })
      .prefault({}),
  })
  .prefault({});

export type AdmissionConfig = z.output<typeof admissionSchema>;

const transportType = z.enum(['messaging', 'tcp', 'tls', 'inmemory']);
const transportList = z
  .array(transportType)
  .min(1, 'must list at least one transport')
  .refine((l) => new Set(l).size === l.length, 'lists a transport twice');

/**
 * `routing.transportOrder`: the transports a route or service is sent over, in order of
 * preference. A route's own list wins over its service's, which wins over `default`; without any,
 * a request goes to any eligible instance whatever its transport.
 */
export const transportOrderSchema = z
  .strictObject({
    default: transportList.optional(),
    services: z.record(z.string().min(1), transportList).default({}),
    routes: routeKeys(transportList),
  })
  .prefault({});

export type TransportOrderConfig = z.output<typeof transportOrderSchema>;

/**
 * The transport order may only name transports the gateway runs. Checked on the raw config (like
 * the transport entries), so it is listed with the schema's problems rather than only after them.
 */
export function transportOrderProblems(raw: unknown): Array<{ path: string; message: string }> {
  const r = raw as { transports?: unknown; routing?: { transportOrder?: Record<string, unknown> } } | null | undefined;
  const order = r?.routing?.transportOrder;
  if (!Array.isArray(r?.transports) || order === undefined || order === null || typeof order !== 'object') return [];
  const running = new Set((r.transports as Array<{ type?: unknown }>).map((t) => t?.type));
  const lists: Array<[string, unknown]> = [['default', order.default]];
  for (const section of ['services', 'routes'] as const) {
    const entries = order[section];
    if (entries !== null && typeof entries === 'object') for (const [k, v] of Object.entries(entries)) lists.push([`${section}.${k}`, v]);
  }
  const problems: Array<{ path: string; message: string }> = [];
  for (const [path, list] of lists) {
    if (!Array.isArray(list)) continue;
    list.forEach((t, i) => {
      if (typeof t === 'string' && transportType.safeParse(t).success && !running.has(t)) {
        problems.push({ path: `routing.transportOrder.${path}.${i}`, message: `names "${t}", which is not in transports (${[...running].join(', ')})` });
      }
    });
  }
  return problems;
}
