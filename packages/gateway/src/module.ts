/**
 * inversify wiring of the gateway (docs/architecture.md, "Dependency injection"): this module
 * only binds what is the gateway's own (config, default log, authenticator, clock); core's
 * modules bind the routing state, the router transports and the plugin loader. createGateway is
 * the composition root: it loads them, rebinds what GatewayDeps overrides, and is the only
 * caller of container.get.
 */
import { ContainerModule } from 'inversify';
import { TOKENS, systemClock, type Clock, type Logger } from '@switchyard/core';
import type { GatewayConfig } from './config/schema.js';
import { createGatewayLogger, type GatewayLog } from './logger.js';
import { createAuthenticator, type Authenticator } from './policy/authenticator.js';

/** Binds GatewayConfig, Clock (systemClock), GatewayLog and Logger (pino on stdout at `log.level`), and the Authenticator from `auth` (async). */
export const gatewayModule = (config: Readonly<GatewayConfig>): ContainerModule =>
  new ContainerModule(({ bind }) => {
    bind<Readonly<GatewayConfig>>(TOKENS.GatewayConfig).toConstantValue(config);
    bind<Clock>(TOKENS.Clock).toConstantValue(systemClock);
    bind<GatewayLog>(TOKENS.GatewayLog)
      .toResolvedValue((c: Readonly<GatewayConfig>) => createGatewayLogger(c), [TOKENS.GatewayConfig])
      .inSingletonScope();
    bind<Logger>(TOKENS.Logger)
      .toResolvedValue((log: GatewayLog) => log.logger as Logger, [TOKENS.GatewayLog])
      .inSingletonScope();
    bind<Authenticator>(TOKENS.Authenticator)
      .toResolvedValue((c: Readonly<GatewayConfig>) => createAuthenticator(c.auth), [TOKENS.GatewayConfig])
      .inSingletonScope();
  });
