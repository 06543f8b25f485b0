/**
 * Loads `@switchyard/transport-tcp`'s `routerTransportPlugin` lazily: core does not depend on the
 * TCP package, so a deployment without it fails only when a config names tcp or tls.
 */
import { InvalidArgumentError, InvalidPluginError } from '../errors.js';
import { importFromHost, type PackageImporter } from '../ioc/plugin-loader.js';
import type { RouterTransportPlugin } from './types.js';

export const TCP_PACKAGE = '@switchyard/transport-tcp';

/** The plugin, or an error naming `path` (the entry's `type` key) when the package cannot be loaded. */
export async function tcpPlugin(path: string, importPackage?: PackageImporter): Promise<RouterTransportPlugin> {
  let mod: { routerTransportPlugin?: unknown };
  try {
    // Found like a built-in backend: through the host's import first (see loadQueueBackendPlugin).
    mod = await importFromHost(TCP_PACKAGE, { isBuiltIn: true, ...(importPackage === undefined ? {} : { importPackage }) });
  } catch (err) {
    throw new InvalidArgumentError(path, `needs ${TCP_PACKAGE}, which could not be loaded: ${(err as Error).message}`);
  }
  const plugin = mod.routerTransportPlugin as Partial<RouterTransportPlugin> | undefined;
  if (plugin === undefined || typeof plugin.createGatewayTransport !== 'function' || typeof plugin.createInstanceTransport !== 'function') {
    throw new InvalidPluginError(TCP_PACKAGE, 'it does not export routerTransportPlugin with createGatewayTransport and createInstanceTransport');
  }
  return plugin as RouterTransportPlugin;
}
