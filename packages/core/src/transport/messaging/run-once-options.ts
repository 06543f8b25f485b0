/**
 * The `runOnce` options of the Messaging transport (docs/messaging-transport.md, "Run once across
 * instances"): whether a redelivered REQUEST is checked against this instance's memory only, or
 * also against the backend's shared run-once store, and the store's timings.
 */
import type { OptionProblems } from '../../options/problems.js';

export type RunOnceScope = 'instance' | 'shared';

export interface RunOnceOptionsInput {
  /**
   * `instance`: a redelivery that reaches the instance that ran it replays its RESPONSE; another
   * instance runs it again. `shared`: every instance first claims the REQUEST id in the backend's
   * run-once store, so a redelivery anywhere replays the first RESPONSE or waits for the run in
   * progress. @default 'instance'
   */
  scope?: RunOnceScope;
  /**
   * Shared: how long a claim lives without renewal. The running instance renews it at a third of
   * this; an instance paused or cut off for less never sees its REQUEST run elsewhere, and the REQUESTs of
   * an instance that died wait this long before another instance runs them. @default 15000
   */
  claimMs?: number;
  /** Shared: how long an answered REQUEST's RESPONSE stays in the store for replay. @default 60000 */
  ttlMs?: number;
  /** Shared: how often an instance that found another's live claim asks the store again. @default 250 */
  pollMs?: number;
}

export type RunOnceOptions = Readonly<Required<RunOnceOptionsInput>>;

export const RUN_ONCE_DEFAULTS: RunOnceOptions = Object.freeze({ scope: 'instance', claimMs: 15_000, ttlMs: 60_000, pollMs: 250 });

const SCOPES: readonly RunOnceScope[] = ['instance', 'shared'];

/** Adds every problem of a `runOnce` value at `path` (relative to `problems`' prefix). */
export function checkRunOnceOptions(input: unknown, path: string, problems: OptionProblems): void {
  if (input === undefined || !problems.object(path, input)) return;
  const o = input as Record<string, unknown>;
  problems.unknownKeys(o, Object.keys(RUN_ONCE_DEFAULTS), path, { noun: 'a runOnce option' });
  if (o.scope !== undefined && !SCOPES.includes(o.scope as RunOnceScope)) problems.expected(`${path}.scope`, '"instance" or "shared"', o.scope);
  if (o.claimMs !== undefined) problems.integer(`${path}.claimMs`, o.claimMs, 100);
  if (o.ttlMs !== undefined) problems.integer(`${path}.ttlMs`, o.ttlMs, 1);
  if (o.pollMs !== undefined) problems.integer(`${path}.pollMs`, o.pollMs, 1);
}

/** The defaults filled in (call after checkRunOnceOptions found nothing). */
export function resolveRunOnceOptions(input: RunOnceOptionsInput | undefined): RunOnceOptions {
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input ?? {})) if (value !== undefined) given[key] = value;
  return Object.freeze({ ...RUN_ONCE_DEFAULTS, ...given });
}
