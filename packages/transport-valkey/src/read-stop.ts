/**
 * Ends a blocking read when its signal, or its consumer's stop, aborts. A blocked XREAD or
 * XREADGROUP ends only when its connection drops, so the abort drops the reader connection (the
 * pending read is dropped, not re-sent). Each signal gets one abort listener, not one per read: a
 * subscription passes the same signal to every read, and adding and removing listeners on an
 * AbortSignal per read cost more than the read's own bookkeeping.
 */
export class ReadStop {
  /** The signal of the outstanding read. */
  private readSignal: AbortSignal | undefined;
  private inRead = false;
  /** Signals that have the listener (it goes when the signal aborts). */
  private readonly watched = new WeakSet<AbortSignal>();
  private readonly onAbort = (): void => {
    if (this.inRead && this.isStopped(this.readSignal)) this.dropReader();
    this.afterAbort();
  };

  constructor(
    /** The consumer's stop: aborted when it closes. */
    private readonly stopping: AbortSignal,
    /** Disconnects the connection the outstanding read is on (and forgets it). */
    private readonly dropReader: () => void,
    /** Runs on every abort the listener sees, after the outstanding read was dropped. */
    private readonly afterAbort: () => void = () => undefined,
  ) {
    stopping.addEventListener('abort', this.onAbort, { once: true });
  }

  /** A read is outstanding (between begin() and end()). */
  get outstanding(): boolean {
    return this.inRead;
  }

  isStopped(signal: AbortSignal | undefined): boolean {
    return signal?.aborted === true || this.stopping.aborted;
  }

  /** Puts the listener on `signal`, once per signal. */
  watch(signal: AbortSignal | undefined): void {
    if (signal === undefined || this.watched.has(signal)) return;
    this.watched.add(signal);
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** A read goes out under `signal`: until end(), an abort of it or of the stop drops the reader. */
  begin(signal: AbortSignal | undefined): void {
    this.watch(signal);
    this.readSignal = signal;
    this.inRead = true;
  }

  end(): void {
    this.inRead = false;
    this.readSignal = undefined;
  }
}
