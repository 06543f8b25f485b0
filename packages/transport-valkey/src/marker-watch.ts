/**
 * What this process knows of one marker key of a queue (does it exist?), as of its last look. The
 * answer is read with an `EXISTS` beside the work that needs it, never awaited by that work, and
 * read again once it is older than `recheckMs`; until the first answer it is unknown. A sticky
 * watch keeps a `true` for good (a queue once seen fan-out stays so for this process).
 */
import type { ValkeyClient } from './connection.js';

/** How long an answer is trusted. */
export const MARKER_RECHECK_MS = 1_000;

export class MarkerWatch {
  private value: boolean | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private checking = false;

  constructor(
    private readonly key: string,
    private readonly now: () => number,
    private readonly sticky: boolean,
    private readonly recheckMs = MARKER_RECHECK_MS,
  ) {}

  /** The last answer: undefined until one arrived. */
  get known(): boolean | undefined {
    return this.value;
  }

  /** This process set the marker itself: no need to wait for the next look. */
  markedHere(): void {
    this.value = true;
  }

  /** Looks again (not awaited) when the last answer is older than recheckMs. */
  refresh(client: ValkeyClient): void {
    if (this.checking || this.now() - this.checkedAt < this.recheckMs) return;
    this.checking = true;
    client.exists(this.key).then(
      (n) => {
        if (!(this.sticky && this.value === true)) this.value = n === 1;
        this.checkedAt = this.now();
        this.checking = false;
      },
      () => {
        this.checking = false;
      },
    );
  }
}
