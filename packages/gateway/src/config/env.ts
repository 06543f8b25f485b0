/**
 * The gateway's `SWITCHYARD_*` environment overrides: core's override rules
 * (`@switchyard/core` `readEnvOverrides`, shared with config-built services) over the gateway
 * config's top-level keys, with `routing.defaultVersions` as a record of service names.
 *
 *   SWITCHYARD_HTTP__PORT=9000                      → http.port = 9000
 *   SWITCHYARD_HTTP__MAX_BODY_BYTES=1048576         → http.maxBodyBytes
 *   SWITCHYARD_NODE__ID=gw-2                        → node.id
 *   SWITCHYARD_TRANSPORTS__0__VALKEY__URL=redis://… → transports[0].valkey.url
 *   SWITCHYARD_ROUTING__DEFAULT_VERSIONS__BILLING=1.4.2 → routing.defaultVersions.billing
 *   SWITCHYARD_HEALTH__REQUIRED_SERVICES='["echo"]' → health.requiredServices (JSON)
 */
import { readEnvOverrides as readOverrides, type EnvOverride, type EnvVars } from '@switchyard/core';
import { TOP_LEVEL_KEYS } from './schema.js';

export { ENV_PREFIX, applyEnvOverrides, formatConfigPath as formatPath, type EnvOverride } from '@switchyard/core';

const GATEWAY_SHAPE = Object.freeze({ topLevelKeys: TOP_LEVEL_KEYS, recordKeys: ['defaultVersions'] });

/** The gateway config overrides found in `env`, in a stable order (sorted by variable name). */
export function readEnvOverrides(env: EnvVars): EnvOverride[] {
  return readOverrides(env, GATEWAY_SHAPE);
}
