/**
 * The gateway's one judge of admin access: the admin API, the console's data, and the operations
 * views that are not public on the client listener (`/_switchyard/routes`, and `/metrics` with
 * `ops.metrics: admin`) all ask it. A caller proves a role with `Authorization: Bearer <token>`:
 * a static token from `admin.tokens`/`admin.tokensFile`, or a JWT verified by `auth.jwt` whose
 * `admin.roleClaim` names the role, or that carries `ops.adminClaim` (by default the `scope` word
 * `switchyard:admin`, matched the way endpoint `requiringClaims` are), which grants `viewer`.
 * A verified JWT with neither is refused 403; an anonymous identity is never an administrator.
 * Cookies are never read, and a request a browser marks as cross-site is refused before its
 * credentials are looked at, so another site cannot drive the API with the operator's browser.
 *
 * `operator` may do everything `viewer` may. Any HTTP surface that needs "admin access" calls
 * {@link AdminAccess.check} with the role it needs; the operations views need `viewer`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import type { AdminConfig, AdminRole, AdminToken } from '../config/admin-schema.js';
import { GatewayConfigError } from '../errors.js';
import type { ClaimRequirement } from '@switchyard/core';
import { meetsClaims, type Authenticator } from '../policy/authenticator.js';

/** The caller an action is logged under. */
export interface AdminPrincipal {
  readonly name: string;
  readonly role: AdminRole;
  readonly via: 'token' | 'jwt';
}

export type AccessDecision =
  | { readonly kind: 'granted'; readonly principal: AdminPrincipal }
  | { readonly kind: 'refused'; readonly status: 401 | 403; readonly code: 'SY_GATEWAY_UNAUTHENTICATED' | 'SY_GATEWAY_FORBIDDEN'; readonly message: string };

const ROLE_RANK: Readonly<Record<AdminRole, number>> = Object.freeze({ viewer: 1, operator: 2 });

interface KnownToken {
  readonly name: string;
  readonly role: AdminRole;
  readonly digest: Buffer;
}

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * Why the browser says this request comes from another site, or undefined when it does not.
 * `Sec-Fetch-Site` other than `same-origin`/`none`, or an `Origin` whose host is not the `Host`
 * the request was sent to, is cross-site. Non-browser clients send neither and pass.
 */
export function crossSiteReason(headers: IncomingHttpHeaders): string | undefined {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is "${site}"`;
  const origin = headers.origin;
  if (typeof origin === 'string') {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `Origin "${origin}" is not a URL`;
    }
    if (originHost === '' || originHost !== headers.host) return `Origin "${origin}" is not this gateway (${headers.host ?? 'no Host header'})`;
  }
  return undefined;
}

export class AdminAccess {
  private constructor(
    private readonly tokens: readonly KnownToken[],
    private readonly roleClaim: string | undefined,
    private readonly adminClaim: ClaimRequirement,
    private readonly authenticator: Authenticator,
  ) {}

  /**
   * Reads `admin.tokensFile` (YAML or JSON list of `{name, role, token}`) and checks it; throws
   * GatewayConfigError naming the entry at fault. Without `admin` config only `adminClaim` grants access.
   */
  static async create(config: AdminConfig | undefined, adminClaim: ClaimRequirement, authenticator: Authenticator, jwtConfigured: boolean): Promise<AdminAccess> {
    if (config === undefined) return new AdminAccess([], undefined, adminClaim, authenticator);
    const tokens: AdminToken[] = [...(config.tokens ?? [])];
    if (config.tokensFile !== undefined) tokens.push(...(await readTokensFile(config.tokensFile)));
    if (config.roleClaim !== undefined && !jwtConfigured) {
      throw new GatewayConfigError([`admin.roleClaim "${config.roleClaim}" needs auth.jwt to verify the token it is read from`], 'admin config');
    }
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const t of tokens) {
      if (seen.has(t.token)) problems.push(`admin token "${t.name}" repeats a token already given; every token must be unique`);
      seen.add(t.token);
    }
    if (problems.length > 0) throw new GatewayConfigError(problems, 'admin config');
    return new AdminAccess(
      tokens.map((t) => Object.freeze({ name: t.name, role: t.role, digest: digest(t.token) })),
      config.roleClaim,
      adminClaim,
      authenticator,
    );
  }

  /** Checks that the request is same-site and carries credentials granting at least `need`. */
  async check(headers: IncomingHttpHeaders, need: AdminRole): Promise<AccessDecision> {
    const crossSite = crossSiteReason(headers);
    if (crossSite !== undefined) {
      return { kind: 'refused', status: 403, code: 'SY_GATEWAY_FORBIDDEN', message: `cross-site request refused: ${crossSite}; use the console served by this gateway or a non-browser client` };
    }
    const authorization = headers.authorization;
    const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (match === null) {
      return { kind: 'refused', status: 401, code: 'SY_GATEWAY_UNAUTHENTICATED', message: 'admin access needs "Authorization: Bearer <token>" with an admin token or a JWT carrying the role claim' };
    }
    const principal = this.byToken(match[1] as string) ?? (await this.byJwt(authorization as string));
    if (principal === undefined) {
      return { kind: 'refused', status: 401, code: 'SY_GATEWAY_UNAUTHENTICATED', message: 'the bearer token is not an admin token and not a verified JWT' };
    }
    if (principal === 'no-role') {
      return { kind: 'refused', status: 403, code: 'SY_GATEWAY_FORBIDDEN', message: 'the verified JWT carries no admin role (admin.roleClaim) and not ops.adminClaim' };
    }
    if (ROLE_RANK[principal.role] < ROLE_RANK[need]) {
      return { kind: 'refused', status: 403, code: 'SY_GATEWAY_FORBIDDEN', message: `"${principal.name}" has role ${principal.role}; this needs ${need}` };
    }
    return { kind: 'granted', principal };
  }

  private byToken(token: string): AdminPrincipal | undefined {
    const d = digest(token);
    let found: KnownToken | undefined;
    // Compare against every token so the time taken does not tell which one was close.
    for (const t of this.tokens) if (timingSafeEqual(t.digest, d)) found = t;
    return found === undefined ? undefined : { name: found.name, role: found.role, via: 'token' };
  }

  /** The role a verified JWT grants; 'no-role' when it is verified but grants none; undefined when it is not verified. */
  private async byJwt(authorization: string): Promise<AdminPrincipal | 'no-role' | undefined> {
    const outcome = await this.authenticator.authenticate(authorization);
    if (outcome.kind !== 'verified') return undefined;
    const value = this.roleClaim === undefined ? undefined : outcome.identity.claims[this.roleClaim];
    const values = Array.isArray(value) ? value : typeof value === 'string' ? value.split(' ') : [];
    const role: AdminRole | undefined = values.includes('operator')
      ? 'operator'
      : values.includes('viewer') || meetsClaims(outcome.identity, [this.adminClaim])
        ? 'viewer'
        : undefined;
    if (role === undefined) return 'no-role';
    return { name: outcome.identity.subject ?? 'jwt', role, via: 'jwt' };
  }
}

/** Reads and checks `admin.tokensFile`; its parser and validator are loaded only when a file is named. */
async function readTokensFile(file: string): Promise<AdminToken[]> {
  const [{ parse: parseYaml }, { z }, { adminTokenSchema }] = await Promise.all([import('yaml'), import('zod'), import('../config/admin-schema.js')]);
  let parsed: unknown;
  try {
    parsed = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new GatewayConfigError([`admin.tokensFile "${file}" cannot be read: ${(err as Error).message}`], 'admin config');
  }
  const result = z.array(adminTokenSchema).safeParse(parsed);
  if (!result.success) {
    throw new GatewayConfigError(
      result.error.issues.map((i) => `admin.tokensFile "${file}" at [${i.path.join('.')}]: ${i.message}`),
      'admin config',
    );
  }
  return result.data;
}
