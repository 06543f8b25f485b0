/**
 * Key hygiene of the gateway side of the Messaging transport (docs/operations.md, "Key hygiene"),
 * on a backend that keeps signs of life (KeyHygiene). Every third of the grace this node records a
 * sign of life, then deletes what departed nodes left: the responses queue of every gateway node
 * silent longer than the grace (again on each round for a while after, since a late RESPONSE an
 * instance sends re-creates it) and its consumers on `gateway.control` (a gateway built from
 * config names its consumers after its node id). Any live gateway may do it; the deletions are
 * idempotent, so two doing it at once is harmless. A node deletes only after it has itself beaten
 * without a gap for a whole grace period: after a backend outage every live node is silent, and
 * none may take the others for departed before they have had the time to beat again.
 */
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { KeyHygiene } from '../../queue/backend.js';
import { GATEWAY_CONTROL_QUEUE, gatewayResponsesQueue } from './queue-names.js';

/** How long a departed node's name is kept after its grace, so late RESPONSEs that re-create its queue are deleted too. */
export const DEPARTED_NODE_MEMORY_MS = 5 * 60_000;

export interface DepartedGatewaysInit {
  readonly hygiene: KeyHygiene;
  readonly nodeId: string;
  readonly graceMs: number;
  readonly deadLetterSuffix: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class DepartedGateways {
  private round: Promise<void> | undefined;
  private stopTimer: (() => void) | undefined;
  /** Since when this node has beaten without a gap (undefined: the last beat failed or none yet). */
  private beatingSince: number | undefined;
  private lastBeatAt = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private readonly intervalMs: number;

  constructor(private readonly init: DepartedGatewaysInit) {
    this.intervalMs = Math.max(250, Math.floor(init.graceMs / 3));
  }

  /** Records a sign of life now, then runs a round every third of the grace until stop(). */
  start(): void {
    this.tick();
    this.stopTimer = this.init.clock.every(this.intervalMs, () => this.tick());
  }

  /**
   * Stops the rounds. One in progress is not waited for (with Valkey down it could take
   * commandTimeoutMs); it ends on its own and says nothing. This node's signs of life are left to
   * age: a restart under the same id within the grace keeps its queue.
   */
  stop(): void {
    this.stopped = true;
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  private tick(): void {
    this.round ??= this.runRound().finally(() => {
      this.round = undefined;
    });
  }

  private async runRound(): Promise<void> {
    const { hygiene, nodeId, graceMs, deadLetterSuffix, logger, clock } = this.init;
    try {
      try {
        await hygiene.beat(nodeId);
      } catch (err) {
        this.beatingSince = undefined;
        throw err;
      }
      const now = clock.now();
      if (this.beatingSince === undefined || now - this.lastBeatAt > 2 * this.intervalMs) this.beatingSince = now;
      this.lastBeatAt = now;
      if (now - this.beatingSince < graceMs) return;
      for (const { owner, silentMs } of await hygiene.silent(graceMs)) {
        if (owner === nodeId || this.stopped) continue;
        const queue = gatewayResponsesQueue(owner);
        const keys = await hygiene.deleteQueue(queue, queue + deadLetterSuffix);
        const consumers = await hygiene.deleteConsumers(GATEWAY_CONTROL_QUEUE, owner);
        if (keys > 0 || consumers > 0) logger.info({ node: owner, silentMs, keys, consumers }, 'deleted the queues and consumers of a departed gateway node');
        if (silentMs > graceMs + DEPARTED_NODE_MEMORY_MS) await hygiene.forget(owner);
      }
    } catch (err) {
      if (!this.stopped) logger.warn({ err, node: nodeId }, 'key hygiene round failed; will try again');
    }
  }
}
