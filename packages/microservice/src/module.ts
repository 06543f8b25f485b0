/**
 * inversify wiring (docs/architecture.md, "Dependency injection"): the modules only bind;
 * createMicroservice and createMicroserviceFromConfig are the composition roots that call
 * `container.get`.
 */
import { ContainerModule } from 'inversify';
import {
  TOKENS,
  silentLogger,
  systemClock,
  type Clock,
  type InstanceTransport,
  type Logger,
  type QueueBackendPluginLoader,
} from '@switchyard/core';
import { createInstanceTransport, type TransportConfigEntry } from '@switchyard/core/internal';
import { Microservice } from './microservice.js';
import { resolveMicroserviceOptions, type MicroserviceOptions } from './options.js';

/** Binds Clock, Logger, the given InstanceTransport and the Microservice (singleton). */
export const microserviceModule = (options: MicroserviceOptions): ContainerModule =>
  new ContainerModule(({ bind }) => {
    bind<Clock>(TOKENS.Clock).toConstantValue(options.clock ?? systemClock);
    bind<Logger>(TOKENS.Logger).toConstantValue(options.logger ?? silentLogger);
    bind<InstanceTransport>(TOKENS.InstanceTransport).toConstantValue(options.transport);
    bind<Microservice>(TOKENS.Microservice)
      .toResolvedValue(
        (transport: InstanceTransport, clock: Clock, logger: Logger) =>
          new Microservice(resolveMicroserviceOptions({ ...options, transport, clock, logger })),
        [TOKENS.InstanceTransport, TOKENS.Clock, TOKENS.Logger],
      )
      .inSingletonScope();
  });

/**
 * Binds Clock, Logger and an InstanceTransport built from one `transports:` config entry with
 * the container's plugin loader (async: resolve with getAsync). Load core's pluginLoaderModule() too.
 */
export const instanceTransportModule = (entry: TransportConfigEntry, deps: { clock?: Clock; logger?: Logger } = {}): ContainerModule =>
  new ContainerModule(({ bind }) => {
    bind<Clock>(TOKENS.Clock).toConstantValue(deps.clock ?? systemClock);
    bind<Logger>(TOKENS.Logger).toConstantValue(deps.logger ?? silentLogger);
    bind<InstanceTransport>(TOKENS.InstanceTransport)
      .toResolvedValue(
        (clock: Clock, logger: Logger, loadBackendPlugin: QueueBackendPluginLoader) => createInstanceTransport(entry, { clock, logger, loadBackendPlugin }),
        [TOKENS.Clock, TOKENS.Logger, TOKENS.QueueBackendPluginLoader],
      )
      .inSingletonScope();
  });
