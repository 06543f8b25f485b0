/**
 * Hands ioredis' reply parser (redis-parser) whole replies on a reader connection.
 *
 * redis-parser joins a reply that arrives in several socket reads into a buffer pool of its own,
 * shared by the process, which grows with each join (three times the bulk string plus what the last
 * pool had handed out) and is only ever written forward: every byte it joins lands on a page the
 * process has never touched, so each 4 KiB of a streamed body's 256 KiB chunk costs a page fault,
 * and a pool of several MB stays resident while any chunk sliced from it is alive.
 *
 * A ReplyJoiner sits between the socket and the parser. It follows the RESP framing (headers only;
 * a bulk string's bytes are skipped by length) and passes on runs of complete replies as the
 * socket read them, without copying; a reply that spans reads is joined once, into a buffer of its
 * exact size, and passed on alone. The parser then always finishes what it is given and slices
 * every value out of it. Exact-size buffers are ordinary allocations that the allocator reuses.
 *
 * Only RESP2 is understood. Anything else (a type byte it does not know) makes the joiner pass
 * everything through from then on, as if it were not there.
 */
import type { Redis } from 'ioredis';
import type { Socket } from 'node:net';

const LF = 10;

export class ReplyJoiner {
  /** Pieces of the reply in progress that earlier reads brought, oldest first. */
  private pieces: Buffer[] = [];
  private piecesBytes = 0;
  /** Bytes of the current bulk string (with its CRLF) not read yet. */
  private skip = 0;
  /** Elements still expected by each open array, innermost last. */
  private readonly open: number[] = [];
  /** True from a reply's first byte to its last. */
  private inReply = false;
  /** The start of a header line that a read ended in the middle of. */
  private partialLine: Buffer | undefined;
  /** Set on anything this joiner does not understand: from then on it passes reads through. */
  private passThrough = false;

  constructor(private readonly deliver: (bytes: Buffer) => void) {}

  push(buf: Buffer): void {
    if (this.passThrough) return this.deliver(buf);
    const n = buf.length;
    /** Where the bytes of `buf` not yet passed on start. */
    let runStart = 0;
    /** Where the reply in progress started in `buf` (never before runStart); -1 when it started in an earlier read. */
    let replyStart = this.inReply ? -1 : 0;
    let at = 0;
    while (at < n) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, n - at);
        at += take;
        this.skip -= take;
        if (this.skip > 0 || !this.elementDone()) continue;
      } else {
        if (!this.inReply) {
          this.inReply = true;
          replyStart = at;
        }
        const lf = buf.indexOf(LF, at);
        if (lf < 0) {
          this.partialLine = this.partialLine === undefined ? buf.subarray(at) : Buffer.concat([this.partialLine, buf.subarray(at)]);
          at = n;
          break;
        }
        let done: boolean | undefined;
        if (this.partialLine !== undefined) {
          const line = Buffer.concat([this.partialLine, buf.subarray(at, lf + 1)]);
          this.partialLine = undefined;
          done = this.header(line, 0, line.length);
        } else {
          done = this.header(buf, at, lf + 1);
        }
        at = lf + 1;
        if (done === undefined) {
          // Not RESP2 as this joiner knows it: hand over what is held and step aside.
          this.passThrough = true;
          this.flushHeld(buf, runStart, replyStart);
          this.deliver(replyStart >= 0 ? buf.subarray(replyStart) : buf);
          return;
        }
        if (!done || !this.elementDone()) continue;
      }
      // A reply ended at `at`.
      this.inReply = false;
      if (replyStart < 0) {
        this.pieces.push(buf.subarray(0, at));
        this.piecesBytes += at;
        this.deliver(this.joinPieces());
        runStart = at;
      }
      replyStart = at;
    }
    if (!this.inReply) {
      if (runStart < n) this.deliver(runStart === 0 ? buf : buf.subarray(runStart));
      return;
    }
    if (replyStart >= 0) {
      // Complete replies before the one in progress go on now; the rest waits for the next read.
      if (replyStart > runStart) this.deliver(buf.subarray(runStart, replyStart));
      this.pieces.push(replyStart === 0 ? buf : buf.subarray(replyStart));
      this.piecesBytes += n - replyStart;
    } else {
      this.pieces.push(buf);
      this.piecesBytes += n;
    }
  }

  /**
   * Reads one header line, `bytes[start, end)` (type byte, value, CRLF): true when the element it
   * opens is already whole (a simple string, an error, an integer, a null, an empty array), false
   * when bytes or elements follow, undefined for a type this joiner does not know.
   */
  private header(bytes: Buffer, start: number, end: number): boolean | undefined {
    switch (bytes[start]) {
      case 0x2b: // '+'
      case 0x2d: // '-'
      case 0x3a: // ':'
        return true;
      case 0x24: {
        // '$'
        const length = integerOf(bytes, start, end);
        if (length < 0) return true;
        this.skip = length + 2;
        return false;
      }
      case 0x2a: {
        // '*'
        const count = integerOf(bytes, start, end);
        if (count <= 0) return true;
        this.open.push(count);
        return false;
      }
      default:
        return undefined;
    }
  }

  /** Counts one element done in its array (and arrays that it completes): true when the reply is whole. */
  private elementDone(): boolean {
    const open = this.open;
    while (open.length > 0) {
      const last = open.length - 1;
      const left = (open[last] as number) - 1;
      if (left > 0) {
        open[last] = left;
        return false;
      }
      open.pop();
    }
    return true;
  }

  private joinPieces(): Buffer {
    const whole = this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces, this.piecesBytes);
    this.pieces = [];
    this.piecesBytes = 0;
    return whole;
  }

  /** On stepping aside: passes on what was held, in order, before the read that made it step aside. */
  private flushHeld(buf: Buffer, runStart: number, replyStart: number): void {
    this.partialLine = undefined;
    if (replyStart >= 0 && replyStart > runStart) this.deliver(buf.subarray(runStart, replyStart));
    if (this.pieces.length > 0) this.deliver(this.joinPieces());
  }
}

/** The integer of a `$` or `*` header line `bytes[start, end)`: between the type byte and the CRLF. */
function integerOf(bytes: Buffer, start: number, end: number): number {
  let i = start + 1;
  let negative = false;
  if (bytes[i] === 0x2d) {
    negative = true;
    i++;
  }
  let value = 0;
  for (const last = end - 2; i < last; i++) value = value * 10 + ((bytes[i] as number) - 0x30);
  return negative ? -value : value;
}

/**
 * Puts a ReplyJoiner in front of `client`'s reply parser on each connection it makes. When a
 * socket connects, ioredis makes its parser the socket's one `data` listener and emits `connect`
 * on the next tick: before any reply can arrive. A connection with any other number of `data`
 * listeners then is left as it is.
 */
export function joinWholeReplies(client: Redis): void {
  client.on('connect', () => {
    const stream = (client as unknown as { stream?: Socket }).stream;
    const listeners = stream?.listeners('data');
    if (stream === undefined || listeners?.length !== 1) return;
    const parse = listeners[0] as (data: Buffer) => void;
    const joiner = new ReplyJoiner(parse);
    stream.removeListener('data', parse);
    stream.prependListener('data', (data: Buffer) => joiner.push(data));
  });
}
