/**
 * The open HTTP/2 sessions of the client listener: tracked so shutdown can send GOAWAY (graceful)
 * and then destroy what is left, and watched for rapid reset (CVE-2023-44487): a client that
 * opens streams and resets them at once makes the gateway start a dispatch (and a CANCEL) per
 * stream while never holding more than a few open, so maxConcurrentStreams does not bound it.
 * More than `maxResetsPerSecond` client resets in one second on a session get the session
 * GOAWAY with ENHANCE_YOUR_CALM and closed. Node's own nghttp2 limits (a reset-rate bucket, and
 * maxSessionRejectedStreams / maxSessionInvalidFrames, set on the server) apply as well.
 */
import { constants, type Http2Stream, type ServerHttp2Session } from 'node:http2';
import type { Clock, Logger } from '@switchyard/core';

export class Http2Sessions {
  private readonly sessions = new Set<ServerHttp2Session>();
  private refused = 0;

  constructor(
    private readonly maxResetsPerSecond: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** The server's 'session' listener. */
  readonly add = (session: ServerHttp2Session): void => {
    this.sessions.add(session);
    let windowStart = this.clock.now();
    let resets = 0;
    // One listener per session, shared by its streams: 'aborted' fires when the client resets a
    // stream (or the connection drops) before the answer was sent.
    const onAborted = (): void => {
      const now = this.clock.now();
      if (now - windowStart >= 1_000) {
        windowStart = now;
        resets = 0;
      }
      resets += 1;
      if (resets === this.maxResetsPerSecond + 1 && !session.destroyed) {
        this.refused += 1;
        this.logger.warn(
          { remote: session.socket?.remoteAddress, maxResetsPerSecond: this.maxResetsPerSecond },
          'http2 session closed: the client reset streams faster than http.http2Limits.maxResetsPerSecond (rapid reset)',
        );
        // GOAWAY tells the client why and refuses its new streams; close() ends the session once
        // the streams it already opened (at most maxConcurrentStreams) are done.
        session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
        session.close();
      }
    };
    session.on('stream', (stream: Http2Stream) => stream.once('aborted', onAborted));
    session.once('close', () => this.sessions.delete(session));
    // A session error (protocol violation, socket reset) closes it; logged at debug, as the
    // HTTP/1.1 server does not log client socket errors either.
    session.on('error', (err: Error) => this.logger.debug({ err: err.message }, 'http2 session error'));
  };

  /** Sessions closed for resetting streams too fast. */
  get refusedForResets(): number {
    return this.refused;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Sends GOAWAY on every session: no new streams; each closes once its open streams end. */
  closeGracefully(): void {
    for (const s of this.sessions) if (!s.closed) s.close();
  }

  /** Destroys every session now (their open streams are reset). */
  destroyAll(): void {
    for (const s of this.sessions) s.destroy();
  }
}
