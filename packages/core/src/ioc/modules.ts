/**
 * inversify container modules of core (docs/architecture.md, "Dependency injection"): they only
 * bind. Domain objects stay plain classes and functions; the composition roots (createGateway,
 * createMicroservice) are the only callers of container.get, and a caller's override of one
 * abstraction is a rebind of its token after loading these modules.
 */
import { ContainerModule } from 'inversify';
import { systemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import type { BackendDeps, QueueBackend } from '../queue/backend.js';
import { createQueueFactory } from '../queue/factory.js';
import type { MessageQueueFactory } from '../queue/types.js';
import type { RoutingStateOptions } from '../routing/options.js';
import { RoutingState } from '../routing/routing-state.js';
import { createGatewayTransports, type TransportConfigEntry } from '../transport/registry.js';
import type { GatewayTransport } from '../transport/types.js';
import { loadQueueBackendPlugin, type PackageImporter, type QueueBackendPluginLoader } from './plugin-loader.js';
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

/**
 * Binds where packages are found: TOKENS.PackageImporter to the host's `importPackage` (or core's
 * own import when none is given), and TOKENS.QueueBackendPluginLoader to loadQueueBackendPlugin
 * through it (the order of places is in plugin-loader.ts). The gateway passes its own import, so
 * every transport package it depends on resolves under npm's isolated layout too.
 */
export const pluginLoaderModule = (options: { readonly importPackage?: PackageImporter } = {}): ContainerModule =>
  new ContainerModule((o) => {
    const importPackage: PackageImporter = options.importPackage ?? ((specifier) => import(specifier));
    o.bind<PackageImporter>(TOKENS.PackageImporter).toConstantValue(importPackage);
    o.bind<QueueBackendPluginLoader>(TOKENS.QueueBackendPluginLoader).toConstantValue((name) => loadQueueBackendPlugin(name, { importPackage }));
  });

/** Binds TOKENS.RoutingState to one RoutingState (singleton) with the container's Clock and Logger. Load coreModule() too. */
export const routingModule = (options: Omit<RoutingStateOptions, 'clock' | 'logger'> = {}): ContainerModule =>
  new ContainerModule((o) => {
    o.bind<RoutingState>(TOKENS.RoutingState)
      .toResolvedValue((clock: Clock, logger: Logger) => new RoutingState({ ...options, clock, logger }), [TOKENS.Clock, TOKENS.Logger])
      .inSingletonScope();
  });

/**
 * Binds TOKENS.GatewayTransports to the gateway-side transports of `entries` (the `transports:`
 * config), built once with the container's Clock, Logger and plugin loader. Async: resolve with
 * getAsync. Load coreModule() and pluginLoaderModule() too.
 */
export const gatewayTransportsModule = (
  entries: readonly TransportConfigEntry[],
  node: { readonly id: string; readonly region: string },
): ContainerModule =>
  new ContainerModule((o) => {
    o.bind<readonly GatewayTransport[]>(TOKENS.GatewayTransports)
      .toResolvedValue(
        (clock: Clock, logger: Logger, loadBackendPlugin: QueueBackendPluginLoader, importPackage: PackageImporter) =>
          createGatewayTransports(entries, { clock, logger, node, loadBackendPlugin, importPackage }),
        [TOKENS.Clock, TOKENS.Logger, TOKENS.QueueBackendPluginLoader, TOKENS.PackageImporter],
      )
      .inSingletonScope();
  });
