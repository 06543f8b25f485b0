// The README's example must run as written: it is extracted and run in a child process.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot, spawnTs } from '../../../test/harness/process.js';

const readme = suite('core README');

readme('the Queue example section runs and prints what its comment says', async () => {
  const text = readFileSync(join(repoRoot, 'packages/core/README.md'), 'utf8');
  const section = text.slice(text.indexOf('### Queue example'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, 'the Queue example section has a ts block');
  const dir = join(repoRoot, '.tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `core-readme-${randomUUID()}.ts`);
  writeFileSync(file, code!);
  try {
    const child = spawnTs(file);
    const exit = await child.exited;
    assert.is(exit, 0, child.output());
    assert.match(child.output(), /\[ 'o-1 \(attempt 1\)' \] \{ depth: 0, inFlight: 0, delayed: 0, deadLetters: 0 \}/);
  } finally {
    rmSync(file, { force: true });
  }
});

readme.run();
