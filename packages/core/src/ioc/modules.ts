/**
 * inversify container modules for the queue layer (STYLE §8): they only bind. Domain objects
 * stay plain; the composition root (gateway start-up, createMicroservice) calls container.get.
 */
import { ContainerModule } from 'inversify';
import { systemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import type { BackendDeps, QueueBackend } from '../queue/backend.js';
import { createQueueFactory } from '../queue/factory.js';
import type { MessageQueueFactory } from '../queue/types.js';
import { TOKENS } from './tokens.js';

/** What coreModule binds. */
export interface CoreModuleOptions {
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
}

/** Binds TOKENS.Clock and TOKENS.Logger. */
export const coreModule = (options: CoreModuleOptions = {}): ContainerModule =>
  new ContainerModule((o) => {
    o.bind<Clock>(TOKENS.Clock).toConstantValue(options.clock ?? systemClock);
    o.bind<Logger>(TOKENS.Logger).toConstantValue(options.logger ?? silentLogger);
  });

/**
 * Binds TOKENS.QueueBackend to `backend` and TOKENS.QueueFactory to one factory over it (singleton:
 * it holds the backend's connections), built with the container's Clock and Logger.
 * Load coreModule() too.
 */
export const queueModule = (backend: QueueBackend): ContainerModule =>
  new ContainerModule((o) => {
    o.bind<QueueBackend>(TOKENS.QueueBackend).toConstantValue(backend);
    o.bind<MessageQueueFactory>(TOKENS.QueueFactory)
      .toResolvedValue((b: QueueBackend, clock: Clock, logger: Logger) => createQueueFactory(b, { clock, logger }), [TOKENS.QueueBackend, TOKENS.Clock, TOKENS.Logger])
      .inSingletonScope();
  });

/**
 * Like queueModule, but the backend is built inside the container from the bound Clock, once
 * (singleton), so a backend package can export `xModule(options)` without importing inversify:
 * `export const memoryModule = (o) => queueBackendModule((deps) => createMemoryBackend(o, deps))`.
 */
export const queueBackendModule = (create: (deps: BackendDeps) => QueueBackend): ContainerModule =>
  new ContainerModule((o) => {
    o.bind<QueueBackend>(TOKENS.QueueBackend)
      .toResolvedValue((clock: Clock) => create({ clock }), [TOKENS.Clock])
      .inSingletonScope();
    o.bind<MessageQueueFactory>(TOKENS.QueueFactory)
      .toResolvedValue((b: QueueBackend, clock: Clock, logger: Logger) => createQueueFactory(b, { clock, logger }), [TOKENS.QueueBackend, TOKENS.Clock, TOKENS.Logger])
      .inSingletonScope();
  });
