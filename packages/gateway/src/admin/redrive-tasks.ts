/**
 * Redrives running in the background: each replays the dead letters a filter matched at a steady
 * rate, reports progress, and can be cancelled (letters not yet replayed stay dead-lettered). The
 * gateway owns them: `close()` cancels every running task and waits for it.
 */
import { redriveDeadLetters, type Clock, type DeadLetterFilter, type Logger, type RedriveTarget } from '@switchyard/core';

export type RedriveState = 'running' | 'done' | 'cancelled' | 'failed';

/** A task as the API shows it. */
export interface RedriveTaskView {
  readonly id: string;
  readonly state: RedriveState;
  readonly queues: readonly string[];
  readonly filter: DeadLetterFilter;
  readonly ratePerSecond: number;
  readonly matched: number;
  readonly replayed: number;
  readonly missing: number;
  readonly startedBy: string;
  readonly startedAt: number;
  readonly finishedAt?: number;
  readonly error?: string;
}

interface Task {
  view: RedriveTaskView;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/** Finished tasks kept for the console to show. */
const KEEP_FINISHED = 50;

export class RedriveTasks {
  private readonly tasks = new Map<string, Task>();
  private next = 1;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(targets: readonly RedriveTarget[], filter: DeadLetterFilter, ratePerSecond: number, startedBy: string): RedriveTaskView {
    const id = `redrive-${this.next++}`;
    const abort = new AbortController();
    const view: RedriveTaskView = {
      id,
      state: 'running',
      queues: targets.map((t) => t.queue),
      filter,
      ratePerSecond,
      matched: 0,
      replayed: 0,
      missing: 0,
      startedBy,
      startedAt: this.clock.now(),
    };
    const task: Task = { view, abort, done: Promise.resolve() };
    const update = (patch: Partial<RedriveTaskView>): void => {
      task.view = { ...task.view, ...patch };
    };
    (task as { done: Promise<void> }).done = redriveDeadLetters(targets, filter, { ratePerSecond, clock: this.clock, signal: abort.signal, onProgress: (p) => update(p) }).then(
      (result) => {
        update({ ...result, state: result.cancelled ? 'cancelled' : 'done', finishedAt: this.clock.now() });
        this.logger.info({ task: id, ...result, startedBy }, `dead-letter redrive ${result.cancelled ? 'cancelled' : 'finished'}`);
      },
      (err: unknown) => {
        update({ state: 'failed', error: (err as Error).message, finishedAt: this.clock.now() });
        this.logger.error({ task: id, err: (err as Error).message, startedBy }, 'dead-letter redrive failed');
      },
    );
    this.tasks.set(id, task);
    this.forgetOld();
    return view;
  }

  list(): RedriveTaskView[] {
    return [...this.tasks.values()].map((t) => t.view).reverse();
  }

  get(id: string): RedriveTaskView | undefined {
    return this.tasks.get(id)?.view;
  }

  /** Stops a running task after its current replay; resolves with its final view, undefined when unknown. */
  async cancel(id: string): Promise<RedriveTaskView | undefined> {
    const task = this.tasks.get(id);
    if (task === undefined) return undefined;
    task.abort.abort(new Error(`redrive ${id} cancelled`));
    await task.done;
    return task.view;
  }

  /** Cancels every running task and waits for them. */
  async close(): Promise<void> {
    for (const t of this.tasks.values()) t.abort.abort(new Error('gateway stopping'));
    await Promise.all([...this.tasks.values()].map((t) => t.done));
  }

  private forgetOld(): void {
    const finished = [...this.tasks.values()].filter((t) => t.view.state !== 'running');
    for (const t of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.tasks.delete(t.view.id);
  }
}
