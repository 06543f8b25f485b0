/**
 * Commands sent in one tick go to the server in one write. ioredis writes each command to the
 * socket as it is sent, one syscall per command; a handler's answer and its ack, flushed from one
 * setImmediate (core's tick batcher), would be two writes, each waking the server. Corking the
 * command connection's socket until the tick's end turns them into one writev; the order of
 * commands on the connection is unchanged. Standalone and Sentinel connections only: a Cluster
 * client spreads commands over node connections of its own.
 */
import type { Socket } from 'node:net';
import type { ValkeyClient } from './connection.js';

/**
 * Holds `client`'s writes until this tick's end (process.nextTick); nothing when it is not
 * connected, or when its socket is corked already (by an earlier call this tick, or by a large
 * XADD of payload-xadd.ts, which uncorks at the tick's end too).
 */
export function coalesceWrites(client: ValkeyClient): void {
  if (client.status !== 'ready' || !('stream' in client)) return;
  const socket = client.stream as Socket | undefined;
  if (socket === undefined || typeof socket.cork !== 'function' || socket.writableCorked > 0) return;
  corkUntilTickEnd(socket);
}

/** Holds `socket`'s writes until this tick's end; every call is balanced by its own uncork, so calls nest. */
export function corkUntilTickEnd(socket: Socket): void {
  socket.cork();
  process.nextTick(uncork, socket);
}

function uncork(socket: Socket): void {
  socket.uncork();
}
