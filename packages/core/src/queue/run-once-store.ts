/**
 * The run-once store: what lets a REQUEST redelivered to another instance replay the first
 * execution's RESPONSE instead of running again (docs/messaging-transport.md, "Run once across
 * instances"). A backend that can share it between processes offers it through
 * `QueueBackend.runOnceStore()`; the Messaging instance transport owns the policy (when to claim,
 * wait, renew, answer or abandon), the store only keeps one small record per REQUEST id:
 *
 *   nothing ──claim──▶ claimed by <owner> (expires after claimMs unless renewed)
 *   claimed ──answer──▶ answered with <RESPONSE bytes> (expires after ttlMs)
 *   claimed ──abandon──▶ nothing (the run ended without an answer worth replaying)
 *
 * Every verb is one atomic step on the server, so two instances racing for one id see exactly one
 * `claimed`.
 */

/** What `claim` found. */
export type RunOnceClaim =
  /** The caller holds the claim now (it was free, or the caller already held it): run the REQUEST. */
  | { readonly state: 'claimed' }
  /** Another owner holds a live claim: its run has not answered yet. */
  | { readonly state: 'held' }
  /** A run answered: `response` is the bytes given to `answer`. */
  | { readonly state: 'answered'; readonly response: Uint8Array };

export interface RunOnceStore {
  /** Claims `id` for `owner` for `claimMs`, unless another owner holds it or it was answered. */
  claim(id: string, owner: string, claimMs: number): Promise<RunOnceClaim>;
  /** Extends `owner`'s claim to `claimMs` from now; false when `owner` no longer holds it (expired, answered or taken). */
  renew(id: string, owner: string, claimMs: number): Promise<boolean>;
  /**
   * Stores the answer for `ttlMs`, replacing any claim (even another owner's: an answer is what a
   * redelivery needs). False, storing nothing, when an answer was already stored: the first answer wins.
   */
  answer(id: string, owner: string, response: Uint8Array, ttlMs: number): Promise<boolean>;
  /** Drops `owner`'s claim so another instance may run `id`; does nothing to an answer or to another owner's claim. */
  abandon(id: string, owner: string): Promise<void>;
}
