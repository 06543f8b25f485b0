/** Framing of the reference TCP pair: u32 big-endian length, then JSON. */
export function frame(value) {
  const json = JSON.stringify(value);
  const length = Buffer.byteLength(json);
  const out = Buffer.allocUnsafe(4 + length);
  out.writeUInt32BE(length, 0);
  out.write(json, 4);
  return out;
}

/** Calls `onFrame` with each JSON value read from `socket`. */
export function readFrames(socket, onFrame) {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    while (pending.length - at >= 4) {
      const length = pending.readUInt32BE(at);
      if (pending.length - at - 4 < length) break;
      onFrame(JSON.parse(pending.toString('utf8', at + 4, at + 4 + length)));
      at += 4 + length;
    }
    pending = pending.subarray(at);
  });
}
