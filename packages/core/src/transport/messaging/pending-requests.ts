/**
 * The gateway side's dispatched-but-unanswered REQUESTs, by correlation id. A RESPONSE settles
 * its entry exactly once; a RESPONSE whose id is not here (late, duplicate, or for another
 * process) is the caller's to drop and count (SPEC §4).
 */
import type { ResponsePayload } from '../../protocol/frames.js';
import type { CancelListener, Cancellation } from '../cancellation.js';
import type { DispatchTarget } from '../types.js';

export interface PendingRequest {
  readonly target: DispatchTarget;
  readonly deadline: number;
  readonly resolve: (response: ResponsePayload) => void;
  readonly reject: (err: Error) => void;
  /** The caller's cancellation (if any) and the listener to detach from it once settled. */
  readonly cancellation: Cancellation | undefined;
  readonly onCancel: CancelListener | undefined;
}

export class PendingRequests {
  private readonly byId = new Map<string, PendingRequest>();

  get size(): number {
    return this.byId.size;
  }

  add(id: string, pending: PendingRequest): void {
    this.byId.set(id, pending);
  }

  /** Removes and returns the entry of `id`, if it is still waiting. */
  take(id: string): PendingRequest | undefined {
    const pending = this.byId.get(id);
    if (pending === undefined) return undefined;
    this.byId.delete(id);
    if (pending.onCancel !== undefined) pending.cancellation?.offCancel(pending.onCancel);
    return pending;
  }

  /** Removes and returns every entry whose deadline is before `cutoff`. */
  takeOverdue(cutoff: number): Array<[string, PendingRequest]> {
    const overdue: Array<[string, PendingRequest]> = [];
    for (const [id, pending] of this.byId) {
      if (pending.deadline < cutoff) overdue.push([id, pending]);
    }
    for (const [id] of overdue) this.take(id);
    return overdue;
  }

  /** Removes and returns every entry. */
  takeAll(): Array<[string, PendingRequest]> {
    const all = [...this.byId];
    for (const [id] of all) this.take(id);
    return all;
  }
}
