/**
 * Structured JSON logs with pino. pino's `(fields, message)` methods already have the shape of
 * core's Logger, so the same object serves the gateway and the transports it hosts.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { GatewayConfig } from './config/schema.js';
import { REDACTED, REDACTED_LOG_PATHS, scrubUrl } from './log-redaction.js';

/** The gateway's loggers, both writing to one stream, and the synchronous flush to call before exit. */
export interface GatewayLog {
  /** Every line but the per-request one: secret headers redacted wherever a line carries them. */
  readonly logger: PinoLogger;
  /**
   * The one line per answered request (`log.requests`). Its fields are fixed and hold no headers,
   * so it skips pino's redaction, whose wildcard paths cost more than the rest of the line (at
   * c=256 the request line was about two fifths of the gateway's CPU per request, most of it that
   * pass).
   */
  readonly requestLogger: PinoLogger;
  readonly flushSync: () => void;
}

/**
 * pino loggers writing JSON lines (to stdout without blocking the event loop, or to
 * `destination`). Credentials never reach a line: secret headers are redacted and every
 * `url`/`path` field has its credential-like query values scrubbed (log-redaction.ts).
 */
export function createGatewayLogger(config: Readonly<GatewayConfig>, destination?: DestinationStream): GatewayLog {
  const stdout = destination === undefined ? pino.destination({ dest: 1, sync: false }) : undefined;
  const stream = stdout ?? (destination as DestinationStream);
  const options = {
    level: config.log.level,
    base: { nodeId: config.node.id, region: config.node.region },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    serializers: { url: scrubUrl, path: scrubUrl },
  };
  const logger = pino({ ...options, redact: { paths: [...REDACTED_LOG_PATHS], censor: REDACTED } }, stream);
  return {
    logger,
    requestLogger: pino(options, stream),
    flushSync: () => {
      try {
        stdout?.flushSync();
      } catch {
        // sonic-boom refuses while a write is in progress; that write still completes before exit.
      }
    },
  };
}
