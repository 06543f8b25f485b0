/**
 * Preloaded into a measured process by `bench:http -- --wakeups` (node --import): counts the
 * asynchronous resources it makes, by kind (async_hooks init), and on SIGUSR2 writes the counts
 * so far to `$SWITCHYARD_WAKEUPS_DIR/wakeups-<pid>.json`. Each setImmediate, timer and
 * process.nextTick is a hop between reading a socket and writing the next one; each promise is
 * an allocation and a microtask. The hook itself costs CPU, so this mode reports counts, not CPU.
 */
import { createHook } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KINDS = { Immediate: 'immediates', Timeout: 'timers', TickObject: 'nextTicks', PROMISE: 'promises' };
const counts = { immediates: 0, timers: 0, nextTicks: 0, promises: 0 };

createHook({
  init(_id, type) {
    const kind = KINDS[type];
    if (kind !== undefined) counts[kind]++;
  },
}).enable();

const dir = process.env.SWITCHYARD_WAKEUPS_DIR;
if (dir !== undefined) {
  process.on('SIGUSR2', () => writeFileSync(join(dir, `wakeups-${process.pid}.json`), JSON.stringify(counts)));
}
