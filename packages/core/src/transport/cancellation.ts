/**
 * One request's cancellation, cheap enough for the request hot path.
 *
 * An AbortController per request costs a few microseconds and about a kilobyte (an EventTarget,
 * its signal, listener bookkeeping) on both the gateway and the instance, yet almost no request is
 * ever cancelled and most handlers never look at a signal. A Cancellation is a plain object: the
 * transport registers one listener, and an `AbortSignal` is made only when someone reads
 * `signal` (a handler passing it to `fetch`, a timer, a database driver).
 *
 *   const cancellation = new Cancellation();
 *   const answer = transport.dispatch(target, request, { cancellation });
 *   cancellation.cancel('timeout');   // the transport sends CANCEL; `answer` rejects
 */
import type { CancelReason } from '../protocol/frames.js';

export type CancelListener = (reason: CancelReason) => void;

export class Cancellation {
  private why: CancelReason | undefined;
  /** The first listener has its own slot: a request usually has exactly one (its transport). */
  private first: CancelListener | undefined;
  private rest: CancelListener[] | undefined;
  private controller: AbortController | undefined;

  /** True once `cancel()` was called. */
  get cancelled(): boolean {
    return this.why !== undefined;
  }

  /** Why it was cancelled; undefined while it is not. */
  get reason(): CancelReason | undefined {
    return this.why;
  }

  /** An AbortSignal that aborts (with the CancelReason as its reason) when this is cancelled; made on first read. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.why !== undefined) this.controller.abort(this.why);
    }
    return this.controller.signal;
  }

  /**
   * Calls `listener` once, when this is cancelled. Not called when it already is: check
   * `cancelled` first. A listener must not throw.
   */
  onCancel(listener: CancelListener): void {
    if (this.why !== undefined) return;
    if (this.first === undefined) this.first = listener;
    else (this.rest ??= []).push(listener);
  }

  /** Removes a listener added with onCancel (a settled request must not be cancelled later). */
  offCancel(listener: CancelListener): void {
    if (this.first === listener) {
      this.first = this.rest?.shift();
      return;
    }
    const i = this.rest?.indexOf(listener) ?? -1;
    if (i >= 0) this.rest?.splice(i, 1);
  }

  /** Cancels with `reason`: listeners run, then the signal (if one was made) aborts. False when already cancelled. */
  cancel(reason: CancelReason): boolean {
    if (this.why !== undefined) return false;
    this.why = reason;
    const first = this.first;
    const rest = this.rest;
    this.first = undefined;
    this.rest = undefined;
    first?.(reason);
    if (rest !== undefined) for (const listener of rest) listener(reason);
    this.controller?.abort(reason);
    return true;
  }
}
