/**
 * The service's endpoints and the instance-side match of a forwarded request to one of them.
 * The gateway already matched the request on its routing state; the instance matches again only
 * to find the handler and extract parameters. Templates are parsed by core's parsePathTemplate,
 * the same rules the gateway validates HELLO with.
 */
import { InvalidArgumentError, parsePathTemplate, type EndpointDescriptor, type HttpMethod, type TemplateSegment } from '@switchyard/core';
import { DuplicateEndpointError } from './errors.js';
import type { EndpointOptions, Handler } from './types.js';

interface Endpoint {
  readonly descriptor: EndpointDescriptor;
  readonly segments: readonly TemplateSegment[];
  readonly handler: Handler;
}

export type MatchResult =
  | { readonly kind: 'found'; readonly handler: Handler; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly HttpMethod[] }
  | { readonly kind: 'not-found' };

export class EndpointTable {
  private readonly endpoints: Endpoint[] = [];

  add(method: HttpMethod, path: string, handler: Handler, options: EndpointOptions = {}): void {
    const segments = parsePathTemplate(path);
    if (typeof segments === 'string') throw new InvalidArgumentError(`path template "${path}"`, segments);
    if (typeof handler !== 'function') throw InvalidArgumentError.format(`handler of ${method} ${path}`, 'a function', handler);
    const { timeoutMs, requiringClaims = [] } = options;
    if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 1)) {
      throw InvalidArgumentError.format(`timeoutMs of ${method} ${path}`, 'a positive integer', timeoutMs);
    }
    if (this.endpoints.some((e) => e.descriptor.method === method && e.descriptor.path === path)) throw new DuplicateEndpointError(method, path);
    const descriptor: EndpointDescriptor = {
      method,
      path,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      requiringClaims: requiringClaims.map((c) => (c.value === undefined ? { claim: c.claim } : { claim: c.claim, value: c.value })),
      streaming: false,
    };
    this.endpoints.push({ descriptor, segments, handler });
  }

  descriptors(): EndpointDescriptor[] {
    return this.endpoints.map((e) => e.descriptor);
  }

  match(method: HttpMethod, path: string): MatchResult {
    const parts = path === '/' ? [] : path.slice(1).split('/');
    const allow: HttpMethod[] = [];
    for (const endpoint of this.endpoints) {
      const params = matchSegments(endpoint.segments, parts);
      if (params === undefined) continue;
      if (endpoint.descriptor.method === method || (method === 'HEAD' && endpoint.descriptor.method === 'GET')) {
        return { kind: 'found', handler: endpoint.handler, params };
      }
      allow.push(endpoint.descriptor.method);
    }
    return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
  }
}

function matchSegments(segments: readonly TemplateSegment[], parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as TemplateSegment;
    if (segment.kind === 'rest') {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest[0] === '') return undefined;
      params[segment.name] = rest.map(decode).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined || part.length === 0) return undefined;
    if (segment.kind === 'literal') {
      if (part !== segment.value) return undefined;
    } else {
      params[segment.name] = decode(part);
    }
  }
  return parts.length === segments.length ? params : undefined;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
