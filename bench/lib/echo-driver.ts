/**
 * What bench:service drives: one echo process (Switchyard's echo service or a reference worker)
 * and a way to send it REQUESTs as a gateway would, with no HTTP in front.
 */
import type { Identity } from '@switchyard/core';
import { elapsedMs } from './stats.js';

/** One echo process and a way to send it REQUESTs. */
export interface EchoDriver {
  readonly name: string;
  readonly pid: number;
  /** One REQUEST at a time, `n` times; the round-trip time of each, in µs. */
  serial(n: number): Promise<number[]>;
  /** `n` REQUESTs many at a time (the shape of c=256): over TCP `concurrency` in flight at all times, over Valkey all queued first, then drained. */
  queued(n: number, concurrency: number): Promise<void>;
  /** Over Valkey: the server's CPU so far, in µs (reported per REQUEST beside the service's). */
  valkeyCpuUs?(): Promise<number>;
  stop(): Promise<void>;
}

export interface EchoRequestShape {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The verified identity a gateway sends with the REQUEST (the reference pair has none). */
  readonly identity: Identity | null;
  readonly body: Buffer;
}

/** Runs `send` `n` times with `concurrency` in flight; resolves when every one has answered. */
function closedLoop(n: number, concurrency: number, send: () => Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    let started = 0;
    let done = 0;
    const next = (): void => {
      if (started >= n) return;
      started += 1;
      send().then(() => {
        done += 1;
        if (done === n) resolve();
        else next();
      }, reject);
    };
    for (let i = 0; i < Math.min(concurrency, n); i++) next();
  });
}

async function timedSerial(n: number, send: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await send();
    latencies.push(elapsedMs(start) * 1_000);
  }
  return latencies;
}

/** A driver whose every REQUEST is one call of `send`, which settles when it is answered. */
export function sendingDriver(name: string, pid: number, send: () => Promise<unknown>, stop: () => Promise<void>): EchoDriver {
  return {
    name,
    pid,
    serial: (n) => timedSerial(n, send),
    queued: (n, concurrency) => closedLoop(n, concurrency, send),
    stop,
  };
}
