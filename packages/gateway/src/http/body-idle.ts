/**
 * Cuts a client whose request body stops arriving: once the body is being read, a connection
 * that receives nothing for `idleMs` is closed (Node destroys a socket whose timeout fires with
 * no listener), and the request path sees the body as aborted. `http.requestTimeoutMs` bounds
 * the whole request; this bounds each pause, so a body trickled one byte at a time still ends
 * at the request deadline, and a body that stops ends after `idleMs`.
 */
import type { IncomingMessage } from 'node:http';

export function watchBodyIdle(req: IncomingMessage, idleMs: number): void {
  if (req.complete) return;
  const socket = req.socket;
  socket.setTimeout(idleMs);
  // The server sets its own keep-alive timeout again after the response.
  req.once('end', () => socket.setTimeout(0));
}
