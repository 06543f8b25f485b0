/**
 * The single registry of Lua scripts: name, key count, typed signature. Each script is
 * one atomic operation in its own .lua file beside this one, loaded at runtime relative to this
 * module (`npm run build` copies them into dist/scripts; a dist compiled by `tsc -b` alone falls
 * back to the shipped src/scripts), with `-- @include <lib>`
 * lines replaced by the named fragment. Registered on a client with ioredis `defineCommand`
 * (EVALSHA, falling back to EVAL).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClientContext, Result } from 'ioredis';

type Arg = string | Buffer | number;

/** Script names → file and number of KEYS (undefined: the caller passes numkeys first). */
export const SCRIPTS = Object.freeze({
  syEnqueue: { file: 'enqueue.lua', keys: undefined },
  syFencedAck: { file: 'fenced-ack.lua', keys: 5 },
  syFencedRelease: { file: 'fenced-release.lua', keys: 3 },
  syFencedRenew: { file: 'fenced-renew.lua', keys: 3 },
  syFencedDeadLetter: { file: 'fenced-dead-letter.lua', keys: 6 },
  syReclaim: { file: 'reclaim.lua', keys: 3 },
  syAdjustLeases: { file: 'adjust-leases.lua', keys: 2 },
  syParkScheduled: { file: 'park-scheduled.lua', keys: 3 },
  syReplayDeadLetters: { file: 'replay-dead-letters.lua', keys: 2 },
  syPurgeDeadLetters: { file: 'purge-dead-letters.lua', keys: 1 },
  syStats: { file: 'stats.lua', keys: 6 },
  syActivity: { file: 'activity.lua', keys: 4 },
  sySweepStale: { file: 'sweep-stale.lua', keys: 3 },
  syRecoverOwn: { file: 'recover-own.lua', keys: 3 },
  syDeleteConsumers: { file: 'delete-consumers.lua', keys: 3 },
  syBeat: { file: 'beat.lua', keys: 1 },
  sySilent: { file: 'silent.lua', keys: 1 },
  syTrimDeadLetters: { file: 'trim-dead-letters.lua', keys: 2 },
  syRateLimitGcra: { file: 'rate-limit-gcra.lua', keys: 1 },
  syRunOnceClaim: { file: 'run-once-claim.lua', keys: 1 },
  syRunOnceRenew: { file: 'run-once-renew.lua', keys: 1 },
  syRunOnceAnswer: { file: 'run-once-answer.lua', keys: 1 },
  syRunOnceAbandon: { file: 'run-once-abandon.lua', keys: 1 },
} as const);

export type ScriptName = keyof typeof SCRIPTS;

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    /** enqueue.lua: numkeys, keys..., args... → ids */
    syEnqueue(numKeys: number, ...args: Arg[]): Result<string[], Context>;
    /** fenced-ack.lua → 1 | -1 per id */
    syFencedAck(...args: Arg[]): Result<number[], Context>;
    /** fenced-release.lua → due ms | -1 */
    syFencedRelease(...args: Arg[]): Result<number, Context>;
    /** fenced-renew.lua → expiry ms | -1 */
    syFencedRenew(...args: Arg[]): Result<number, Context>;
    /** fenced-dead-letter.lua → dead-letter id | -1 */
    syFencedDeadLetter(...args: Arg[]): Result<string | number, Context>;
    /** reclaim.lua with Buffer replies → [cursor, [[id, fields, count]...], dangling] */
    syReclaimBuffer(...args: Arg[]): Result<[Buffer, Array<[Buffer, Buffer[], number]>, number], Context>;
    syReclaim(...args: Arg[]): Result<[string, Array<[string, string[], number]>, number], Context>;
    /** adjust-leases.lua → count */
    syAdjustLeases(...args: Arg[]): Result<number, Context>;
    /** park-scheduled.lua → count */
    syParkScheduled(...args: Arg[]): Result<number, Context>;
    /** replay-dead-letters.lua → count */
    syReplayDeadLetters(...args: Arg[]): Result<number, Context>;
    /** purge-dead-letters.lua → count */
    syPurgeDeadLetters(...args: Arg[]): Result<number, Context>;
    /** sweep-stale.lua → [groups destroyed, consumers deleted] */
    sySweepStale(...args: Arg[]): Result<[number, number], Context>;
    /** recover-own.lua with Buffer replies → [[id, fields, count]...] */
    syRecoverOwnBuffer(...args: Arg[]): Result<Array<[Buffer, Buffer[], number]>, Context>;
    /** delete-consumers.lua → groups destroyed + consumers deleted */
    syDeleteConsumers(...args: Arg[]): Result<number, Context>;
    /** beat.lua → server time ms */
    syBeat(...args: Arg[]): Result<number, Context>;
    /** silent.lua → [owner, silent ms, ...] */
    sySilent(...args: Arg[]): Result<Array<string | number>, Context>;
    /** stats.lua → [depth, inFlight, delayed, deadLetters] */
    syStats(...args: Arg[]): Result<[number, number, number, number], Context>;
    /** activity.lua → [consumers, oldest waiting age ms | -1, redelivered, 1 when redelivered is a lower bound] */
    syActivity(...args: Arg[]): Result<[number, number, number, number], Context>;
    /** trim-dead-letters.lua → [dropped now, dropped in total] */
    syTrimDeadLetters(...args: Arg[]): Result<[number, number], Context>;
    /** rate-limit-gcra.lua → 0 allowed | ms until allowed */
    syRateLimitGcra(...args: Arg[]): Result<number, Context>;
    /** run-once-claim.lua with Buffer replies → [1] claimed | [2] held | [3, response] answered */
    syRunOnceClaimBuffer(...args: Arg[]): Result<[number] | [number, Buffer], Context>;
    /** run-once-renew.lua → 1 | 0 */
    syRunOnceRenew(...args: Arg[]): Result<number, Context>;
    /** run-once-answer.lua → 1 | 0 */
    syRunOnceAnswer(...args: Arg[]): Result<number, Context>;
    /** run-once-abandon.lua → 1 | 0 */
    syRunOnceAbandon(...args: Arg[]): Result<number, Context>;
  }
}

const cache = new Map<string, string>();

function readScriptFile(file: string): string {
  const here = new URL(`./${file}`, import.meta.url);
  const fromSrc = new URL(`../../src/scripts/${file}`, import.meta.url);
  const path = existsSync(here) ? fileURLToPath(here) : fileURLToPath(fromSrc);
  return readFileSync(path, 'utf8');
}

/** The script's source with its `-- @include <lib>` lines expanded. */
export function scriptSource(name: ScriptName): string {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const source = readScriptFile(SCRIPTS[name].file).replace(/^-- @include (\S+)\s*$/gm, (_, lib: string) => readScriptFile(`${lib}.lua`));
  cache.set(name, source);
  return source;
}

/** Anything with ioredis' defineCommand (Redis or Cluster). */
export interface ScriptHost {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

/** Registers every script on `client`. */
export function defineScripts(client: ScriptHost): void {
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
    const keys = SCRIPTS[name].keys;
    client.defineCommand(name, keys === undefined ? { lua: scriptSource(name) } : { lua: scriptSource(name), numberOfKeys: keys });
  }
}
