/**
 * Service descriptions as the gateway knows them (docs/protocol.md, "Service description"):
 * which description hash each instance announced in HELLO, and each description fetched once
 * per hash over the instance's own transport and kept. A hash is fetched again only after a
 * failed fetch, at the next HELLO or document build that needs it, at most once per
 * RETRY_AFTER_MS. The store never forgets a fetched hash on its own; `prune` drops hashes no
 * instance announces any more.
 */
import {
  Cancellation,
  computeDescriptionHash,
  DESCRIPTION_PATH,
  parseServiceDescription,
  type Clock,
  type GatewayTransport,
  type HelloFrame,
  type InstanceLink,
  type Logger,
  type ServiceDescription,
  type TransportType,
} from '@switchyard/core';

/** How long one description fetch may take. */
const FETCH_TIMEOUT_MS = 5_000;
/** A failed fetch of a hash is not retried sooner than this. */
const RETRY_AFTER_MS = 2_000;

interface Announcement {
  readonly service: string;
  readonly version: string;
  readonly hash: string;
  readonly link: InstanceLink;
}

export interface DescriptionStoreDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The gateway's transports by type; the fetch goes over the one the instance registered on. */
  readonly transports: () => ReadonlyMap<TransportType, GatewayTransport>;
  /** Whether the routing state still holds `instanceId`; departed instances are forgotten at the next HELLO. */
  readonly isLive?: (instanceId: string) => boolean;
  /** Counts each fetch by outcome (`ok`, `failed`, `invalid`). */
  readonly fetched?: (outcome: 'ok' | 'failed' | 'invalid') => void;
}

export class DescriptionStore {
  private readonly byInstance = new Map<string, Announcement>();
  private readonly byHash = new Map<string, ServiceDescription>();
  private readonly fetching = new Map<string, Promise<void>>();
  private readonly failedAt = new Map<string, number>();
  private changes = 0;
  private closed = false;

  constructor(private readonly deps: DescriptionStoreDeps) {}

  /** Bumped whenever an instance announces another hash or a description arrives: documents built before are out of date. */
  get generation(): number {
    return this.changes;
  }

  /** The HELLO hook: remembers the instance's hash and fetches the description if this hash is new. */
  announced(frame: HelloFrame, link: InstanceLink): void {
    const { instance, descriptionHash } = frame.payload;
    const before = this.byInstance.get(instance.instanceId);
    if (descriptionHash === undefined) {
      if (before !== undefined) {
        this.byInstance.delete(instance.instanceId);
        this.changes++;
      }
      return;
    }
    if (before?.hash !== descriptionHash) this.changes++;
    this.byInstance.set(instance.instanceId, { service: instance.service, version: instance.version, hash: descriptionHash, link });
    // HELLOs are rare, so this is where departed instances are forgotten when nobody reads the documents.
    const isLive = this.deps.isLive;
    if (isLive !== undefined) this.prune(new Set([...this.byInstance.keys()].filter((id) => id === instance.instanceId || isLive(id))));
    void this.ensure(instance.instanceId);
  }

  /** The description hash `instanceId` announced, if any. */
  hashOf(instanceId: string): string | undefined {
    return this.byInstance.get(instanceId)?.hash;
  }

  /** The description of `instanceId`, once fetched. */
  descriptionOf(instanceId: string): ServiceDescription | undefined {
    const hash = this.byInstance.get(instanceId)?.hash;
    return hash === undefined ? undefined : this.byHash.get(hash);
  }

  /** The description with `hash`, once fetched. */
  byDescriptionHash(hash: string): ServiceDescription | undefined {
    return this.byHash.get(hash);
  }

  /**
   * Fetches the description of `instanceId`'s hash unless it is known, being fetched, or failed
   * less than RETRY_AFTER_MS ago. Resolves when that fetch settles; never rejects.
   */
  ensure(instanceId: string): Promise<void> {
    const a = this.byInstance.get(instanceId);
    if (this.closed || a === undefined || this.byHash.has(a.hash)) return Promise.resolve();
    const running = this.fetching.get(a.hash);
    if (running !== undefined) return running;
    const failed = this.failedAt.get(a.hash);
    if (failed !== undefined && this.deps.clock.now() - failed < RETRY_AFTER_MS) return Promise.resolve();
    const fetch = this.fetch(instanceId, a).finally(() => this.fetching.delete(a.hash));
    this.fetching.set(a.hash, fetch);
    return fetch;
  }

  /** Starts no more fetches and waits for the running ones (they end when the transports stop). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.fetching.values()]);
  }

  /** Forgets instances not in `liveInstanceIds` (departed) and descriptions no remaining instance announces. */
  prune(liveInstanceIds: ReadonlySet<string>): void {
    for (const id of this.byInstance.keys()) {
      if (!liveInstanceIds.has(id)) {
        this.byInstance.delete(id);
        this.changes++;
      }
    }
    const used = new Set<string>();
    for (const a of this.byInstance.values()) used.add(a.hash);
    for (const hash of this.byHash.keys()) if (!used.has(hash)) this.byHash.delete(hash);
    for (const hash of this.failedAt.keys()) if (!used.has(hash)) this.failedAt.delete(hash);
  }

  private isAnnounced(hash: string): boolean {
    for (const a of this.byInstance.values()) if (a.hash === hash) return true;
    return false;
  }

  private async fetch(instanceId: string, a: Announcement): Promise<void> {
    const { clock, logger } = this.deps;
    const transport = this.deps.transports().get(a.link.transport);
    if (transport === undefined) return;
    const cancellation = new Cancellation();
    const timer = new AbortController();
    clock.sleep(FETCH_TIMEOUT_MS, timer.signal).then(
      () => cancellation.cancel('timeout'),
      () => undefined,
    );
    try {
      const response = await transport.dispatch(
        { instanceId, service: a.service, version: a.version, link: a.link },
        {
          method: 'GET',
          path: DESCRIPTION_PATH,
          query: `hash=${a.hash}`,
          headers: {},
          body: new Uint8Array(0),
          deadline: clock.now() + FETCH_TIMEOUT_MS,
          identity: null,
        },
        { cancellation },
      );
      if (response.status !== 200) throw new Error(`the instance answered ${response.status}`);
      const description = parseServiceDescription(JSON.parse(Buffer.from(response.body).toString('utf8')));
      const hash = computeDescriptionHash(description);
      if (hash !== a.hash) {
        // Another instance of the version took the REQUEST (Messaging queues are competing), or
        // the instance restarted with another description. What arrived is still the description
        // of its own hash: keep it if an instance announced that hash, and fetch this one again later.
        if (this.isAnnounced(hash) && !this.byHash.has(hash)) {
          this.byHash.set(hash, description);
          this.changes++;
        }
        this.failedAt.set(a.hash, clock.now());
        this.deps.fetched?.('invalid');
        logger.warn({ instanceId, announced: a.hash, received: hash }, 'service description does not match the announced hash; not cached');
        return;
      }
      this.byHash.set(a.hash, description);
      this.failedAt.delete(a.hash);
      this.changes++;
      this.deps.fetched?.('ok');
      logger.info({ instanceId, service: a.service, version: a.version, hash: a.hash, operations: description.operations.length }, 'service description fetched');
    } catch (err) {
      this.failedAt.set(a.hash, clock.now());
      this.deps.fetched?.('failed');
      logger.warn({ instanceId, service: a.service, version: a.version, err: (err as Error).message }, 'service description could not be fetched; will retry');
    } finally {
      timer.abort();
    }
  }
}
