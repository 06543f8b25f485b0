/** The SDK's composition roots: the only places that call `container.get` (STYLE §8). */
import { readFile } from 'node:fs/promises';
import { Container } from 'inversify';
import { parse as parseYaml } from 'yaml';
import { TOKENS, applyEnvOverrides, readEnvOverrides, type Clock, type EnvVars, type InstanceTransport, type Logger, type TransportConfigEntry } from '@switchyard/core';
import { InvalidServiceConfigError } from './errors.js';
import type { Microservice } from './microservice.js';
import { instanceTransportModule, microserviceModule } from './module.js';
import type { MicroserviceOptions } from './options.js';

/** A service built in code with a transport (SPEC §8). Validates options; throws SY_INVALID_ARGUMENT naming the option. */
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

const SERVICE_KEYS = new Set(['name', 'version', 'region', 'instanceId', 'heartbeatIntervalMs', 'drainTimeoutMs']);

/** The config keys `SWITCHYARD_*` variables may override in a service config (the gateway's rules). */
const SERVICE_CONFIG_SHAPE = Object.freeze({ topLevelKeys: ['service', 'transports'] });

/**
 * A service whose transport comes from configuration, so moving from TCP to Valkey is a config
 * change. `config` is the parsed object or a path to a YAML or JSON file; `SWITCHYARD_*`
 * variables in `deps.env` (default `process.env`) override its keys exactly as they do the
 * gateway's, e.g. `SWITCHYARD_TRANSPORTS__0__VALKEY__URL`.
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
  container.loadSync(instanceTransportModule(entry, deps));
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
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both.
    return parseYaml(text) as unknown;
  } catch (err) {
    throw new InvalidServiceConfigError(path, [`not valid YAML or JSON: ${(err as Error).message}`]);
  }
}

function checkConfig(value: unknown, source: string): { service: ServiceConfigSection; entry: TransportConfigEntry } {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null) throw new InvalidServiceConfigError(source, ['the config must be an object with service and transports']);
  const { service, transports } = value as { service?: unknown; transports?: unknown };
  for (const key of Object.keys(value)) {
    if (key !== 'service' && key !== 'transports') problems.push(`${key} is not a key of a service config (known: service, transports)`);
  }
  if (typeof service !== 'object' || service === null) problems.push('service must be an object with name and version');
  else {
    for (const key of Object.keys(service)) if (!SERVICE_KEYS.has(key)) problems.push(`service.${key} is not a key (known: ${[...SERVICE_KEYS].join(', ')})`);
    const s = service as Record<string, unknown>;
    if (typeof s.name !== 'string') problems.push('service.name must be a string');
    if (typeof s.version !== 'string') problems.push('service.version must be a string (strict semver)');
  }
  if (!Array.isArray(transports) || transports.length === 0) problems.push('transports must be a non-empty list; the first entry is used');
  else if (typeof transports[0] !== 'object' || transports[0] === null) problems.push('transports[0] must be an object with a type');
  if (problems.length > 0) throw new InvalidServiceConfigError(source, problems);
  return { service: service as ServiceConfigSection, entry: (transports as TransportConfigEntry[])[0] as TransportConfigEntry };
}
