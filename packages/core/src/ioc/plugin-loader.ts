/**
 * Loads a queue backend plugin by the name config gives: `memory` and `valkey` are the built-in
 * packages; anything else is an npm package name. The package must export `plugin` (or a default
 * export) with a name, a coreVersion range that includes this core, and createBackend(). Failures
 * name the package.
 *
 * Where a package is found. Core depends on no backend or transport package, and under npm's
 * isolated layout (`--install-strategy=linked`) core's own folder cannot see the packages its
 * host depends on. So a package is looked for, in order:
 *   1. through the host's `importPackage` (the gateway passes its own `import`, so every transport
 *      package it declares as a dependency resolves from the gateway's folder) — first for the
 *      built-in names, after 2 for third-party names;
 *   2. from the working directory (where the operator installed it, e.g. a service's project);
 *   3. by core's own import resolution (a hoisted install, this repository's workspaces).
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

/** Imports a package by its specifier, resolved from the caller's folder: `(specifier) => import(specifier)` written in the host package. */
export type PackageImporter = (specifier: string) => Promise<unknown>;

/** What the gateway's container binds as TOKENS.QueueBackendPluginLoader: a backend name → its checked plugin. */
export type QueueBackendPluginLoader = (name: string) => Promise<QueueBackendPlugin>;

/** Where loadQueueBackendPlugin looks for packages. */
export interface LoadPluginOptions {
  /** Directory to resolve packages from. @default process.cwd() */
  from?: string;
  /** The host package's import (see the module comment); tried before `from` for built-in names, after it for others. */
  importPackage?: PackageImporter;
}

/** The package a backend name refers to. */
export function backendPackageName(name: string): string {
  return BUILT_IN_BACKENDS[name] ?? name;
}

/** Imports and checks the plugin for backend `name`. Throws SY_PLUGIN_UNKNOWN_BACKEND, SY_PLUGIN_INVALID or SY_PLUGIN_VERSION_MISMATCH. */
export async function loadQueueBackendPlugin(name: string, options: LoadPluginOptions = {}): Promise<QueueBackendPlugin> {
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw new UnknownBackendError(String(name), 'the backend name must be a non-empty string (memory, valkey, or an npm package name)');
  }
  const packageName = backendPackageName(name);
  let mod: Record<string, unknown>;
  try {
    mod = await importFromHost(packageName, { ...options, isBuiltIn: BUILT_IN_BACKENDS[name] !== undefined });
  } catch (err) {
    if (isMissing(err, packageName)) {
      const hint = BUILT_IN_BACKENDS[name] !== undefined ? `install ${packageName}` : `run \`npm install ${packageName}\``;
      throw new UnknownBackendError(name, `package "${packageName}" is not installed (${hint}; built-in backends: ${Object.keys(BUILT_IN_BACKENDS).join(', ')})`, { cause: err });
    }
    throw wrapLoadError(packageName, err);
  }
  return checkPlugin(packageName, mod);
}

/**
 * Imports `packageName` from the first place that has it (see the module comment). Rejects with the
 * first "not found" error when none has it, or with the load error of a package that was found but
 * failed to load. The transport registry loads `@switchyard/transport-tcp` through it too.
 */
export async function importFromHost(packageName: string, options: LoadPluginOptions & { readonly isBuiltIn?: boolean } = {}): Promise<Record<string, unknown>> {
  const fromDir = async (): Promise<unknown> => {
    const resolved = createRequire(join(options.from ?? process.cwd(), 'package.json')).resolve(packageName);
    return import(pathToFileURL(resolved).href);
  };
  const host = options.importPackage;
  const attempts: Array<() => Promise<unknown>> = [];
  if (host !== undefined && options.isBuiltIn === true) attempts.push(() => host(packageName));
  attempts.push(fromDir);
  if (host !== undefined && options.isBuiltIn !== true) attempts.push(() => host(packageName));
  attempts.push(() => import(packageName));
  let firstMissing: unknown;
  for (const attempt of attempts) {
    try {
      return (await attempt()) as Record<string, unknown>;
    } catch (err) {
      if (!isMissing(err, packageName)) throw err;
      firstMissing ??= err;
    }
  }
  throw firstMissing;
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
  /** Where packages are resolved from. @default process.cwd() */
  from?: string;
  /** The host package's import (see LoadPluginOptions). */
  importPackage?: PackageImporter;
}

/** Loads backend `backendName`, builds it from `backendOptions` (the plugin validates them), and wraps it in the queue API. */
export async function createQueueFactoryFromConfig(
  backendName: string,
  backendOptions: Readonly<Record<string, unknown>> = {},
  deps: FactoryFromConfigDeps = {},
): Promise<MessageQueueFactory> {
  const plugin = await loadQueueBackendPlugin(backendName, {
    ...(deps.from === undefined ? {} : { from: deps.from }),
    ...(deps.importPackage === undefined ? {} : { importPackage: deps.importPackage }),
  });
  const clock = deps.clock ?? systemClock;
  const backend = plugin.createBackend(backendOptions, { clock });
  return createQueueFactory(backend, {
    clock,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    ...(deps.consumerNamePrefix === undefined ? {} : { consumerNamePrefix: deps.consumerNamePrefix }),
  });
}
