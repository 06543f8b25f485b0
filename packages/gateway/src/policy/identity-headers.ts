/**
 * The identity header policy (packages/gateway/README.md, "Design decisions", identity headers):
 * every reserved identity header a client sent is removed, in any letter case, before anything
 * reads headers; identity headers are then written only from the verified principal or the
 * configured anonymous identity. Services trust these headers because nothing else can set them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Identity } from '@switchyard/core';
import { connectionNamedHeaders, isHopByHop } from './hop-by-hop.js';

/** Headers the gateway writes from the identity it verified. */
export const IDENTITY_HEADERS = Object.freeze({
  subject: 'x-switchyard-identity-subject',
  tenant: 'x-switchyard-identity-tenant',
  scopes: 'x-switchyard-identity-scopes',
  anonymous: 'x-switchyard-identity-anonymous',
  userId: 'x-user-id',
  tenantId: 'x-tenant-id',
  scopesPlain: 'x-scopes',
});

/**
 * Decides whether a header name is reserved. Names are compared lower-cased and with `_` read
 * as `-`, because many servers and frameworks (CGI, PHP, WSGI, Rails) turn both into the same
 * variable: `x_user_id` would reach a service as `X-User-Id`. `prefix-*` entries match by prefix.
 */
export class ReservedHeaders {
  private readonly exact: ReadonlySet<string>;
  private readonly prefixes: readonly string[];

  constructor(list: readonly string[]) {
    const lower = list.map(canonicalName);
    this.exact = new Set(lower.filter((h) => !h.endsWith('*')));
    this.prefixes = lower.filter((h) => h.endsWith('*')).map((h) => h.slice(0, -1));
  }

  isReserved(name: string): boolean {
    const lower = canonicalName(name);
    if (this.exact.has(lower)) return true;
    for (const p of this.prefixes) if (lower.startsWith(p)) return true;
    return false;
  }

  /**
   * Removes every reserved header from `headers` in place (Node lower-cases `req.headers` names;
   * we lower-case again so a hand-built object cannot slip through) and returns the names removed.
   */
  strip(headers: IncomingHttpHeaders): string[] {
    const removed: string[] = [];
    for (const name of Object.keys(headers)) {
      if (this.isReserved(name)) {
        delete headers[name];
        removed.push(name);
      }
    }
    return removed;
  }
}

function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.includes('_') ? lower.replaceAll('_', '-') : lower;
}

/**
 * The headers forwarded to the instance: the client's (already stripped) minus hop-by-hop
 * ones and those named in `Connection`, lower-case names, multiple values joined with ', '
 * (docs/protocol.md, REQUEST).
 */
export function forwardableHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  const named = connectionNamedHeaders(headers.connection);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || isHopByHop(name) || named?.has(name) === true) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Writes identity headers from a verified or anonymous identity (never from the client). */
export function writeIdentityHeaders(headers: Record<string, string>, identity: Identity | null, reserved: ReservedHeaders): void {
  if (identity === null) return;
  headers[IDENTITY_HEADERS.anonymous] = identity.anonymous ? 'true' : 'false';
  const scopes = identity.scopes === undefined ? undefined : identity.scopes.join(' ');
  if (identity.subject !== undefined) {
    headers[IDENTITY_HEADERS.subject] = identity.subject;
    if (reserved.isReserved(IDENTITY_HEADERS.userId)) headers[IDENTITY_HEADERS.userId] = identity.subject;
  }
  if (identity.tenant !== undefined) {
    headers[IDENTITY_HEADERS.tenant] = identity.tenant;
    if (reserved.isReserved(IDENTITY_HEADERS.tenantId)) headers[IDENTITY_HEADERS.tenantId] = identity.tenant;
  }
  if (scopes !== undefined) {
    headers[IDENTITY_HEADERS.scopes] = scopes;
    if (reserved.isReserved(IDENTITY_HEADERS.scopesPlain)) headers[IDENTITY_HEADERS.scopesPlain] = scopes;
  }
}
