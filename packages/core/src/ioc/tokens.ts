/**
 * Every inversify service identifier, as global symbols: a plugin that bundles its own copy of
 * core still resolves the same bindings.
 */
export const TOKENS = Object.freeze({
  Clock: Symbol.for('switchyard.Clock'),
  QueueBackend: Symbol.for('switchyard.QueueBackend'),
  QueueFactory: Symbol.for('switchyard.MessageQueueFactory'),
  GatewayTransports: Symbol.for('switchyard.GatewayTransports'),
  InstanceTransport: Symbol.for('switchyard.InstanceTransport'),
  RoutingState: Symbol.for('switchyard.RoutingState'),
  Logger: Symbol.for('switchyard.Logger'),
  /** The service a `@switchyard/microservice` composition root builds. */
  Microservice: Symbol.for('switchyard.Microservice'),
} as const);
