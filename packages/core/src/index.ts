/**
 * @switchyard/core — the public surface: the contract third parties build on. Listed by name;
 * each area keeps its own block. The rule for what belongs here (and what goes to
 * `@switchyard/core/internal`) is in packages/core/README.md, "Public and internal entries".
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
  UnauthenticatedFrameError,
  RegistrationRefusedError,
  RequestCancelledError,
  TransportFailureError,
  RequestNotSentError,
  TransportClosedError,
  BodyAbortedError,
} from './errors.js';
export { type Clock, systemClock, ManualClock } from './clock.js';
export { type Logger, silentLogger } from './logger.js';
export type { OptionProblem } from './options/problems.js';

// --- config files -----------------------------------------------------------------------------
export {
  ENV_PREFIX,
  readEnvOverrides,
  applyEnvOverrides,
  formatConfigPath,
  type EnvVars,
  type EnvOverride,
  type EnvOverrideShape,
} from './config/env-overrides.js';

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
export { jsonCodec, bytesCodec } from './queue/codecs.js';
export { QUEUE_DEFAULTS, MIN_LEASE_MS, resolveQueueOptions } from './queue/options.js';
export { createQueueFactory, type QueueFactoryOptions } from './queue/factory.js';
export { DEAD_LETTER_REASONS } from './queue/consumer.js';
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

// --- queue backend primitives and plugin contract ---------------------------------------------
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
  KeyHygiene,
  BackendDeps,
  QueueBackendPlugin,
} from './queue/backend.js';
export type { RunOnceClaim, RunOnceStore } from './queue/run-once-store.js';
export type { RateLimitStore } from './queue/rate-limit-store.js';
export {
  loadQueueBackendPlugin,
  createQueueFactoryFromConfig,
  backendPackageName,
  BUILT_IN_BACKENDS,
  type LoadPluginOptions,
  type FactoryFromConfigDeps,
  type PackageImporter,
  type QueueBackendPluginLoader,
} from './ioc/plugin-loader.js';
export { CORE_VERSION } from './version.js';

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
  type DrainPayload,
  type UndrainPayload,
  type BodyFrameType,
  type BodyStream,
  type RequestStreamInfo,
  type BodyChunkPayload,
  type BodyEndPayload,
  type CreditPayload,
  type BodyChunkFrame,
  type BodyEndFrame,
  type CreditFrame,
  type BodyFrame,
  type HelloFrame,
  type HeartbeatFrame,
  type GoodbyeFrame,
  type ResyncFrame,
  type RequestFrame,
  type ResponseFrame,
  type CancelFrame,
  type DrainFrame,
  type UndrainFrame,
  type Frame,
  type ControlFrame,
} from './protocol/frames.js';
export { encodeFrame, decodeFrame, tryDecodeFrame, frameCodec } from './protocol/frame-codec.js';
export {
  validateFrame,
  FRAME_TYPES,
  HTTP_METHODS,
  INSTANCE_STATUSES,
  CANCEL_REASONS,
  BODY_STREAMS,
} from './protocol/validate.js';
export { newFrameId, isFrameId } from './protocol/ids.js';
export { makeFrame, withReplyTo, type MakeFrameOptions, type FrameOfType, type PayloadOf } from './protocol/make-frame.js';
export { computeEndpointsHash } from './protocol/endpoints-hash.js';
export {
  computeDescriptionHash,
  DESCRIPTION_PATH,
  type JsonSchema,
  type OperationDescription,
  type ResponseDescription,
  type ServiceDescription,
} from './protocol/description.js';
export { parseServiceDescription } from './protocol/description-validate.js';
export { PROTOCOL_LIMITS, FRAME_MAGIC, JSON_WIRE_FORMAT, BINARY_WIRE_FORMAT, READABLE_WIRE_FORMATS, FRAME_PREFIX_BYTES, type WireFormat } from './protocol/limits.js';

// --- router transport contract ----------------------------------------------------------------
export {
  TransportType,
  type InstanceLink,
  type DispatchTarget,
  type GatewayTransportEvents,
  type DispatchOptions,
  type GatewayTransport,
  type InstanceRequestHandler,
  type InstanceTransport,
  type InstanceTransportEvents,
  type TransportDeps,
  type RouterTransportPlugin,
} from './transport/types.js';
export { Cancellation, type CancelListener } from './transport/cancellation.js';
export { STREAM_DEFAULTS, type StreamDispatchOptions, type StreamedResponse, type InstanceAnswer } from './transport/streaming/types.js';

// --- signed frames (docs/messaging-transport.md, "Signed frames"): the envelope and its keys ----
export { FrameKeyRing, frameKey, frameScope, sealFrame, openFrame, FRAME_SIGNER, frameSigner, ENVELOPE_BYTES, GMAC_ENVELOPE_BYTES, GMAC_MIN_FRAME_BYTES, MIN_SECRET_BYTES, type FrameKey, type FrameKeyRole } from './protocol/frame-auth.js';
export type { MessagingAuthConfig, FrameKeySource } from './transport/messaging/auth-config.js';

// --- IoC: tokens and the modules a plugin or composition root loads ----------------------------
export { TOKENS } from './ioc/tokens.js';
export { coreModule, queueModule, queueBackendModule, pluginLoaderModule, type CoreModuleOptions } from './ioc/modules.js';
