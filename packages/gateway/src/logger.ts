/**
 * Structured JSON logs with pino. pino's `(fields, message)` methods already have the shape of
 * core's Logger, so the same object serves the gateway and the transports it hosts.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { GatewayConfig } from './config/schema.js';
import { REDACTED, REDACTED_LOG_PATHS, scrubUrl } from './log-redaction.js';

/**
 * A pino logger writing JSON lines (to stdout without blocking the event loop, or to
 * `destination`), and the synchronous flush to call before exit. Credentials never reach a line:
 * secret headers are redacted and every `url`/`path` field has its credential-like query values
 * scrubbed (log-redaction.ts).
 */
export function createGatewayLogger(config: Readonly<GatewayConfig>, destination?: DestinationStream): { logger: PinoLogger; flushSync: () => void } {
  const stdout = destination === undefined ? pino.destination({ dest: 1, sync: false }) : undefined;
  const logger = pino(
    {
      level: config.log.level,
      base: { nodeId: config.node.id, region: config.node.region },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_LOG_PATHS], censor: REDACTED },
      serializers: { url: scrubUrl, path: scrubUrl },
    },
    stdout ?? (destination as DestinationStream),
  );
  return {
    logger,
    flushSync: () => {
      try {
        stdout?.flushSync();
      } catch {
        // sonic-boom refuses while a write is in progress; that write still completes before exit.
      }
    },
  };
}
