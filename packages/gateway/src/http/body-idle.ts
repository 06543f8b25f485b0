/**
 * Cuts a client whose request body stops arriving: while the body is being read, a connection
 * that receives nothing for `idleMs` is closed (Node destroys a socket whose timeout fires with
 * no listener), and the body read ends as aborted. `http.requestTimeoutMs` bounds the whole
 * request; this bounds each pause, so a body trickled one byte at a time still ends at the
 * request deadline, and a body that stops ends after `idleMs`. The limit is lifted as soon as
 * the read settles: the wait for the instance's answer is not idleness.
 */
import type { IncomingMessage } from 'node:http';

export async function bodyWithinIdleLimit<T>(req: IncomingMessage, reading: Promise<T>, idleMs: number): Promise<T> {
  if (req.complete) return reading;
  const socket = req.socket;
  socket.setTimeout(idleMs);
  try {
    return await reading;
  } finally {
    // During a request Node keeps the socket timeout at server.timeout, which the gateway leaves at 0.
    socket.setTimeout(0);
  }
}
