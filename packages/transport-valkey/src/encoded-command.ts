/**
 * Batch commands written in one pass. ioredis encodes a command argument by argument: a string
 * per argument, the Buffers among them gathered and joined with `Buffer.concat`. For the batches
 * on the request path (a turn's RESPONSEs in one packed entry, a turn's REQUESTs for the enqueue
 * script, an ack batch) that costs more than the command itself: a packed `XADD` of 74 RESPONSEs of
 * 420 B took 79 µs to build and encode against 25 µs written here, where the whole command is
 * sized first and written into one buffer of exactly that size (RESP arrays of bulk strings).
 *
 * ioredis still owns the connection, the reply and its promise: an EncodedCommand is an ioredis
 * Command whose `args` are only the ones a Cluster client routes by (the key, or a script's sha,
 * key count and keys), and whose encoding is its own. A command re-sent after a reconnect is
 * encoded again the same way.
 */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { Command } from 'ioredis';
import type { ValkeyClient } from './connection.js';
import { scriptSource, SCRIPTS, type ScriptName } from './scripts/index.js';

export type CommandArg = string | number | Buffer;

const CR = 0x0d;
const LF = 0x0a;

/** Bytes of `n`'s decimal digits (n ≥ 0). */
function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Writes `<marker><n>\r\n` at `at`; returns the position after it. */
function writeCount(out: Buffer, at: number, marker: number, n: number): number {
  out[at++] = marker;
  const end = at + digits(n);
  for (let i = end - 1; i >= at; i--) {
    out[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  out[end] = CR;
  out[end + 1] = LF;
  return end + 2;
}

const NONE: readonly CommandArg[] = [];

/** `name`, then `args`, then `more`, as one RESP array of bulk strings. */
export function encodeCommand(name: string, args: readonly CommandArg[], more: readonly CommandArg[] = NONE): Buffer {
  const count = args.length + more.length;
  const texts: Array<string | Buffer> = new Array<string | Buffer>(count);
  const lengths: number[] = new Array<number>(count);
  const nameBytes = Buffer.byteLength(name);
  let size = 1 + digits(count + 1) + 2 + bulkSize(nameBytes);
  for (let i = 0; i < count; i++) {
    const arg = (i < args.length ? args[i] : more[i - args.length]) as CommandArg;
    const text = typeof arg === 'number' ? String(arg) : arg;
    const length = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
    texts[i] = text;
    lengths[i] = length;
    size += bulkSize(length);
  }
  const out = Buffer.allocUnsafe(size);
  let at = writeCount(out, 0, 0x2a, count + 1);
  at = writeBulk(out, at, name, nameBytes);
  for (let i = 0; i < count; i++) at = writeBulk(out, at, texts[i] as string | Buffer, lengths[i] as number);
  return out;
}

/** Bytes of a bulk string of `length` bytes: `$<length>\r\n<bytes>\r\n`. */
function bulkSize(length: number): number {
  return 1 + digits(length) + 2 + length + 2;
}

function writeBulk(out: Buffer, at: number, text: string | Buffer, length: number): number {
  at = writeCount(out, at, 0x24, length);
  if (typeof text === 'string') out.write(text, at, length, 'utf8');
  else text.copy(out, at);
  at += length;
  out[at] = CR;
  out[at + 1] = LF;
  return at + 2;
}

/** Replies as ioredis' own commands give them: bulk strings as UTF-8 strings. */
const REPLY_OPTIONS = { replyEncoding: 'utf8' } as const;

class EncodedCommand extends Command {
  constructor(
    name: string,
    routing: readonly CommandArg[],
    private readonly rest: readonly CommandArg[],
  ) {
    super(name, [...routing], REPLY_OPTIONS);
  }

  override toWritable(_socket: object): Buffer {
    return encodeCommand(this.name, this.args as CommandArg[], this.rest);
  }
}

/**
 * Sends `name key ...rest` on `client`; resolves with the reply. `key` is the command's one key
 * (what a Cluster client routes by), its first argument.
 */
export function sendKeyed<R>(client: ValkeyClient, name: string, key: string, rest: readonly CommandArg[]): Promise<R> {
  const command = new EncodedCommand(name, [key], rest);
  void client.sendCommand(command);
  return command.promise as Promise<R>;
}

/** A script's source and sha, and the sockets it is known to be loaded on. */
interface LoadedScript {
  readonly lua: string;
  readonly sha: string;
  readonly loadedOn: WeakSet<object>;
}

const loaded = new Map<ScriptName, LoadedScript>();

function loadedScript(name: ScriptName): LoadedScript {
  let script = loaded.get(name);
  if (script === undefined) {
    const lua = scriptSource(name);
    script = { lua, sha: createHash('sha1').update(lua).digest('hex'), loadedOn: new WeakSet() };
    loaded.set(name, script);
  }
  return script;
}

/**
 * A script call encoded in one pass. Like ioredis' own script commands it sends the source
 * (`EVAL`) the first time on a connection and the sha (`EVALSHA`) after that, and a NOSCRIPT
 * answer (a server restarted, or its scripts flushed) sends the source again.
 */
class ScriptCommand extends EncodedCommand {
  constructor(
    private readonly script: LoadedScript,
    keys: readonly string[],
    args: readonly CommandArg[],
  ) {
    super('evalsha', [script.sha, keys.length, ...keys], args);
  }

  override toWritable(socket: Socket): Buffer {
    const { script } = this;
    const reject = this.reject;
    this.reject = (err: Error) => {
      if (err.message.includes('NOSCRIPT')) script.loadedOn.delete(socket);
      reject.call(this, err);
    };
    if (script.loadedOn.has(socket)) {
      this.name = 'evalsha';
      this.args[0] = script.sha;
    } else {
      script.loadedOn.add(socket);
      this.name = 'eval';
      this.args[0] = script.lua;
    }
    return super.toWritable(socket);
  }
}

/**
 * Runs script `name` on `client` with `keys` and `args`; resolves with its reply. For the batch
 * calls of the request path; other calls use the commands scripts/index.ts registers on the client.
 */
export function runScript<R>(client: ValkeyClient, name: ScriptName, keys: readonly string[], args: readonly CommandArg[]): Promise<R> {
  const declared = SCRIPTS[name].keys;
  if (declared !== undefined && declared !== keys.length) throw new Error(`script ${name} takes ${declared} keys, given ${keys.length}`);
  const script = loadedScript(name);
  const send = (): Promise<R> => {
    const command = new ScriptCommand(script, keys, args);
    void client.sendCommand(command);
    return command.promise as Promise<R>;
  };
  return send().catch((err: unknown) => {
    if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
    return send();
  });
}
