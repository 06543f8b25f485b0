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
  Handler,
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
} from './errors.js';
export { microserviceModule, instanceTransportModule } from './module.js';
