/**
 * bench/lib/cpu-profile-summary.ts on a real profile: a Node process that spends most of its
 * time in one named function, and a moment sleeping, profiled with --cpu-prof.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profilePid, summarizeCpuProfile } from '../../bench/lib/cpu-profile-summary.js';

const test = suite('cpu profile summary');
const dir = mkdtempSync(join(tmpdir(), 'sy-cpu-profile-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('the busy function leads its profile, idle time is left out, and the file names its pid', () => {
  const script = join(dir, 'busy.mjs');
  writeFileSync(
    script,
    [
      'function spinForAWhile(ms) { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1); return x; }',
      'spinForAWhile(400);',
      'setTimeout(() => { spinForAWhile(200); console.log(process.pid); }, 300);',
    ].join('\n'),
  );
  const pid = Number(execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, script], { encoding: 'utf8' }).trim());
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  assert.ok(file !== undefined, 'node wrote a profile');
  assert.is(profilePid(file), pid, 'the pid in the file name is the process that wrote it');

  const summary = summarizeCpuProfile(join(dir, file), 5);
  const first = summary.functions[0];
  assert.ok(first !== undefined && first.name.startsWith('spinForAWhile busy.mjs:1'), `the spinning function comes first: ${JSON.stringify(summary.functions)}`);
  assert.ok(first.percent > 50, `it holds most of the busy time: ${first.percent}%`);
  // 600 ms spinning, 300 ms asleep: the sleep is not busy time.
  assert.ok(summary.busyMs >= 500 && summary.busyMs < 850, `busy time ${summary.busyMs} ms`);
  assert.is(summary.groups[0]?.name, 'busy.mjs', 'the script is the largest group');
  assert.ok(summary.functions.every((f) => !f.name.startsWith('(idle)')), 'no idle entry');
  const total = summary.groups.reduce((sum, g) => sum + g.percent, 0);
  assert.ok(total <= 100.5, `shares add up to at most 100 %: ${total}`);
});

test('a file name that is not a --cpu-prof one has no pid', () => {
  assert.is(profilePid('notes.txt'), undefined);
  assert.is(profilePid('CPU.20261206.144935.1267.0.001.cpuprofile'), 1267);
});

test.run();
