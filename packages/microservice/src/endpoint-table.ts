/**
 * The service's endpoints and the instance-side match of a forwarded request to one of them.
 * The gateway already matched the request on its routing state; the instance matches again only
 * to find the handler and extract parameters. It uses the gateway's own RouteTable, so both
 * sides agree on precedence (a literal segment beats a parameter, which beats a catch-all) and on
 * normalisation (trailing and doubled slashes, decoding).
 */
import { DESCRIPTION_PATH, InvalidArgumentError, type EndpointDescriptor, type HttpMethod, type OperationDescription } from '@switchyard/core';
import { RouteTable, parsePathTemplate } from '@switchyard/core/internal';
import { describeOperation } from './description/endpoint-description.js';
import { DuplicateEndpointError } from './errors.js';
import type { EndpointOptions, Handler } from './types.js';

export type MatchResult =
  | { readonly kind: 'found'; readonly handler: Handler; readonly params: Readonly<Record<string, string>>; readonly endpoint: EndpointDescriptor }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly HttpMethod[] }
  | { readonly kind: 'not-found' };

/** RouteTable groups endpoints by service and version; an instance is one of each. */
const SELF = { service: 'self', version: '0.0.0' } as const;

export class EndpointTable {
  private readonly handlers = new Map<EndpointDescriptor, Handler>();
  private readonly operations: OperationDescription[] = [];
  /** Built on the first match after an add(): endpoints are normally all added before start(). */
  private table: RouteTable | undefined;

  add(method: HttpMethod, path: string, handler: Handler, options: EndpointOptions = {}): void {
    const segments = parsePathTemplate(path);
    if (typeof segments === 'string') throw new InvalidArgumentError(`path template "${path}"`, segments);
    if (typeof handler !== 'function') throw InvalidArgumentError.format(`handler of ${method} ${path}`, 'a function', handler);
    const { timeoutMs, requiringClaims = [], streaming = false, maxBodyBytes } = options;
    if (streaming !== true && streaming !== false && streaming !== 'request' && streaming !== 'response') {
      throw InvalidArgumentError.format(`streaming of ${method} ${path}`, "true, false, 'request' or 'response'", streaming);
    }
    if (maxBodyBytes !== undefined && (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1)) {
      throw InvalidArgumentError.format(`maxBodyBytes of ${method} ${path}`, 'a positive integer', maxBodyBytes);
    }
    if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 1)) {
      throw InvalidArgumentError.format(`timeoutMs of ${method} ${path}`, 'a positive integer', timeoutMs);
    }
    if (path === DESCRIPTION_PATH) throw new InvalidArgumentError(`path template "${path}"`, 'is reserved: the SDK answers it with the service description');
    for (const d of this.handlers.keys()) if (d.method === method && d.path === path) throw new DuplicateEndpointError(method, path);
    // Converted now, so a schema that cannot become JSON Schema fails where it was declared.
    const operation = describeOperation(method, path, options);
    const descriptor: EndpointDescriptor = {
      method,
      path,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      requiringClaims: requiringClaims.map((c) => (c.value === undefined ? { claim: c.claim } : { claim: c.claim, value: c.value })),
      streaming: streaming !== false,
      ...(typeof streaming === 'string' ? { streamingBodies: streaming } : {}),
      ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
    };
    this.handlers.set(descriptor, handler);
    this.operations.push(operation);
    this.table = undefined;
  }

  /** Each endpoint's documentation and schemas, in declaration order. */
  operationDescriptions(): OperationDescription[] {
    return [...this.operations];
  }

  descriptors(): EndpointDescriptor[] {
    return [...this.handlers.keys()];
  }

  match(method: HttpMethod, path: string): MatchResult {
    this.table ??= new RouteTable([...this.handlers.keys()].map((endpoint, order) => ({ ...SELF, endpoint, order })));
    let match = this.table.match(method, path);
    // A HEAD the service did not declare is served by its GET handler (Node's HTTP stack drops the body).
    if (match.kind !== 'found' && method === 'HEAD') {
      const get = this.table.match('GET', path);
      if (get.kind === 'found') match = get;
    }
    if (match.kind !== 'found') return match;
    const top = match.candidates[0];
    const handler = top === undefined ? undefined : this.handlers.get(top.endpoint);
    return handler === undefined || top === undefined ? { kind: 'not-found' } : { kind: 'found', handler, params: top.params, endpoint: top.endpoint };
  }
}
