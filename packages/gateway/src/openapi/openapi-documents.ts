/**
 * The gateway's OpenAPI documents, rebuilt only when what they are built from changed: the route
 * table (instances joined or left with new endpoints), the announced description hashes, or a
 * fetched description. Between changes every request gets the same built documents and their
 * serialized JSON and YAML. The YAML serializer is loaded with the first build, so a gateway never
 * asked for its documents does not hold it.
 */
import type { Logger } from '@switchyard/core';
import type { RoutingState } from '@switchyard/core/internal';
import { buildDocuments, type Conflict, type OpenApiDocuments } from './document-builder.js';
import type { DescriptionStore } from './description-store.js';

export interface OpenApiDocumentsDeps {
  readonly routing: RoutingState;
  readonly store: DescriptionStore;
  readonly logger: Logger;
  readonly defaultVersions: Readonly<Record<string, string>>;
  readonly jwt: boolean;
  /** Called once per rebuild (the rebuild metric). */
  readonly rebuilt?: () => void;
}

/** One built document in the forms it is served in. */
export interface ServedDocument {
  readonly json: string;
  readonly yaml: string;
}

interface Built {
  readonly key: string;
  readonly documents: OpenApiDocuments;
  readonly main: ServedDocument;
  readonly versions: Map<string, ServedDocument>;
}

export class OpenApiDocumentSet {
  private built: Built | undefined;
  private builds = 0;

  constructor(private readonly deps: OpenApiDocumentsDeps) {}

  /** How many times the documents were built. */
  get rebuilds(): number {
    return this.builds;
  }

  /** The main document. Waits (bounded by the fetch timeout) for descriptions still being fetched. */
  async main(): Promise<ServedDocument> {
    return (await this.current()).main;
  }

  /** The document of one service version, or undefined when that version is not registered. */
  async version(service: string, version: string): Promise<ServedDocument | undefined> {
    return (await this.current()).versions.get(`${service}/${version}`);
  }

  /** `service/version` of every per-version document. */
  async versionKeys(): Promise<string[]> {
    return [...(await this.current()).versions.keys()];
  }

  private async current(): Promise<Built> {
    const { routing, store } = this.deps;
    let snapshot = routing.snapshot();
    const live = new Set<string>();
    for (const s of snapshot.services) for (const v of s.versions) for (const i of v.instances) live.add(i.instanceId);
    store.prune(live);
    const before = store.generation;
    await Promise.all([...live].map((id) => store.ensure(id)));
    if (store.generation !== before) snapshot = routing.snapshot();
    const versions = snapshot.services.map((s) => `${s.name}@${s.versions.map((v) => v.version).join(',')}`).join(';');
    const key = `${routing.routeTableBuilds}|${store.generation}|${versions}`;
    if (this.built?.key === key) return this.built;
    const { stringify } = await import('yaml');
    const documents = buildDocuments({
      snapshot,
      instance: (id) => routing.instance(id),
      descriptionOf: (id) => store.descriptionOf(id),
      defaultVersions: this.deps.defaultVersions,
      jwt: this.deps.jwt,
    });
    this.builds++;
    this.deps.rebuilt?.();
    if (documents.conflicts.length > 0) this.reportConflicts(documents.conflicts);
    const served = new Map<string, ServedDocument>();
    const serve = (doc: Record<string, unknown>): ServedDocument => ({
      json: JSON.stringify(doc),
      // Shared component objects would otherwise become YAML anchors and aliases, which some tools reject.
      yaml: stringify(doc, { aliasDuplicateObjects: false }),
    });
    for (const [k, doc] of documents.versions) served.set(k, serve(doc));
    this.built = { key, documents, main: serve(documents.main), versions: served };
    return this.built;
  }

  private reportConflicts(conflicts: readonly Conflict[]): void {
    for (const c of conflicts) {
      if (c.kind === 'route') this.deps.logger.warn({ ...c }, `OpenAPI: ${c.method} ${c.path} of ${c.shadowed} is shadowed by ${c.servedBy} and left out of the main document`);
      else this.deps.logger.warn({ ...c }, `OpenAPI: operationId ${c.operationId} is used by ${c.services.join(' and ')}; the second is published as ${c.renamedTo}`);
    }
  }
}
