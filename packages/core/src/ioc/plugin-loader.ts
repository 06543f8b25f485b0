/**
 * Loads a queue backend plugin by the name config gives (docs/configuration.md, `transports`): `memory` and `valkey`
 * are the built-in packages; anything else is an npm package name, resolved from the working
 * directory first (where the operator installed it), then by normal import resolution. The package
 * must export `plugin` (or a default export) with a name, a coreVersion range that includes this
 * core, and createBackend(). Failures name the package. (fastify plugin-utils.js)
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { InvalidPluginError, PluginVersionMismatchError, UnknownBackendError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { QueueBackendPlugin } from '../queue/backend.js';
import { createQueueFactory } from '../queue/factory.js';
import type { MessageQueueFactory } from '../queue/types.js';
import { CORE_VERSION } from '../version.js';

/** Config names of the built-in backends and the packages that provide them. */
export const BUILT_IN_BACKENDS: Readonly<Record<string, string>> = Object.freeze({
  memory: '@switchyard/transport-memory',
  valkey: '@switchyard/transport-valkey',
});

/** Where loadQueueBackendPlugin looks for third-party packages. */
export interface LoadPluginOptions {
  /** Directory to resolve third-party packages from. @default process.cwd() */
  from?: string;
}

/** The package a backend name refers to. */
export function backendPackageName(name: string): string {
  return BUILT_IN_BACKENDS[name] ?? name;
}

/** What the gateway's container binds as TOKENS.QueueBackendPluginLoader: a backend name → its checked plugin. */
export type QueueBackendPluginLoader = (name: string) => Promise<QueueBackendPlugin>;

/** Imports and checks the plugin for backend `name`. Throws SY_PLUGIN_UNKNOWN_BACKEND, SY_PLUGIN_INVALID or SY_PLUGIN_VERSION_MISMATCH. */
export async function loadQueueBackendPlugin(name: string, options: LoadPluginOptions = {}): Promise<QueueBackendPlugin> {
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw new UnknownBackendError(String(name), 'the backend name must be a non-empty string (memory, valkey, or an npm package name)');
  }
  const packageName = backendPackageName(name);
  const mod = await importPackage(name, packageName, options.from ?? process.cwd());
  return checkPlugin(packageName, mod);
}

async function importPackage(name: string, packageName: string, from: string): Promise<Record<string, unknown>> {
  let firstError: unknown;
  if (BUILT_IN_BACKENDS[name] === undefined) {
    // Where the operator installed it: next to their config, not next to core.
    try {
      const resolved = createRequire(join(from, 'package.json')).resolve(packageName);
      return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
    } catch (err) {
      if (!isMissing(err, packageName)) throw wrapLoadError(packageName, err);
      firstError = err;
    }
  }
  try {
    return (await import(packageName)) as Record<string, unknown>;
  } catch (err) {
    if (isMissing(err, packageName)) {
      const hint = BUILT_IN_BACKENDS[name] !== undefined ? `install ${packageName}` : `run \`npm install ${packageName}\``;
      throw new UnknownBackendError(name, `package "${packageName}" is not installed (${hint}; built-in backends: ${Object.keys(BUILT_IN_BACKENDS).join(', ')})`, {
        cause: firstError ?? err,
      });
    }
    throw wrapLoadError(packageName, err);
  }
}

/** True only when the module that could not be found is the package itself, not one of its dependencies. */
function isMissing(err: unknown, packageName: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = String((err as { message?: unknown }).message ?? '');
  return message.includes(`'${packageName}'`) || message.includes(`"${packageName}"`);
}

function wrapLoadError(packageName: string, err: unknown): Error {
  const detail = err instanceof Error ? err.message : String(err);
  const wrapped = new InvalidPluginError(packageName, `it failed to load: ${detail}`);
  (wrapped as { cause?: unknown }).cause = err;
  return wrapped;
}

function checkPlugin(packageName: string, mod: Record<string, unknown>): QueueBackendPlugin {
  const candidate = (mod.plugin ?? mod.default) as Partial<QueueBackendPlugin> | undefined;
  if (candidate === undefined || candidate === null || typeof candidate !== 'object') {
    throw new InvalidPluginError(packageName, 'it exports neither `plugin` nor a default export (expected { name, coreVersion, createBackend })');
  }
  const missing: string[] = [];
  if (typeof candidate.name !== 'string' || candidate.name.length === 0) missing.push('name (a non-empty string)');
  if (typeof candidate.coreVersion !== 'string' || semver.validRange(candidate.coreVersion) === null) {
    missing.push('coreVersion (a semver range such as "^0.1.0")');
  }
  if (typeof candidate.createBackend !== 'function') missing.push('createBackend (a function)');
  if (missing.length > 0) throw new InvalidPluginError(packageName, `its plugin is missing ${missing.join(', ')}`);
  const plugin = candidate as QueueBackendPlugin;
  if (!semver.satisfies(CORE_VERSION, plugin.coreVersion, { includePrerelease: true })) {
    throw new PluginVersionMismatchError(packageName, plugin.coreVersion, CORE_VERSION);
  }
  return plugin;
}

/** What createQueueFactoryFromConfig passes to the backend and the factory. */
export interface FactoryFromConfigDeps {
  /** @default systemClock */
  clock?: Clock;
  logger?: Logger;
  consumerNamePrefix?: string;
  /** Where third-party packages are resolved from. @default process.cwd() */
  from?: string;
}

/** Loads backend `backendName`, builds it from `backendOptions` (the plugin validates them), and wraps it in the queue API. */
export async function createQueueFactoryFromConfig(
  backendName: string,
  backendOptions: Readonly<Record<string, unknown>> = {},
  deps: FactoryFromConfigDeps = {},
): Promise<MessageQueueFactory> {
  const plugin = await loadQueueBackendPlugin(backendName, deps.from === undefined ? {} : { from: deps.from });
  const clock = deps.clock ?? systemClock;
  const backend = plugin.createBackend(backendOptions, { clock });
  return createQueueFactory(backend, {
    clock,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    ...(deps.consumerNamePrefix === undefined ? {} : { consumerNamePrefix: deps.consumerNamePrefix }),
  });
}
