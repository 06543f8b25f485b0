/** The SDK's composition roots: the only places that call `container.get` (docs/architecture.md, "Dependency injection"). */
import { readFile } from 'node:fs/promises';
import { Container } from 'inversify';
import { TOKENS, applyEnvOverrides, pluginLoaderModule, readEnvOverrides, type Clock, type EnvVars, type InstanceTransport, type Logger } from '@switchyard/core';
import { OptionProblems, type TransportConfigEntry } from '@switchyard/core/internal';
import { InvalidServiceConfigError } from './errors.js';
import type { Microservice } from './microservice.js';
import { instanceTransportModule, microserviceModule } from './module.js';
import type { MicroserviceOptions } from './options.js';

/** A service built in code with a transport. Validates options; throws SY_INVALID_ARGUMENT naming the option. */
export function createMicroservice(options: MicroserviceOptions): Microservice {
  const container = new Container();
  container.loadSync(microserviceModule(options));
  return container.get<Microservice>(TOKENS.Microservice);
}

/** The `service:` section of a service config file. */
export interface ServiceConfigSection {
  readonly name: string;
  readonly version: string;
  readonly region?: string;
  readonly instanceId?: string;
  readonly heartbeatIntervalMs?: number;
  readonly drainTimeoutMs?: number;
}

/** A service config file: `service:` plus a `transports:` list shaped like the gateway's (the first entry is used). */
export interface ServiceConfig {
  readonly service: ServiceConfigSection;
  readonly transports: readonly TransportConfigEntry[];
}

const SERVICE_KEYS = ['name', 'version', 'region', 'instanceId', 'heartbeatIntervalMs', 'drainTimeoutMs'];

/** The config keys `SWITCHYARD_*` variables may override in a service config (the gateway's rules). */
const SERVICE_CONFIG_SHAPE = Object.freeze({ topLevelKeys: ['service', 'transports'] });

/**
 * A service whose transport comes from configuration, so moving from TCP to Valkey is a config
 * change (the entries are the gateway's `transports:` entries, docs/configuration.md). `config`
 * is the parsed object or a path to a YAML or JSON file; `SWITCHYARD_*` variables in `deps.env`
 * (default `process.env`) override its keys exactly as they do the gateway's, e.g.
 * `SWITCHYARD_TRANSPORTS__0__VALKEY__URL`.
 */
export async function createMicroserviceFromConfig(
  config: ServiceConfig | string,
  deps: { readonly clock?: Clock; readonly logger?: Logger; readonly instanceId?: string; readonly env?: EnvVars } = {},
): Promise<Microservice> {
  const source = typeof config === 'string' ? config : 'object';
  const file = typeof config === 'string' ? await readConfigFile(config) : config;
  const overrides = readEnvOverrides(deps.env ?? process.env, SERVICE_CONFIG_SHAPE);
  const parsed = overrides.length === 0 ? file : applyEnvOverrides(file, overrides).value;
  const { service, entry } = checkConfig(parsed, source);
  const container = new Container();
  container.loadSync(pluginLoaderModule(), instanceTransportModule(entry, deps));
  const transport = await container.getAsync<InstanceTransport>(TOKENS.InstanceTransport);
  try {
    return createMicroservice({
      ...service,
      ...(deps.instanceId === undefined ? {} : { instanceId: deps.instanceId }),
      transport,
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
      ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    });
  } catch (err) {
    // The transport may hold a connection: release it before reporting the bad option.
    await transport.close();
    throw err;
  }
}

async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidServiceConfigError(path, [`cannot read the file: ${(err as Error).message}`]);
  }
  const json = path.endsWith('.json');
  try {
    // YAML 1.2 is a superset of JSON, so its parser reads both; a .json file is read without
    // loading it (about 1 MB of heap for the life of the process).
    return json ? (JSON.parse(text) as unknown) : ((await import('yaml')).parse(text) as unknown);
  } catch (err) {
    throw new InvalidServiceConfigError(path, [`not valid ${json ? 'JSON' : 'YAML or JSON'}: ${(err as Error).message}`]);
  }
}

function checkConfig(value: unknown, source: string): { service: ServiceConfigSection; entry: TransportConfigEntry } {
  const problems = new OptionProblems();
  if (typeof value !== 'object' || value === null) throw new InvalidServiceConfigError(source, ['the config must be an object with service and transports']);
  const { service, transports } = value as { service?: unknown; transports?: unknown };
  problems.unknownKeys(value, ['service', 'transports'], '', { noun: 'a key of a service config' });
  if (problems.object('service', service, 'an object with name and version')) {
    const s = service as Record<string, unknown>;
    problems.unknownKeys(s, SERVICE_KEYS, 'service', { noun: 'a key' });
    if (typeof s.name !== 'string') problems.expected('service.name', 'a string', s.name);
    if (typeof s.version !== 'string') problems.expected('service.version', 'a string (strict semver)', s.version);
  }
  if (!Array.isArray(transports) || transports.length === 0) problems.add('transports', 'must be a non-empty list; the first entry is used');
  else problems.object('transports[0]', transports[0], 'an object with a type');
  if (!problems.isEmpty) throw new InvalidServiceConfigError(source, problems.messages());
  return { service: service as ServiceConfigSection, entry: (transports as TransportConfigEntry[])[0] as TransportConfigEntry };
}
