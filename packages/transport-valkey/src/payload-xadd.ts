/**
 * `XADD <stream> * p <payload>` whose payload goes to the socket as it is. ioredis writes a command
 * with a Buffer argument by copying every argument into one new buffer; for a streamed body's
 * chunk (up to 256 KiB) that is a copy and an allocation per chunk, which the garbage collector
 * then pays for again. This command writes its head and the payload as separate writes on a
 * corked socket (one writev when the socket uncorks, on the next tick) and hands ioredis only the
 * closing CRLF to write after them; the order of commands on the connection is unchanged.
 *
 * Only for a command sent on its own with `sendCommand` (never inside a pipeline or MULTI, whose
 * writes are gathered elsewhere): toWritable then receives the connection's socket.
 */
import type { Socket } from 'node:net';
import { Command } from 'ioredis';
import type { ValkeyClient } from './connection.js';
import { corkUntilTickEnd } from './write-coalescing.js';

/** Below this a payload is copied as ioredis does: a copy is cheaper than a write call. */
export const SEPARATE_WRITE_BYTES = 16 * 1024;

class PayloadXadd extends Command {
  constructor(
    private readonly key: string,
    private readonly payload: Buffer,
  ) {
    super('xadd', [key, '*', 'p', payload], { replyEncoding: 'utf8' });
  }

  override toWritable(socket: Socket): string | Buffer {
    if (this.payload.length < SEPARATE_WRITE_BYTES || typeof socket?.cork !== 'function') return super.toWritable(socket);
    const key = this.key;
    corkUntilTickEnd(socket);
    socket.write(`*5\r\n$4\r\nxadd\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$1\r\n*\r\n$1\r\np\r\n$${this.payload.length}\r\n`);
    socket.write(this.payload);
    return '\r\n';
  }
}

/** Appends `payload` as field `p` of a new entry of `stream`; resolves with the entry's id. */
export function xaddPayload(client: ValkeyClient, stream: string, payload: Buffer): Promise<string> {
  const command = new PayloadXadd(stream, payload);
  void client.sendCommand(command);
  return command.promise as Promise<string>;
}
