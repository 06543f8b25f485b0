/**
 * RoutingState options: defaults in one frozen object, validated once at construction.
 */
import semver from 'semver';
import type { Clock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { resolveRegistrationLimits, type RegistrationLimits } from './registration-policy.js';

export const ROUTING_DEFAULTS = Object.freeze({
  degradedAfterMs: 15_000,
  staleAfterMs: 30_000,
});

export interface RoutingStateOptions {
  readonly clock: Clock;
  /** No heartbeat for this long makes an instance degraded (SPEC §6). @default 15000 */
  readonly degradedAfterMs?: number;
  /** No heartbeat for this long makes it stale; sweep() removes it. Must exceed degradedAfterMs. @default 30000 */
  readonly staleAfterMs?: number;
  /** Service name → version or semver range used when a request names none (`routing.defaultVersions`). @default {} */
  readonly defaultVersions?: Readonly<Record<string, string>>;
  /** Receives warnings (route conflicts between services). @default silentLogger */
  readonly logger?: Logger;
  /** Limits of the registration policy (registration-policy.ts), or false to apply every HELLO unchecked (a state that only mirrors another one). @default REGISTRATION_DEFAULTS */
  readonly registration?: Partial<RegistrationLimits> | false;
}

export interface ResolvedRoutingOptions {
  readonly clock: Clock;
  readonly degradedAfterMs: number;
  readonly staleAfterMs: number;
  readonly defaultVersions: ReadonlyMap<string, string>;
  readonly logger: Logger;
  readonly registration: RegistrationLimits | false;
}

/** Validates every option, naming each bad one; throws SY_INVALID_ARGUMENT listing them all. */
export function resolveRoutingOptions(input: RoutingStateOptions): ResolvedRoutingOptions {
  const degradedAfterMs = input.degradedAfterMs ?? ROUTING_DEFAULTS.degradedAfterMs;
  const staleAfterMs = input.staleAfterMs ?? ROUTING_DEFAULTS.staleAfterMs;
  const problems: string[] = [];
  if (!Number.isInteger(degradedAfterMs) || degradedAfterMs < 1) problems.push(`degradedAfterMs must be an integer ≥ 1 (got ${String(degradedAfterMs)})`);
  if (!Number.isInteger(staleAfterMs) || staleAfterMs <= degradedAfterMs) {
    problems.push(`staleAfterMs must be an integer greater than degradedAfterMs ${String(degradedAfterMs)} (got ${String(staleAfterMs)})`);
  }
  const defaultVersions = new Map<string, string>();
  for (const [service, selector] of Object.entries(input.defaultVersions ?? {})) {
    if (typeof selector !== 'string' || semver.validRange(selector) === null) {
      problems.push(`defaultVersions.${service} must be a semver version or range (got ${JSON.stringify(selector)})`);
    } else {
      defaultVersions.set(service, selector);
    }
  }
  let registration: RegistrationLimits | false = false;
  try {
    if (input.registration !== false) registration = resolveRegistrationLimits(input.registration ?? {});
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0) throw new InvalidArgumentError('RoutingState options', `are invalid: ${problems.join('; ')}`);
  return Object.freeze({ clock: input.clock, degradedAfterMs, staleAfterMs, defaultVersions, logger: input.logger ?? silentLogger, registration });
}
