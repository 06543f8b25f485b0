/**
 * Structured JSON logs with pino. pino's `(fields, message)` methods already have the shape of
 * core's Logger, so the same object serves the gateway and the transports it hosts.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import type { GatewayConfig } from './config/schema.js';

/** A pino logger writing JSON lines to stdout without blocking the event loop, and the synchronous flush to call before exit. */
export function createGatewayLogger(config: Readonly<GatewayConfig>): { logger: PinoLogger; flushSync: () => void } {
  const destination = pino.destination({ dest: 1, sync: false });
  const logger = pino(
    {
      level: config.log.level,
      base: { nodeId: config.node.id, region: config.node.region },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    logger,
    flushSync: () => {
      try {
        destination.flushSync();
      } catch {
        // sonic-boom refuses while a write is in progress; that write still completes before exit.
      }
    },
  };
}
