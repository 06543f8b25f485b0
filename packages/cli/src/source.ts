/**
 * What every CLI command works against: a gateway's admin API (`--gateway`) or Valkey directly
 * (`--valkey`, for when no gateway is up). Both answer in the admin API's shapes.
 */
import type { DeadLetterFilter, RedriveProgress, RedriveResult } from '@switchyard/core';
import type { DeadLetterDetail, DeadLetterSummary, InstanceRow, QueueRow } from '@switchyard/gateway';

export interface ListRequest extends DeadLetterFilter {
  readonly queue?: string;
  readonly limit: number;
}

export interface MatchRequest extends DeadLetterFilter {
  readonly queue?: string;
}

export interface AdminSource {
  instances(): Promise<InstanceRow[]>;
  queues(): Promise<QueueRow[]>;
  deadLetters(request: ListRequest): Promise<DeadLetterSummary[]>;
  deadLetter(queue: string, id: string): Promise<DeadLetterDetail>;
  /** How many dead letters `request` matches now, and in which queues (for --dry-run). */
  countMatching(request: MatchRequest): Promise<{ matched: number; queues: string[] }>;
  /** Replays what `request` matches at `ratePerSecond`; aborting `signal` stops it cleanly. */
  redrive(request: MatchRequest, ratePerSecond: number, signal: AbortSignal, onProgress: (p: RedriveProgress) => void): Promise<RedriveResult>;
  purge(request: MatchRequest): Promise<number>;
  resync(instanceId?: string): Promise<number>;
  /** Drains an instance everywhere (the gateway sends it DRAIN); `told` is false, with `why`, when only that gateway could mark it. */
  drain(instanceId: string, reason?: string): Promise<DrainResult>;
  /** Takes a drain back (the gateway sends UNDRAIN). */
  undrain(instanceId: string, reason?: string): Promise<UndrainResult>;
  close(): Promise<void>;
}

/** What `switchyard drain` reports. */
export interface DrainResult {
  readonly drained: string;
  /** The instance was sent DRAIN: it stops taking requests and every gateway sees it draining. */
  readonly told: boolean;
  /** Why it was not told (it is then drained at the asked gateway only). */
  readonly why?: string;
}

/** What `switchyard undrain` reports. */
export interface UndrainResult {
  readonly undrained: string;
  /** The instance was sent UNDRAIN: it takes requests again and reports healthy. */
  readonly told: boolean;
  readonly why?: string;
}
