/**
 * @switchyard/microservice — the SDK a service uses to join a Switchyard gateway (packages/microservice/README.md).
 */
export { createMicroservice, createMicroserviceFromConfig, type ServiceConfig, type ServiceConfigSection } from './create.js';
export { Microservice } from './microservice.js';
export { MICROSERVICE_DEFAULTS, resolveMicroserviceOptions, type MicroserviceOptions, type ResolvedMicroserviceOptions } from './options.js';
export type {
  ServiceRequest,
  ServiceContext,
  ServiceResponse,
  ResponseBodyStream,
  Handler,
  HandlerFor,
  EndpointOptions,
  MicroserviceState,
  MicroserviceStatus,
} from './types.js';
export {
  SERVICE_ERROR_CODES,
  DuplicateEndpointError,
  MicroserviceStateError,
  InvalidServiceConfigError,
  InvalidJsonBodyError,
  BodyIsStreamError,
} from './errors.js';
export { EventStream, type ServerSentEvent } from './server-sent-events.js';
export type {
  EndpointDescriptionOptions,
  ContentSchemas,
  ResponseOption,
  TypedServiceRequest,
  RequestFor,
} from './description/endpoint-description.js';
export type { SchemaInput } from './description/schema-input.js';
export type { StandardSchemaV1, StandardJsonSchemaConverter, InferInput, InferOutput } from './description/standard-schema.js';
export { microserviceModule, instanceTransportModule } from './module.js';
