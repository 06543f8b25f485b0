/** Types of framing.mjs, for the TypeScript benches that speak the reference TCP pair's framing. */
import type { Socket } from 'node:net';

/** `value` as a frame: u32 big-endian length, then its JSON. */
export function frame(value: unknown): Buffer;

/** Calls `onFrame` with each JSON value read from `socket`. */
export function readFrames(socket: Socket, onFrame: (value: unknown) => void): void;
