/**
 * Structured JSON logs with pino. pino's `(fields, message)` methods already have the shape of
 * core's Logger, so the same object serves the gateway and the transports it hosts.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import type { GatewayConfig } from './config/schema.js';

/** A pino logger writing JSON lines to stdout without blocking the event loop. Call `flush()` before exit. */
export function createGatewayLogger(config: Readonly<GatewayConfig>): PinoLogger {
  return pino(
    {
      level: config.log.level,
      base: { nodeId: config.node.id, region: config.node.region },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 1, sync: false }),
  );
}
