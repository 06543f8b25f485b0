/** Options of createMicroservice: defaults in one frozen object, validated once, every problem reported together. */
import { randomBytes } from 'node:crypto';
import semver from 'semver';
import { InvalidArgumentError, silentLogger, systemClock, type Clock, type InstanceTransport, type Logger } from '@switchyard/core';
import { OptionProblems } from '@switchyard/core/internal';

export interface MicroserviceOptions {
  /** Service name: letters, digits, `_`, `-`, starting with a letter or digit (dots would break queue names). */
  readonly name: string;
  /** Strict semver, e.g. `1.4.2`. */
  readonly version: string;
  /** @default 'local' */
  readonly region?: string;
  /** Unique per running copy. @default `<name>-<12 random hex>` */
  readonly instanceId?: string;
  /** How REQUESTs reach this instance (see createInstanceTransport for config-built transports). */
  readonly transport: InstanceTransport;
  /** How often HEARTBEAT is sent; the gateway marks an instance degraded after 15 s without one. @default 5000 */
  readonly heartbeatIntervalMs?: number;
  /** stop() waits this long for in-flight handlers, then aborts their signals with `shutdown`. @default 30000 */
  readonly drainTimeoutMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
}

export type ResolvedMicroserviceOptions = Readonly<Required<MicroserviceOptions>>;

/** Defaults of the microservice SDK. */
export const MICROSERVICE_DEFAULTS = Object.freeze({
  region: 'local',
  heartbeatIntervalMs: 5_000,
  drainTimeoutMs: 30_000,
});

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const INSTANCE_ID = /^[\x21-\x7e]{1,128}$/;

/** Validates every option; throws SY_INVALID_ARGUMENT listing every problem, each naming its option. */
export function resolveMicroserviceOptions(input: MicroserviceOptions): ResolvedMicroserviceOptions {
  if (typeof input !== 'object' || input === null) throw InvalidArgumentError.format('options', 'an object', input);
  const problems = new OptionProblems();
  const { name, version } = input;
  if (typeof name !== 'string' || !SERVICE_NAME.test(name)) {
    problems.expected('name', 'a service name of letters, digits, "_" or "-" (≤ 64, no dots)', name);
  }
  if (typeof version !== 'string' || semver.valid(version) !== version) {
    problems.expected('version', 'a strict semver version such as "1.4.2"', version);
  }
  const region = input.region ?? MICROSERVICE_DEFAULTS.region;
  problems.nonEmptyString('region', region);
  const instanceId = input.instanceId ?? `${name}-${randomBytes(6).toString('hex')}`;
  if (typeof instanceId !== 'string' || !INSTANCE_ID.test(instanceId)) {
    problems.expected('instanceId', '1-128 visible ASCII characters', instanceId);
  }
  const transport = input.transport;
  if (typeof transport !== 'object' || transport === null || typeof transport.start !== 'function') {
    problems.expected('transport', 'an InstanceTransport', transport);
  }
  const heartbeatIntervalMs = input.heartbeatIntervalMs ?? MICROSERVICE_DEFAULTS.heartbeatIntervalMs;
  problems.integer('heartbeatIntervalMs', heartbeatIntervalMs, 10);
  const drainTimeoutMs = input.drainTimeoutMs ?? MICROSERVICE_DEFAULTS.drainTimeoutMs;
  problems.integer('drainTimeoutMs', drainTimeoutMs, 0);
  if (!problems.isEmpty) throw InvalidArgumentError.fromProblems(problems.list);
  return Object.freeze({
    name,
    version,
    region,
    instanceId,
    transport,
    heartbeatIntervalMs,
    drainTimeoutMs,
    clock: input.clock ?? systemClock,
    logger: input.logger ?? silentLogger,
  });
}
