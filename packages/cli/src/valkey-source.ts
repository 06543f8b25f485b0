/**
 * Valkey itself as an {@link AdminSource}, for when no gateway is up: queues are found by their
 * keys (`{prefix}:{<queue>}` and its dead-letter stream), dead letters are read and moved with
 * core's queue API and redrive policy. Instances, RESYNC and drain need a gateway.
 */
import {
  frameCodec,
  matchingDeadLetterIds,
  purgeMatchingDeadLetters,
  redriveDeadLetters,
  silentLogger,
  systemClock,
  type Frame,
  type MessageQueue,
  type MessageQueueFactory,
  type RedriveProgress,
  type RedriveResult,
  type RedriveTarget,
} from '@switchyard/core';
import type { DeadLetterDetail, DeadLetterSummary, InstanceRow, QueueRow } from '@switchyard/gateway';
import { summarizeDeadLetter, describeDeadLetter } from '@switchyard/gateway';
import { connectValkeyQueueFactory } from '@switchyard/transport-valkey';
import { Cluster, Redis } from 'ioredis';
import { CliError, EXIT } from './exit-codes.js';
import type { AdminSource, DrainResult, ListRequest, MatchRequest, UndrainResult } from './source.js';

export interface ValkeySourceOptions {
  readonly url: string;
  /** `url` is a seed node of a Valkey Cluster. @default false */
  readonly cluster?: boolean;
  /** Key prefix of the queues. @default 'switchyard' */
  readonly prefix: string;
  /** @default ':dlq' */
  readonly deadLetterSuffix: string;
}

const needsGateway = (what: string): CliError =>
  new CliError(`${what} needs a gateway: instances are known only to gateways. Use --gateway URL --token TOKEN`, EXIT.usage);

export class ValkeySource implements AdminSource {
  private constructor(
    private readonly options: ValkeySourceOptions,
    private readonly factory: MessageQueueFactory,
    private readonly client: Redis | Cluster,
  ) {}

  static async connect(options: ValkeySourceOptions): Promise<ValkeySource> {
    let factory: MessageQueueFactory;
    let seed: { host: string; port: number } | undefined;
    if (options.cluster === true) {
      const u = URL.canParse(options.url) ? new URL(options.url) : undefined;
      if (u === undefined || u.hostname === '') throw new CliError(`--valkey ${JSON.stringify(options.url)} is not a redis:// URL of a cluster node`, EXIT.usage);
      seed = { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) };
    }
    try {
      const where = seed === undefined ? { url: options.url } : { cluster: { nodes: [seed] } };
      factory = await connectValkeyQueueFactory({ ...where, prefix: options.prefix, connectTimeoutMs: 5_000 }, { logger: silentLogger });
    } catch (err) {
      throw new CliError(`cannot reach Valkey at ${options.url}: ${(err as Error).message}`, EXIT.unreachable, { cause: err });
    }
    // No periodic slots refresh for this short-lived scanning client (redirections still update
    // its slots): ioredis can re-arm that timer after a close, which would keep the CLI from exiting.
    const client =
      seed === undefined
        ? new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
        : new Cluster([seed], { lazyConnect: true, slotsRefreshInterval: 0 });
    await client.connect();
    return new ValkeySource(options, factory, client);
  }

  instances(): Promise<InstanceRow[]> {
    return Promise.reject(needsGateway('listing instances'));
  }

  async queues(): Promise<QueueRow[]> {
    const rows: QueueRow[] = [];
    for (const queue of await this.queueNames()) {
      const q = this.queue(queue);
      rows.push({ queue, transport: 'valkey', ...(await q.stats()), ...(await q.activity()) });
    }
    return rows;
  }

  async deadLetters(request: ListRequest): Promise<DeadLetterSummary[]> {
    const out: DeadLetterSummary[] = [];
    for (const { queue, store } of await this.targets(request.queue)) {
      const ids = new Set(await matchingDeadLetterIds(store, request));
      let after: string | undefined;
      for (;;) {
        const page = await store.list({ limit: 500, ...(after === undefined ? {} : { after }) });
        for (const letter of page) if (ids.has(letter.id)) out.push(summarizeDeadLetter(queue, letter));
        if (page.length < 500) break;
        after = page[page.length - 1]?.id;
      }
    }
    return out.sort((a, b) => b.deadLetteredAt - a.deadLetteredAt).slice(0, request.limit);
  }

  async deadLetter(queue: string, id: string): Promise<DeadLetterDetail> {
    let after: string | undefined;
    for (;;) {
      const page = await this.queue(queue).deadLetters.list({ limit: 500, ...(after === undefined ? {} : { after }) });
      const found = page.find((l) => l.id === id);
      if (found !== undefined) return describeDeadLetter(queue, found);
      if (page.length < 500) throw new CliError(`no dead letter ${id} in queue "${queue}"`, EXIT.notFound);
      after = page[page.length - 1]?.id;
    }
  }

  async countMatching(request: MatchRequest): Promise<{ matched: number; queues: string[] }> {
    const targets = await this.targets(request.queue);
    let matched = 0;
    for (const t of targets) matched += (await matchingDeadLetterIds(t.store, request)).length;
    return { matched, queues: targets.map((t) => t.queue) };
  }

  async redrive(request: MatchRequest, ratePerSecond: number, signal: AbortSignal, onProgress: (p: RedriveProgress) => void): Promise<RedriveResult> {
    return redriveDeadLetters(await this.targets(request.queue), request, { ratePerSecond, clock: systemClock, signal, onProgress });
  }

  async purge(request: MatchRequest): Promise<number> {
    return purgeMatchingDeadLetters(await this.targets(request.queue), request);
  }

  resync(): Promise<number> {
    return Promise.reject(needsGateway('RESYNC'));
  }

  drain(): Promise<DrainResult> {
    return Promise.reject(needsGateway('drain'));
  }

  undrain(): Promise<UndrainResult> {
    return Promise.reject(needsGateway('undrain'));
  }

  async close(): Promise<void> {
    this.client.disconnect();
    await this.factory.close();
  }

  private queue(name: string): MessageQueue<Frame> {
    return this.factory.queue<Frame>(name, { codec: frameCodec, deadLetterSuffix: this.options.deadLetterSuffix });
  }

  private async targets(queue: string | undefined): Promise<RedriveTarget[]> {
    const names = queue === undefined ? await this.queueNames() : [queue];
    return names.map((name) => ({ queue: name, store: this.queue(name).deadLetters }));
  }

  /** Queue names found by key: `{prefix}:{<queue>}` streams and `{prefix}:{<queue>}<suffix>` dead-letter streams (on every master of a Cluster). */
  private async queueNames(): Promise<string[]> {
    const { prefix, deadLetterSuffix } = this.options;
    const names = new Set<string>();
    const head = `${prefix}:{`;
    const nodes = this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:{*}*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          if (!key.startsWith(head)) continue;
          const close = key.indexOf('}', head.length);
          if (close === -1) continue;
          const rest = key.slice(close + 1);
          if (rest === '' || rest === deadLetterSuffix) names.add(key.slice(head.length, close));
        }
      } while (cursor !== '0');
    }
    return [...names].sort();
  }
}
