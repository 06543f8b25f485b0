/**
 * RoutingState options: defaults in one frozen object, validated once at construction.
 */
import semver from 'semver';
import type { Clock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { OptionProblems } from '../options/problems.js';
import { resolveRegistrationLimits, type RegistrationLimits } from './registration-policy.js';

export const ROUTING_DEFAULTS = Object.freeze({
  degradedAfterMs: 15_000,
  staleAfterMs: 30_000,
  resyncMinIntervalMs: 1_000,
});

export interface RoutingStateOptions {
  readonly clock: Clock;
  /** No heartbeat for this long makes an instance degraded (docs/configuration.md, `health`). @default 15000 */
  readonly degradedAfterMs?: number;
  /** No heartbeat for this long makes it stale; sweep() removes it. Must exceed degradedAfterMs. @default 30000 */
  readonly staleAfterMs?: number;
  /** Minimum gap between two RESYNCs asked of one instance (`routing.resyncMinIntervalMs`). @default 1000 */
  readonly resyncMinIntervalMs?: number;
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
  readonly resyncMinIntervalMs: number;
  readonly defaultVersions: ReadonlyMap<string, string>;
  readonly logger: Logger;
  readonly registration: RegistrationLimits | false;
}

/** Validates every option, naming each bad one; throws SY_INVALID_ARGUMENT listing them all. */
export function resolveRoutingOptions(input: RoutingStateOptions): ResolvedRoutingOptions {
  const degradedAfterMs = input.degradedAfterMs ?? ROUTING_DEFAULTS.degradedAfterMs;
  const staleAfterMs = input.staleAfterMs ?? ROUTING_DEFAULTS.staleAfterMs;
  const resyncMinIntervalMs = input.resyncMinIntervalMs ?? ROUTING_DEFAULTS.resyncMinIntervalMs;
  const problems = new OptionProblems();
  problems.integer('degradedAfterMs', degradedAfterMs, 1);
  if (!Number.isInteger(staleAfterMs) || staleAfterMs <= degradedAfterMs) {
    problems.expected('staleAfterMs', `an integer greater than degradedAfterMs ${String(degradedAfterMs)}`, staleAfterMs);
  }
  problems.integer('resyncMinIntervalMs', resyncMinIntervalMs, 0);
  const defaultVersions = new Map<string, string>();
  for (const [service, selector] of Object.entries(input.defaultVersions ?? {})) {
    if (typeof selector !== 'string' || semver.validRange(selector) === null) {
      problems.expected(`defaultVersions.${service}`, 'a semver version or range', selector);
    } else {
      defaultVersions.set(service, selector);
    }
  }
  let registration: RegistrationLimits | false = false;
  try {
    if (input.registration !== false) registration = resolveRegistrationLimits(input.registration ?? {});
  } catch (err) {
    problems.add('registration', (err as Error).message);
  }
  if (!problems.isEmpty) throw new InvalidArgumentError('RoutingState options', `are invalid: ${problems.messages().join('; ')}`, problems.list);
  return Object.freeze({ clock: input.clock, degradedAfterMs, staleAfterMs, resyncMinIntervalMs, defaultVersions, logger: input.logger ?? silentLogger, registration });
}
