/**
 * Every inversify service identifier, as global symbols: a plugin that bundles its own copy of
 * core still resolves the same bindings.
 */
export const TOKENS = Object.freeze({
  Clock: Symbol.for('switchyard.Clock'),
  QueueBackend: Symbol.for('switchyard.QueueBackend'),
  QueueFactory: Symbol.for('switchyard.MessageQueueFactory'),
  /** Every gateway-side router transport, in config order (`readonly GatewayTransport[]`). */
  GatewayTransports: Symbol.for('switchyard.GatewayTransports'),
  InstanceTransport: Symbol.for('switchyard.InstanceTransport'),
  RoutingState: Symbol.for('switchyard.RoutingState'),
  Logger: Symbol.for('switchyard.Logger'),
  /** `(name) => Promise<QueueBackendPlugin>`: how a messaging entry's backend is loaded. */
  QueueBackendPluginLoader: Symbol.for('switchyard.QueueBackendPluginLoader'),
  /** `(specifier) => import(specifier)` written in the host package: where transport and backend packages are found. */
  PackageImporter: Symbol.for('switchyard.PackageImporter'),
  /** The validated gateway config a `@switchyard/gateway` composition root is built from. */
  GatewayConfig: Symbol.for('switchyard.GatewayConfig'),
  /** The gateway's default log: `{ logger, flushSync }` (pino on stdout), when no Logger is given. */
  GatewayLog: Symbol.for('switchyard.GatewayLog'),
  /** The gateway's authenticator (bearer tokens → identity). */
  Authenticator: Symbol.for('switchyard.Authenticator'),
  /** The service a `@switchyard/microservice` composition root builds. */
  Microservice: Symbol.for('switchyard.Microservice'),
} as const);
