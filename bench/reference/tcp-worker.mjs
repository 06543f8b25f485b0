/**
 * Reference worker over TCP for bench:http (see tcp-gateway.mjs): answers each request frame
 * with the echo body; the replies of one event-loop turn go out in one write.
 *
 *   node tcp-worker.mjs <gateway's worker port>
 */
import { connect } from 'node:net';
import { echoBody } from './echo-body.mjs';
import { readFrames, frame } from './framing.mjs';

const socket = connect(Number(process.argv[2]), '127.0.0.1', () => console.log('echo listening'));
socket.setNoDelay(true);
let outgoing = [];
function flush() {
  socket.write(Buffer.concat(outgoing));
  outgoing = [];
}
readFrames(socket, (f) => {
  if (outgoing.push(frame({ i: f.i, b: echoBody(f.m, f.u, f.h, f.b, 'reference') })) === 1) setImmediate(flush);
});
process.on('SIGTERM', () => process.exit(0));
