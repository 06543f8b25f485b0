/**
 * The client listener's config keys under `http`: `tls` (HTTPS, optional client certificates)
 * and `http2` with the HTTP/2 limits a production server sets (docs/configuration.md#http).
 * Kept apart from schema.ts so the listener's keys and defaults sit in one place.
 */
import { z } from 'zod';

/** Defaults of the listener keys, frozen. */
export const LISTENER_DEFAULTS = Object.freeze({
  /** At the edge clients are browsers and apps: a client certificate is asked for only when `ca` is set, and required only on request. */
  requireClientCert: false,
  certReloadMs: 5_000,
  /** Streams one HTTP/2 connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
  maxConcurrentStreams: 100,
  /** Largest header list accepted (SETTINGS_MAX_HEADER_LIST_SIZE), the HTTP/1.1 parser's 16 KiB. */
  maxHeaderListBytes: 16 * 1024,
  /** Memory nghttp2 may hold for one session (header compression, queued frames) before new streams are refused. */
  maxSessionMemoryMiB: 10,
  /** Streams refused (over maxConcurrentStreams, or bad headers) before the session is closed. */
  maxSessionRejectedStreams: 100,
  /** Invalid frames before the session is closed. */
  maxSessionInvalidFrames: 100,
  /** Streams a client may reset per second on one connection before it gets GOAWAY (rapid reset, CVE-2023-44487). */
  maxResetsPerSecond: 200,
});

const positiveInt = (): z.ZodNumber => z.number().int('must be an integer').positive('must be > 0');
const path = () => z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().min(1, 'must be a file path or inline PEM'));

/** `http.tls`: the same keys as a `tls` transport entry, file paths or inline PEM. */
export const httpTlsSchema = z
  .strictObject({
    cert: path(),
    key: path(),
    ca: path().optional(),
    requireClientCert: z.boolean().default(LISTENER_DEFAULTS.requireClientCert),
    certReloadMs: z.number().int('must be an integer').min(0).default(LISTENER_DEFAULTS.certReloadMs),
  })
  .refine((t) => !t.requireClientCert || t.ca !== undefined, {
    message: 'requireClientCert needs ca: the CA that signs client certificates',
    path: ['ca'],
  });

/** `http.http2Limits`: applied when `http.http2` is true. */
export const http2LimitsSchema = z
  .strictObject({
    maxConcurrentStreams: positiveInt().default(LISTENER_DEFAULTS.maxConcurrentStreams),
    maxHeaderListBytes: positiveInt().default(LISTENER_DEFAULTS.maxHeaderListBytes),
    maxSessionMemoryMiB: positiveInt().default(LISTENER_DEFAULTS.maxSessionMemoryMiB),
    maxSessionRejectedStreams: positiveInt().default(LISTENER_DEFAULTS.maxSessionRejectedStreams),
    maxSessionInvalidFrames: positiveInt().default(LISTENER_DEFAULTS.maxSessionInvalidFrames),
    maxResetsPerSecond: positiveInt().default(LISTENER_DEFAULTS.maxResetsPerSecond),
  })
  .prefault({});

export type HttpTlsConfig = z.output<typeof httpTlsSchema>;
export type Http2Limits = z.output<typeof http2LimitsSchema>;
