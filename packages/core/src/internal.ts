/**
 * @switchyard/core/internal — what only the sibling packages (gateway, SDK, transports) use:
 * core's own implementations and helpers. Not a contract: names here change with the packages
 * that use them. The public contract is `@switchyard/core` (src/index.ts); the rule that splits
 * the two is in packages/core/README.md, "Public and internal entries".
 */

// --- data structures --------------------------------------------------------------------------
export { OldestFirstMap } from './oldest-first-map.js';
export { IndexedList, type Indexed } from './indexed-list.js';
export { DeadlineAlarm } from './deadline-alarm.js';
export { deepFreeze } from './deep-freeze.js';

// --- option checking --------------------------------------------------------------------------
export { OptionProblems } from './options/problems.js';
export { formatValue } from './options/format-value.js';

// --- queue helpers ---------------------------------------------------------------------------
export { backoffMs } from './queue/backoff.js';
export { isConsumerNameOf } from './queue/consumer-name.js';

// --- router protocol helpers ------------------------------------------------------------------
export { frameParts, writeFrameParts, type FrameParts } from './protocol/frame-codec.js';
export { parsePathTemplate, type TemplateSegment } from './protocol/path-template.js';

// --- routing ----------------------------------------------------------------------------------
export { RoutingState, type RouteDecision } from './routing/routing-state.js';
export { ROUTING_DEFAULTS, type RoutingStateOptions } from './routing/options.js';
export { REGISTRATION_DEFAULTS, type RegistrationLimits } from './routing/registration-policy.js';
export { INSTANCE_HEALTHS } from './routing/health.js';
export { routeKeyOf, RouteTable, type RouteProvider, type RouteSummary } from './routing/route-table.js';
export type {
  InstanceHealth,
  InstanceView,
  ControlOutcome,
  HealthChange,
  RouteCandidate,
  RouteMatch,
  VersionChoice,
  InstanceSnapshot,
  RoutingSnapshot,
} from './routing/types.js';
export { TransportFeed, type TransportFeedHooks } from './routing/transport-feed.js';

// --- router transports: shared parts and the built-in ones -------------------------------------
export { PendingRequests, type PendingEntry } from './transport/pending-requests.js';
export { GatewayStream, type GatewayStreamWire, type GatewayStreamOptions } from './transport/streaming/gateway-stream.js';
export { InstanceStream, type InstanceStreamWire, type InstanceStreamOptions, type InstanceStreamOutcome } from './transport/streaming/instance-stream.js';
export { IncomingBody, type IncomingBodyOptions } from './transport/streaming/incoming-body.js';
export { OutgoingBody, type OutgoingBodyOptions, type OutgoingOutcome, type BodyFrameSink } from './transport/streaming/outgoing-body.js';
export { streamPieces } from './transport/streaming/stream-pieces.js';
export {
  createGatewayTransports,
  createInstanceTransport,
  type TransportConfigEntry,
  type MessagingQueuesConfig,
  type RegistryDeps,
} from './transport/registry.js';
export {
  MessagingGatewayTransport,
  type MessagingGatewayTransportInit,
  type MessagingGatewayCounters,
} from './transport/messaging/gateway-transport.js';
export {
  MessagingInstanceTransport,
  type MessagingInstanceTransportInit,
  type MessagingInstanceCounters,
} from './transport/messaging/instance-transport.js';
export {
  MESSAGING_TRANSPORT_DEFAULTS,
  resolveMessagingOptions,
  checkMessagingOptions,
  type MessagingTransportOptionsInput,
  type MessagingTransportOptions,
} from './transport/messaging/options.js';
export {
  GATEWAY_CONTROL_QUEUE,
  gatewayResponsesQueue,
  serviceRequestsQueue,
  regionRequestsQueue,
  UNPLACED_REGION,
  parseServiceRequestsQueue,
  serviceControlQueue,
} from './transport/messaging/queue-names.js';
export { InMemoryHub, inMemoryHub } from './transport/in-memory/hub.js';
export {
  FrameAuthenticator,
  FRAME_AUTH_DEFAULTS,
  type FrameAuthenticatorOptions,
  type FrameAuthCounters,
} from './transport/messaging/frame-authenticator.js';
export { frameAuthFromConfig, type KeySourceReader } from './transport/messaging/auth-config.js';
export { checkTransportEntries, type TransportSide } from './transport/entry-check.js';

// --- assembly: the container modules of a gateway's composition root --------------------------
export { routingModule, gatewayTransportsModule } from './ioc/modules.js';

// --- TLS certificate files: the TLS transport and the gateway's HTTPS listener -----------------
export {
  CertReloader,
  pemSource,
  readPemSourcesSync,
  type PemSource,
  type PemSources,
  type PemMaterial,
} from './tls/pem-files.js';
