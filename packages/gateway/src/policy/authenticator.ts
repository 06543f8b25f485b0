/**
 * JWT authentication with jose (issuer, audience, HS/RS/PS/ES/EdDSA keys from a secret, a PEM,
 * a JWKS file or a JWKS URL) and the endpoint `requiringClaims` check. Keys are loaded once at
 * start; a JWKS URL is fetched lazily and cached by jose (refetched on an unknown `kid`). jose itself
 * is loaded only when `auth.jwt` is configured.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import type { ClaimRequirement, Identity } from '@switchyard/core';
import type { AnonymousConfig, JwtConfig } from '../config/schema.js';
import { GatewayAuthSetupError } from '../errors.js';
import { claimMatches } from './claim-match.js';
import { isSafeHeaderValue } from './header-value.js';

/** The outcome of reading a request's credentials. */
export type AuthOutcome =
  | { readonly kind: 'verified'; readonly identity: Identity }
  | { readonly kind: 'anonymous'; readonly identity: Identity }
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid'; readonly reason: string };

export interface Authenticator {
  /**
   * Verifies the `authorization` header value (Bearer token) if any. Answers directly, without a
   * promise, when there is nothing to verify (no header, or no verifier configured).
   */
  authenticate(authorization: string | undefined): AuthOutcome | Promise<AuthOutcome>;
}

type Key = Uint8Array | KeyObject | JWTVerifyGetKey;

/** Builds the authenticator from `auth` config; throws {@link GatewayAuthSetupError} when keys cannot be loaded. */
export async function createAuthenticator(auth: { jwt?: JwtConfig; anonymous?: AnonymousConfig }): Promise<Authenticator> {
  const anonymous: AuthOutcome =
    auth.anonymous === undefined
      ? { kind: 'none' }
      : {
          kind: 'anonymous',
          identity: Object.freeze({
            anonymous: true,
            subject: auth.anonymous.subject,
            ...(auth.anonymous.tenant === undefined ? {} : { tenant: auth.anonymous.tenant }),
            scopes: Object.freeze([...auth.anonymous.scopes]),
            claims: Object.freeze({}),
          }),
        };
  const jwtConfig = auth.jwt;
  if (jwtConfig === undefined) {
    // No verifier configured: a bearer token cannot be checked, so it grants nothing.
    return { authenticate: () => anonymous };
  }
  const jwt: JwtConfig = jwtConfig;
  const jose = await import('jose');
  const { jwtVerify } = jose;
  const key = await loadKey(jwt, jose);
  const options: JWTVerifyOptions = {
    ...(jwt.issuer === undefined ? {} : { issuer: jwt.issuer }),
    ...(jwt.audience === undefined ? {} : { audience: jwt.audience }),
    ...(jwt.algorithms === undefined ? (jwt.secret === undefined ? {} : { algorithms: ['HS256', 'HS384', 'HS512'] }) : { algorithms: [...jwt.algorithms] }),
    clockTolerance: jwt.clockToleranceSec,
    // A token without `exp` would be valid forever once leaked.
    ...(jwt.requireExp ? { requiredClaims: ['exp'] } : {}),
  };
  return {
    authenticate(authorization) {
      if (authorization === undefined || authorization === '') return anonymous;
      return verify(authorization);
    },
  };

  async function verify(authorization: string): Promise<AuthOutcome> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match === null) return { kind: 'invalid', reason: 'authorization header is not "Bearer <token>"' };
    try {
      const token = match[1] as string;
      const { payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
      const identity = identityFrom(payload, jwt);
      const unsafe = unsafeIdentityField(identity);
      if (unsafe !== undefined) return { kind: 'invalid', reason: `the token's ${unsafe} holds a control character and cannot be forwarded as a header` };
      return { kind: 'verified', identity };
    } catch (err) {
      return { kind: 'invalid', reason: (err as { code?: string }).code ?? (err as Error).message };
    }
  }
}

async function loadKey(jwt: JwtConfig, { createLocalJWKSet, createRemoteJWKSet }: typeof import('jose')): Promise<Key> {
  if (jwt.secret !== undefined) return new TextEncoder().encode(jwt.secret);
  try {
    if (jwt.publicKey !== undefined) return createPublicKey(jwt.publicKey);
    if (jwt.publicKeyFile !== undefined) return createPublicKey(await readFile(jwt.publicKeyFile, 'utf8'));
    if (jwt.jwksFile !== undefined) return createLocalJWKSet(JSON.parse(await readFile(jwt.jwksFile, 'utf8')));
    if (jwt.jwksUrl !== undefined) return createRemoteJWKSet(new URL(jwt.jwksUrl));
  } catch (err) {
    const key = jwt.publicKey !== undefined ? 'publicKey' : jwt.publicKeyFile !== undefined ? 'publicKeyFile' : 'jwksFile';
    throw new GatewayAuthSetupError(`auth.jwt.${key}`, (err as Error).message, { cause: err });
  }
  throw new GatewayAuthSetupError('auth.jwt', 'no key source configured');
}

function identityFrom(payload: JWTPayload, jwt: JwtConfig): Identity {
  const tenant = payload[jwt.tenantClaim];
  const scopes = scopesOf(payload[jwt.scopesClaim]);
  return Object.freeze({
    anonymous: false,
    ...(typeof payload.sub === 'string' ? { subject: payload.sub } : {}),
    ...(typeof tenant === 'string' ? { tenant } : {}),
    ...(scopes === undefined ? {} : { scopes }),
    claims: Object.freeze({ ...payload }),
  });
}

/** The first identity field that cannot be written as a header value, if any. */
function unsafeIdentityField(identity: Identity): string | undefined {
  if (identity.subject !== undefined && !isSafeHeaderValue(identity.subject)) return 'subject';
  if (identity.tenant !== undefined && !isSafeHeaderValue(identity.tenant)) return 'tenant';
  if (identity.scopes !== undefined && !identity.scopes.every(isSafeHeaderValue)) return 'scopes';
  return undefined;
}

function scopesOf(value: unknown): readonly string[] | undefined {
  if (typeof value === 'string') return value.split(' ').filter((s) => s !== '');
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string');
  return undefined;
}

/**
 * True when `identity` meets every requirement: the token carries the claim itself (not through
 * the object prototype) and, when a value is given, the claim matches it ({@link claimMatches}:
 * equal, an array element, or a word of a space-separated `scope` string; never a throw).
 * An anonymous identity never meets a requirement.
 */
export function meetsClaims(identity: Identity | null, requirements: readonly ClaimRequirement[]): boolean {
  if (requirements.length === 0) return true;
  if (identity === null || identity.anonymous) return false;
  for (const r of requirements) {
    if (!Object.hasOwn(identity.claims, r.claim)) return false;
    const actual: unknown = identity.claims[r.claim];
    if (actual === undefined || actual === null) return false;
    if (r.value !== undefined && !claimMatches(actual, r.value)) return false;
  }
  return true;
}
