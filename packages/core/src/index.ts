/**
 * @switchyard/core — the public surface. Listed by name; each area keeps its own block.
 */

// --- errors, clock, logging -------------------------------------------------------------------
export {
  SwitchyardError,
  hasCode,
  ERROR_CODES,
  LeaseLostError,
  QueueClosedError,
  BackendUnavailableError,
  InvalidQueueOptionsError,
  InvalidArgumentError,
  UnknownBackendError,
  InvalidPluginError,
  PluginVersionMismatchError,
  InvalidFrameError,
  RequestCancelledError,
  TransportFailureError,
  TransportClosedError,
} from './errors.js';
export { type Clock, systemClock, ManualClock } from './clock.js';
export { OldestFirstMap } from './oldest-first-map.js';
export { IndexedList, type Indexed } from './indexed-list.js';
export { type Logger, silentLogger } from './logger.js';

// --- queue contract ---------------------------------------------------------------------------
export type {
  QueueCodec,
  ConsumptionMode,
  QueueOptionsInput,
  QueueOptions,
  EnqueueOptions,
  Lease,
  LeaseRequest,
  ConsumerOptions,
  Delivery,
  MessageHandler,
  SubscribeOptions,
  Subscription,
  QueueConsumer,
  DeadLetter,
  DeadLetterStore,
  QueueStats,
  QueueActivity,
  MessageQueue,
  QueueCapabilities,
  BackendStatus,
  MessageQueueFactory,
} from './queue/types.js';
export type {
  BackendQueueSpec,
  RawMessage,
  RawLease,
  SettleOutcome,
  BackendConsumerSpec,
  BackendConsumer,
  RawDeadLetter,
  BackendQueue,
  QueueBackend,
  BackendDeps,
  QueueBackendPlugin,
} from './queue/backend.js';
export { jsonCodec, bytesCodec } from './queue/codecs.js';
export { QUEUE_DEFAULTS, MIN_LEASE_MS, resolveQueueOptions } from './queue/options.js';
export { createQueueFactory, type QueueFactoryOptions } from './queue/factory.js';
export { DEAD_LETTER_REASONS } from './queue/consumer.js';
export { backoffMs } from './queue/backoff.js';
export {
  matchesDeadLetter,
  matchingDeadLetterIds,
  redriveDeadLetters,
  purgeMatchingDeadLetters,
  type DeadLetterFilter,
  type RedriveOptions,
  type RedriveProgress,
  type RedriveResult,
  type RedriveTarget,
} from './queue/redrive.js';

// --- router protocol --------------------------------------------------------------------------
export {
  PROTOCOL_VERSION,
  type FrameType,
  type HttpMethod,
  type InstanceStatus,
  type CancelReason,
  type ClaimRequirement,
  type EndpointDescriptor,
  type InstanceDescriptor,
  type HelloPayload,
  type HeartbeatPayload,
  type GoodbyePayload,
  type ResyncPayload,
  type Identity,
  type RequestPayload,
  type ResponsePayload,
  type CancelPayload,
  type HelloFrame,
  type HeartbeatFrame,
  type GoodbyeFrame,
  type ResyncFrame,
  type RequestFrame,
  type ResponseFrame,
  type CancelFrame,
  type Frame,
  type ControlFrame,
} from './protocol/frames.js';
export { encodeFrame, decodeFrame, tryDecodeFrame, frameCodec, frameParts, writeFrameParts, type FrameParts } from './protocol/frame-codec.js';
export {
  validateFrame,
  FRAME_TYPES,
  HTTP_METHODS,
  INSTANCE_STATUSES,
  CANCEL_REASONS,
} from './protocol/validate.js';
export { newFrameId, isFrameId } from './protocol/ids.js';
export { makeFrame, withReplyTo, type MakeFrameOptions, type FrameOfType, type PayloadOf } from './protocol/make-frame.js';
export { computeEndpointsHash } from './protocol/endpoints-hash.js';
export { parsePathTemplate, type TemplateSegment } from './protocol/path-template.js';
export { PROTOCOL_LIMITS, FRAME_MAGIC, WIRE_FORMAT_VERSION, FRAME_PREFIX_BYTES } from './protocol/limits.js';

// --- routing ----------------------------------------------------------------------------------
export { RoutingState, type RouteDecision } from './routing/routing-state.js';
export { ROUTING_DEFAULTS, type RoutingStateOptions } from './routing/options.js';
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

// --- router transports ------------------------------------------------------------------------
export {
  TransportType,
  type InstanceLink,
  type DispatchTarget,
  type GatewayTransportEvents,
  type DispatchOptions,
  type GatewayTransport,
  type InstanceRequestHandler,
  type InstanceTransport,
  type TransportDeps,
  type RouterTransportPlugin,
} from './transport/types.js';
export { Cancellation, type CancelListener } from './transport/cancellation.js';
export { PendingRequests, type PendingEntry } from './transport/pending-requests.js';
export {
  createGatewayTransports,
  createInstanceTransport,
  type TransportConfigEntry,
  type MessagingQueuesConfig,
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
  type MessagingTransportOptionsInput,
  type MessagingTransportOptions,
} from './transport/messaging/options.js';
export {
  GATEWAY_CONTROL_QUEUE,
  gatewayResponsesQueue,
  serviceRequestsQueue,
  parseServiceRequestsQueue,
  serviceControlQueue,
} from './transport/messaging/queue-names.js';
export { InMemoryHub, inMemoryHub } from './transport/in-memory/hub.js';

// --- IoC and plugins --------------------------------------------------------------------------
export { TOKENS } from './ioc/tokens.js';
export {
  loadQueueBackendPlugin,
  createQueueFactoryFromConfig,
  backendPackageName,
  BUILT_IN_BACKENDS,
  type LoadPluginOptions,
  type FactoryFromConfigDeps,
} from './ioc/plugin-loader.js';
export { CORE_VERSION } from './version.js';
export { coreModule, queueModule, queueBackendModule, type CoreModuleOptions } from './ioc/modules.js';
