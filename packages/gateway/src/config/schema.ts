/**
 * The gateway config schema (docs/configuration.md), with every default in one place. Parsed once at
 * start by `parseGatewayConfig`; nothing downstream checks or defaults again.
 */
import semver from 'semver';
import { z } from 'zod';
import { http2LimitsSchema, httpTlsSchema } from './listener-schema.js';
import { adminSchema } from './admin-schema.js';
import { admissionSchema, transportOrderSchema } from './admission-schema.js';
import { DEFAULT_RESERVED_HEADERS, defaultNodeId, GATEWAY_DEFAULTS } from './defaults.js';

export { DEFAULT_RESERVED_HEADERS, GATEWAY_DEFAULTS } from './defaults.js';

// Environment values arrive as JSON when they parse as JSON, so `SWITCHYARD_NODE__ID=7` is the
// number 7; a string field takes it back as "7" rather than failing.
const text = () =>
  z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), z.string());
const nonEmpty = () =>
  z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().min(1, 'must be a non-empty string'));
const positiveInt = (): z.ZodNumber => z.number().int('must be an integer').positive('must be > 0');
const stringOrList = (): z.ZodUnion<[z.ZodString, z.ZodArray<z.ZodString>]> => z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const nodeSchema = z
  .strictObject({
    id: nonEmpty()
      .refine((v) => /^[A-Za-z0-9_.-]+$/.test(v), 'must contain only letters, digits, "_", "." and "-" (it names the responses queue)')
      .default(() => defaultNodeId()),
    region: nonEmpty().default(GATEWAY_DEFAULTS.region),
  })
  .prefault({});

const httpSchema = z
  .strictObject({
    host: nonEmpty().default(GATEWAY_DEFAULTS.host),
    port: z.number().int('must be an integer').min(0).max(65_535).default(GATEWAY_DEFAULTS.port),
    maxBodyBytes: positiveInt().default(GATEWAY_DEFAULTS.maxBodyBytes),
    requestIdHeader: nonEmpty().transform((v) => v.toLowerCase()).default(GATEWAY_DEFAULTS.requestIdHeader),
    shutdownGraceMs: z.number().int().min(0).default(GATEWAY_DEFAULTS.shutdownGraceMs),
    keepAliveTimeoutMs: positiveInt().default(GATEWAY_DEFAULTS.keepAliveTimeoutMs),
    trustProxy: z.boolean().default(false),
    maxRequestTargetBytes: positiveInt().default(GATEWAY_DEFAULTS.maxRequestTargetBytes),
    maxHeaderBytes: positiveInt().default(GATEWAY_DEFAULTS.maxHeaderBytes),
    headersTimeoutMs: positiveInt().default(GATEWAY_DEFAULTS.headersTimeoutMs),
    requestTimeoutMs: positiveInt().default(GATEWAY_DEFAULTS.requestTimeoutMs),
    bodyIdleTimeoutMs: positiveInt().default(GATEWAY_DEFAULTS.bodyIdleTimeoutMs),
    streamWindowBytes: z.number().int('must be an integer').min(65_536, 'must be at least 65536').default(GATEWAY_DEFAULTS.streamWindowBytes),
    maxConnectionsPerClient: z.number().int('must be an integer').min(0).default(GATEWAY_DEFAULTS.maxConnectionsPerClient),
    // The client listener (http/listener.ts): HTTPS, and HTTP/2 with its limits.
    tls: httpTlsSchema.optional(),
    http2: z.boolean().default(false),
    http2Limits: http2LimitsSchema,
  })
  .prefault({})
  .refine((h) => h.headersTimeoutMs <= h.requestTimeoutMs, {
    message: 'must not be greater than http.requestTimeoutMs (the headers are part of the request)',
    path: ['headersTimeoutMs'],
  });

const transportSchema = z.looseObject({
  type: z.enum(['messaging', 'tcp', 'tls', 'inmemory']),
});

const routingSchema = z
  .strictObject({
    defaultTimeoutMs: positiveInt().default(GATEWAY_DEFAULTS.defaultTimeoutMs),
    defaultVersions: z
      .record(z.string(), text().refine((v) => semver.validRange(v) !== null, 'must be a semver version like 1.4.2 or a range like ^1.4'))
      .default({}),
    sweepIntervalMs: positiveInt().default(GATEWAY_DEFAULTS.sweepIntervalMs),
    rememberDepartedMs: z.number().int('must be an integer').min(0).default(GATEWAY_DEFAULTS.rememberDepartedMs),
    resyncMinIntervalMs: z.number().int('must be an integer').min(0).default(GATEWAY_DEFAULTS.resyncMinIntervalMs),
    // Registration policy bounds (core routing/registration-policy.ts); its defaults when absent.
    maxInstancesPerService: positiveInt().optional(),
    maxEndpoints: positiveInt().optional(),
    // Which transports a route or service is sent over, in order (config/admission-schema.ts).
    transportOrder: transportOrderSchema,
  })
  .prefault({});

const healthSchema = z
  .strictObject({
    degradedAfterMs: positiveInt().default(GATEWAY_DEFAULTS.degradedAfterMs),
    staleAfterMs: positiveInt().default(GATEWAY_DEFAULTS.staleAfterMs),
    requiredServices: z.array(nonEmpty()).default([]),
  })
  .prefault({})
  .refine((h) => h.staleAfterMs > h.degradedAfterMs, {
    message: 'must be greater than health.degradedAfterMs',
    path: ['staleAfterMs'],
  });

const jwtSchema = z
  .strictObject({
    issuer: stringOrList().optional(),
    audience: stringOrList().optional(),
    algorithms: z.array(z.enum(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1).optional(),
    secret: nonEmpty().optional(),
    publicKey: nonEmpty().optional(),
    publicKeyFile: nonEmpty().optional(),
    jwksFile: nonEmpty().optional(),
    jwksUrl: z.url().optional(),
    clockToleranceSec: z.number().min(0).default(GATEWAY_DEFAULTS.clockToleranceSec),
    requireExp: z.boolean().default(true),
    tenantClaim: nonEmpty().default(GATEWAY_DEFAULTS.tenantClaim),
    scopesClaim: nonEmpty().default(GATEWAY_DEFAULTS.scopesClaim),
  })
  .superRefine((jwt, ctx) => {
    const sources = (['secret', 'publicKey', 'publicKeyFile', 'jwksFile', 'jwksUrl'] as const).filter((k) => jwt[k] !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          sources.length === 0
            ? 'needs exactly one key source: secret, publicKey, publicKeyFile, jwksFile or jwksUrl'
            : `has ${sources.join(' and ')}; give exactly one key source`,
        path: [],
      });
    }
  });

const anonymousSchema = z.strictObject({
  subject: nonEmpty().default('anonymous'),
  tenant: nonEmpty().optional(),
  scopes: z.array(nonEmpty()).default([]),
});

const authSchema = z
  .strictObject({
    jwt: jwtSchema.optional(),
    anonymous: anonymousSchema.optional(),
    reservedHeaders: z
      .array(nonEmpty().transform((v) => v.toLowerCase()))
      .default([...DEFAULT_RESERVED_HEADERS]),
  })
  .prefault({});

const bucketSchema = z.strictObject({
  requestsPerSecond: z.number().positive('must be > 0'),
  burst: positiveInt().optional(),
});

const rateLimitSchema = z
  .strictObject({
    perClient: bucketSchema.optional(),
    perRoute: bucketSchema.optional(),
    clientKey: z.enum(['subject-or-ip', 'ip']).default('subject-or-ip'),
    maxClients: positiveInt().default(GATEWAY_DEFAULTS.maxClients),
    /** Decide perClient and perRoute in the messaging transport's backend, shared by every replica (docs/operations.md, "Shared rate limits"). */
    shared: z
      .strictObject({
        timeoutMs: positiveInt().default(GATEWAY_DEFAULTS.sharedRateLimitTimeoutMs),
      })
      .optional(),
  })
  .prefault({});

const claimSchema = z.strictObject({ claim: nonEmpty(), value: nonEmpty().optional() });

const opsSchema = z
  .strictObject({
    host: nonEmpty().default(GATEWAY_DEFAULTS.opsHost),
    port: z.number().int('must be an integer').min(0).max(65_535).optional(),
    metrics: z.enum(['public', 'admin']).default('public'),
    adminClaim: claimSchema.default({ ...GATEWAY_DEFAULTS.adminClaim }),
  })
  .prefault({});

const logSchema = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(GATEWAY_DEFAULTS.logLevel),
    requests: z.boolean().default(true),
  })
  .prefault({});

/** What the gateway validates against the endpoints' schemas (docs/configuration.md, `validation`). */
const validationSchema = z.enum(['off', 'requests', 'requests-and-responses']).default('requests');

export const gatewayConfigSchema = z.strictObject({
  node: nodeSchema,
  http: httpSchema,
  transports: z
    .array(transportSchema)
    .min(1, 'must list at least one transport')
    .superRefine((entries, ctx) => {
      // Instances are addressed by transport type (InstanceLink.transport), so one of each.
      const seen = new Map<string, number>();
      entries.forEach((e, i) => {
        const first = seen.get(e.type);
        if (first === undefined) seen.set(e.type, i);
        else ctx.addIssue({ code: 'custom', path: [i, 'type'], message: `a gateway runs at most one transport of each type; "${e.type}" is already transports[${first}]` });
      });
    }),
  routing: routingSchema,
  health: healthSchema,
  auth: authSchema,
  rateLimit: rateLimitSchema,
  ops: opsSchema,
  log: logSchema,
  validation: validationSchema,
  admin: adminSchema,
  admission: admissionSchema,
});

/** The validated, fully defaulted, frozen gateway config. */
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
/** What a config file may contain before defaults are applied. */
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type JwtConfig = NonNullable<GatewayConfig['auth']['jwt']>;
export type AnonymousConfig = NonNullable<GatewayConfig['auth']['anonymous']>;
export type RateLimitConfig = GatewayConfig['rateLimit'];
export type HttpConfig = GatewayConfig['http'];
export type OpsConfig = GatewayConfig['ops'];
export type TransportEntry = GatewayConfig['transports'][number];
export type { AdmissionConfig, LimitConfig, TransportOrderConfig } from './admission-schema.js';

/** Top-level keys, for env mapping and "did you mean" hints. */
export const TOP_LEVEL_KEYS: readonly string[] = Object.freeze(Object.keys(gatewayConfigSchema.shape));
