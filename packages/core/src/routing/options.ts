/**
 * RoutingState options: defaults in one frozen object, validated once at construction.
 */
import semver from 'semver';
import type { Clock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';

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
}

export interface ResolvedRoutingOptions {
  readonly clock: Clock;
  readonly degradedAfterMs: number;
  readonly staleAfterMs: number;
  readonly resyncMinIntervalMs: number;
  readonly defaultVersions: ReadonlyMap<string, string>;
  readonly logger: Logger;
}

/** Validates every option, naming each bad one; throws SY_INVALID_ARGUMENT listing them all. */
export function resolveRoutingOptions(input: RoutingStateOptions): ResolvedRoutingOptions {
  const degradedAfterMs = input.degradedAfterMs ?? ROUTING_DEFAULTS.degradedAfterMs;
  const staleAfterMs = input.staleAfterMs ?? ROUTING_DEFAULTS.staleAfterMs;
  const resyncMinIntervalMs = input.resyncMinIntervalMs ?? ROUTING_DEFAULTS.resyncMinIntervalMs;
  const problems: string[] = [];
  if (!Number.isInteger(degradedAfterMs) || degradedAfterMs < 1) problems.push(`degradedAfterMs must be an integer ≥ 1 (got ${String(degradedAfterMs)})`);
  if (!Number.isInteger(staleAfterMs) || staleAfterMs <= degradedAfterMs) {
    problems.push(`staleAfterMs must be an integer greater than degradedAfterMs ${String(degradedAfterMs)} (got ${String(staleAfterMs)})`);
  }
  if (!Number.isInteger(resyncMinIntervalMs) || resyncMinIntervalMs < 0) problems.push(`resyncMinIntervalMs must be an integer ≥ 0 (got ${String(resyncMinIntervalMs)})`);
  const defaultVersions = new Map<string, string>();
  for (const [service, selector] of Object.entries(input.defaultVersions ?? {})) {
    if (typeof selector !== 'string' || semver.validRange(selector) === null) {
      problems.push(`defaultVersions.${service} must be a semver version or range (got ${JSON.stringify(selector)})`);
    } else {
      defaultVersions.set(service, selector);
    }
  }
  if (problems.length > 0) throw new InvalidArgumentError('RoutingState options', `are invalid: ${problems.join('; ')}`);
  return Object.freeze({ clock: input.clock, degradedAfterMs, staleAfterMs, resyncMinIntervalMs, defaultVersions, logger: input.logger ?? silentLogger });
}
