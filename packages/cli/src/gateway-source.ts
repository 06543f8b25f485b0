/**
 * The admin API of a running gateway as an {@link AdminSource}. A redrive runs as the gateway's
 * background task: this polls its progress and, when the signal aborts (Ctrl-C), cancels it and
 * waits for the gateway to confirm where it stopped.
 */
import type { RedriveProgress, RedriveResult } from '@switchyard/core';
import type { DeadLetterDetail, DeadLetterSummary, InstanceRow, QueueRow, RedriveTaskView } from '@switchyard/gateway';
import { CliError, EXIT } from './exit-codes.js';
import type { AdminSource, DrainResult, ListRequest, MatchRequest, UndrainResult } from './source.js';

const PREFIX = '/_switchyard/admin/';
const POLL_MS = 250;

export class GatewaySource implements AdminSource {
  private readonly base: URL;

  constructor(
    gateway: string,
    private readonly token: string | undefined,
  ) {
    try {
      this.base = new URL(PREFIX, gateway);
    } catch {
      throw new CliError(`--gateway "${gateway}" is not a URL; give one like http://127.0.0.1:8080`, EXIT.usage);
    }
  }

  async instances(): Promise<InstanceRow[]> {
    return (await this.call<{ instances: InstanceRow[] }>('GET', 'instances')).instances;
  }

  async queues(): Promise<QueueRow[]> {
    return (await this.call<{ queues: QueueRow[] }>('GET', 'queues')).queues;
  }

  async deadLetters(request: ListRequest): Promise<DeadLetterSummary[]> {
    const q = new URLSearchParams({ limit: String(request.limit) });
    if (request.queue !== undefined) q.set('queue', request.queue);
    if (request.reason !== undefined) q.set('reason', request.reason);
    if (request.since !== undefined) q.set('since', String(request.since));
    if (request.until !== undefined) q.set('until', String(request.until));
    return (await this.call<{ deadLetters: DeadLetterSummary[] }>('GET', `dead-letters?${q}`)).deadLetters;
  }

  deadLetter(queue: string, id: string): Promise<DeadLetterDetail> {
    return this.call<DeadLetterDetail>('GET', `dead-letters/${encodeURIComponent(queue)}/${encodeURIComponent(id)}`);
  }

  async countMatching(request: MatchRequest): Promise<{ matched: number; queues: string[] }> {
    return this.call<{ matched: number; queues: string[] }>('POST', 'dead-letters/redrive', { ...matchBody(request), ratePerSecond: 1, dryRun: true });
  }

  async redrive(request: MatchRequest, ratePerSecond: number, signal: AbortSignal, onProgress: (p: RedriveProgress) => void): Promise<RedriveResult> {
    let task = await this.call<RedriveTaskView>('POST', 'dead-letters/redrive', { ...matchBody(request), ratePerSecond });
    const cancelled = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    while (task.state === 'running') {
      onProgress(task);
      let timer: NodeJS.Timeout | undefined;
      const stop = await Promise.race([cancelled.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), POLL_MS)))]);
      clearTimeout(timer);
      task = stop ? await this.call<RedriveTaskView>('POST', `tasks/${task.id}/cancel`, {}) : await this.call<RedriveTaskView>('GET', `tasks/${task.id}`);
    }
    onProgress(task);
    if (task.state === 'failed') throw new CliError(`redrive ${task.id} failed after ${task.replayed} of ${task.matched}: ${task.error ?? 'unknown error'}`, EXIT.failed);
    return { matched: task.matched, replayed: task.replayed, missing: task.missing, cancelled: task.state === 'cancelled' };
  }

  async purge(request: MatchRequest): Promise<number> {
    return (await this.call<{ purged: number }>('POST', 'dead-letters/purge', matchBody(request))).purged;
  }

  async resync(instanceId?: string): Promise<number> {
    return (await this.call<{ asked: number }>('POST', 'resync', instanceId === undefined ? {} : { instanceId })).asked;
  }

  async drain(instanceId: string, reason?: string): Promise<DrainResult> {
    return this.call<DrainResult>('POST', `instances/${encodeURIComponent(instanceId)}/drain`, reason === undefined ? {} : { reason });
  }

  async undrain(instanceId: string, reason?: string): Promise<UndrainResult> {
    return this.call<UndrainResult>('POST', `instances/${encodeURIComponent(instanceId)}/undrain`, reason === undefined ? {} : { reason });
  }

  async close(): Promise<void> {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.base);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new CliError(`cannot reach the gateway at ${this.base.origin}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`, EXIT.unreachable, { cause: err });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new CliError(`${method} ${url.pathname} answered ${res.status} with a body that is not JSON; is ${this.base.origin} a Switchyard gateway with admin configured?`, EXIT.failed);
    }
    if (res.ok) return parsed as T;
    const message = (parsed as { error?: { message?: string } }).error?.message ?? `HTTP ${res.status}`;
    const code = res.status === 401 || res.status === 403 ? EXIT.denied : res.status === 404 ? EXIT.notFound : res.status === 400 ? EXIT.usage : EXIT.failed;
    const hint = res.status === 401 && this.token === undefined ? ' (pass --token or set SWITCHYARD_TOKEN)' : '';
    throw new CliError(`${method} ${url.pathname}: ${res.status} ${message}${hint}`, code);
  }
}

function matchBody(request: MatchRequest): Record<string, unknown> {
  return {
    ...(request.queue === undefined ? {} : { queue: request.queue }),
    ...(request.ids === undefined ? {} : { ids: request.ids }),
    ...(request.reason === undefined ? {} : { reason: request.reason }),
    ...(request.since === undefined ? {} : { since: request.since }),
    ...(request.until === undefined ? {} : { until: request.until }),
  };
}
