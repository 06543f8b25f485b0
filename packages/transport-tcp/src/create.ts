/**
 * Factories and the router transport plugin: what the gateway's and the SDK's transport registry
 * load from this package for `tcp` and `tls` entries.
 */
import { TransportType, type RouterTransportPlugin, type TransportDeps } from '@switchyard/core';
import { TcpGatewayTransport } from './gateway-transport.js';
import { TcpInstanceTransport } from './instance-transport.js';
import { OptionProblems } from '@switchyard/core/internal';
import { checkTcpOptions, resolveTcpOptions, type TcpLikeOptionsInput, type TransportSide } from './options.js';

/** A gateway-side TCP or TLS transport (by `options.type`, default tcp). Throws SY_TCP_INVALID_OPTIONS. */
export function createTcpGatewayTransport(options: TcpLikeOptionsInput, deps: TransportDeps): TcpGatewayTransport {
  return new TcpGatewayTransport(resolveTcpOptions(options as Readonly<Record<string, unknown>>, 'gateway'), deps);
}

/** An instance-side TCP or TLS transport (by `options.type`, default tcp). Throws SY_TCP_INVALID_OPTIONS. */
export function createTcpInstanceTransport(options: TcpLikeOptionsInput, deps: TransportDeps): TcpInstanceTransport {
  return new TcpInstanceTransport(resolveTcpOptions(options as Readonly<Record<string, unknown>>, 'instance'), deps);
}

/** The plugin for `{ type: 'tcp' | 'tls', ... }` entries in `transports:`. */
export const routerTransportPlugin: RouterTransportPlugin = Object.freeze({
  types: Object.freeze([TransportType.Tcp, TransportType.Tls]),
  coreVersion: '^0.1.0',
  createGatewayTransport: (entry: Readonly<Record<string, unknown>>, deps: TransportDeps) =>
    new TcpGatewayTransport(resolveTcpOptions(entry, 'gateway'), deps),
  createInstanceTransport: (entry: Readonly<Record<string, unknown>>, deps: TransportDeps) =>
    new TcpInstanceTransport(resolveTcpOptions(entry, 'instance'), deps),
  checkEntry: (entry: Readonly<Record<string, unknown>>, side: TransportSide) => {
    const problems = new OptionProblems();
    checkTcpOptions(entry, side, problems);
    return problems.list;
  },
});
