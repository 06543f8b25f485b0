/**
 * The routing state's public shapes (docs/protocol.md §6, docs/operations.md). Everything here
 * is plain data and JSON-able, so the gateway can serve it as its routing view unchanged.
 */
import type { EndpointDescriptor, HttpMethod, InstanceStatus } from '../protocol/frames.js';
import type { WireFormat } from '../protocol/limits.js';
import type { InstanceLink } from '../transport/types.js';

/**
 * An instance's health as the gateway sees it: `healthy`; `degraded` (reported so, or no heartbeat
 * for degradedAfterMs); `draining` (reported so: no new work); `stale` (no heartbeat for
 * staleAfterMs, lost, or gone: never routed to, removed by the next sweep).
 */
export type InstanceHealth = 'healthy' | 'degraded' | 'draining' | 'stale';

/** One registered instance, as the routing view and instance selection see it. */
export interface InstanceView {
  readonly instanceId: string;
  readonly service: string;
  readonly version: string;
  readonly region: string;
  readonly address: string;
  readonly link: InstanceLink;
  readonly health: InstanceHealth;
  /** The status of the last accepted HEARTBEAT (`healthy` after a HELLO). */
  readonly reportedStatus: InstanceStatus;
  /** In-flight count the instance last reported (all gateways together). */
  readonly reportedInFlight: number;
  /** Requests this gateway dispatched to it and has not finished (see RoutingState.beginDispatch). */
  readonly localInFlight: number;
  readonly lastSeq: number;
  readonly lastSeenAt: number;
  readonly registeredAt: number;
  readonly endpointsHash: string;
  readonly endpoints: readonly EndpointDescriptor[];
  /**
   * The wire format a REQUEST to this instance travels in: 2 (binary header) once every
   * registered instance of its service version says in its HELLO that it reads it, else 1.
   */
  readonly wireFormat: WireFormat;
}

/**
 * What applying one control frame did. `resync` is routing's decision that the instance must send
 * HELLO again (already rate-limited); TransportFeed sends it over `link`, the only place a RESYNC
 * is sent from.
 */
export type ControlOutcome =
  | { readonly kind: 'registered'; readonly instanceId: string; readonly replaced: boolean; readonly endpointsChanged: boolean }
  | { readonly kind: 'updated'; readonly instanceId: string; readonly from: InstanceHealth; readonly to: InstanceHealth }
  | { readonly kind: 'resync'; readonly instanceId: string; readonly link: InstanceLink; readonly why: 'unknown-instance' | 'endpoints-changed' | 'backend-recovered' }
  | { readonly kind: 'removed'; readonly instanceId: string }
  | { readonly kind: 'ignored'; readonly instanceId: string; readonly why: 'stale-seq' | 'departed' | 'unknown-instance' | 'resync-not-due' };

/** One health transition found by sweep() or lost(). `removed` is true when the instance left the state. */
export interface HealthChange {
  readonly instanceId: string;
  readonly service: string;
  readonly version: string;
  readonly from: InstanceHealth;
  readonly to: InstanceHealth;
  readonly removed: boolean;
  readonly reason: string;
}

/** One version of the matched service that serves the matched endpoint. */
export interface RouteCandidate {
  readonly version: string;
  readonly endpoint: EndpointDescriptor;
  /** Path parameters named by this version's template, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** Identifies the endpoint shape (method + path shape); pass it to eligibleInstances()/pick(). */
  readonly routeKey: string;
}

/** The result of matching a method and path against every registered endpoint. */
export type RouteMatch =
  | {
      readonly kind: 'found';
      readonly service: string;
      /** Template and params of the highest candidate version. */
      readonly template: string;
      readonly params: Readonly<Record<string, string>>;
      /** Highest version first. */
      readonly candidates: readonly RouteCandidate[];
    }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly HttpMethod[] };

/** The result of choosing a version for a found route. */
export type VersionChoice =
  | { readonly kind: 'chosen'; readonly service: string; readonly version: string; readonly candidate: RouteCandidate; readonly source: 'header' | 'default' | 'highest' }
  /** The header or configured default names a version (or range) that serves no candidate. */
  | { readonly kind: 'version-not-found'; readonly service: string; readonly requested: string; readonly source: 'header' | 'default' }
  /** Matching versions exist but none has an eligible instance: answer 503 at once. */
  | { readonly kind: 'unavailable'; readonly service: string; readonly versions: readonly string[] };

/** One instance in the JSON routing view: its view without service, version and endpoints (the view nests it under them), and its transport by name instead of its link. */
export type InstanceSnapshot = Omit<InstanceView, 'service' | 'version' | 'endpoints' | 'link'> & { readonly transport: string };

/** The JSON routing view (`GET /_switchyard/routes`): services, versions, instances with health, routes, counts. */
export interface RoutingSnapshot {
  readonly at: number;
  readonly counts: Readonly<Record<InstanceHealth, number>>;
  readonly services: readonly {
    readonly name: string;
    readonly defaultVersion: string | null;
    readonly versions: readonly {
      readonly version: string;
      readonly endpoints: readonly { readonly method: HttpMethod; readonly path: string }[];
      readonly instances: readonly InstanceSnapshot[];
    }[];
  }[];
  readonly routes: readonly {
    readonly method: HttpMethod;
    readonly path: string;
    readonly service: string;
    readonly versions: readonly string[];
    /** Other services that declared the same method and path shape; they lose (see README, precedence). */
    readonly shadowed: readonly string[];
  }[];
}
