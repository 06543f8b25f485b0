/**
 * Who may read the operations views that are not public (`/_switchyard/routes`, and `/metrics`
 * when `ops.metrics: admin`) on the client listener: a caller whose bearer token the gateway's
 * own JWT verifier accepts and that carries `ops.adminClaim` (by default the `scope` word
 * `switchyard:admin`), matched the way endpoint `requiringClaims` are. An anonymous identity is
 * never an administrator; without `auth.jwt` nobody is, and the views are only on the `ops`
 * listener.
 */
import type { ClaimRequirement } from '@switchyard/core';
import { meetsClaims, type Authenticator } from '../policy/authenticator.js';

export type AdminVerdict = 'allowed' | 'unauthenticated' | 'forbidden';

/** Judges an `authorization` header value. */
export type AdminCheck = (authorization: string | undefined) => Promise<AdminVerdict>;

export function adminCheck(authenticator: Authenticator, requirement: ClaimRequirement): AdminCheck {
  const requirements = [requirement];
  return async (authorization) => {
    const auth = await authenticator.authenticate(authorization);
    if (auth.kind !== 'verified') return 'unauthenticated';
    return meetsClaims(auth.identity, requirements) ? 'allowed' : 'forbidden';
  };
}
