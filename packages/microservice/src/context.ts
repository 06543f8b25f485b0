/**
 * The handler's ServiceContext. Its AbortSignal is made on first use: most handlers never look at
 * it, and a request should allocate little. Signals that were handed out are tracked so a drain
 * timeout can abort them.
 */
import type { Cancellation, RequestFrame } from '@switchyard/core';
import type { ServiceContext, ServiceResponse } from './types.js';

export class RequestContext implements ServiceContext {
  private own: AbortController | undefined;

  constructor(
    private readonly frame: RequestFrame,
    private readonly cancellation: Cancellation,
    readonly instanceId: string,
    /** Where handed-out controllers are registered (and removed by the caller when the handler ends). */
    private readonly exposed: Set<AbortController>,
  ) {}

  get signal(): AbortSignal {
    if (this.own === undefined) {
      const controller = new AbortController();
      // Its own controller, not the transport's signal: a drain timeout aborts what handlers were
      // given ('shutdown') without cancelling the request on the transport.
      const source = this.cancellation;
      if (source.reason !== undefined) controller.abort(source.reason);
      else source.onCancel((reason) => controller.abort(reason));
      this.exposed.add(controller);
      this.own = controller;
    }
    return this.own.signal;
  }

  get requestId(): string {
    return this.frame.id;
  }

  get deadline(): number {
    return this.frame.payload.deadline;
  }

  accepted(jobId: string, location = `/jobs/${encodeURIComponent(jobId)}`): ServiceResponse {
    return { status: 202, headers: { location }, json: { jobId, status: 'accepted', location } };
  }

  /** Stops tracking the controller handed out, if any (the handler has ended). */
  release(): void {
    if (this.own !== undefined) this.exposed.delete(this.own);
  }
}
