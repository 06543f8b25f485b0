// The README's example must run as written.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot, spawnTs } from '../../../test/harness/process.js';

const readme = suite('transport-memory README');

readme('the Example section runs and prints the leased message', async () => {
  const text = readFileSync(join(repoRoot, 'packages/transport-memory/README.md'), 'utf8');
  const code = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(text)?.[1];
  assert.ok(code, 'the Example section has a ts block');
  mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
  const file = join(repoRoot, '.tmp', `memory-readme-${randomUUID()}.ts`);
  writeFileSync(file, code!);
  try {
    const child = spawnTs(file);
    assert.is(await child.exited, 0, child.output());
    assert.match(child.output(), /\{ n: 1 \}/);
  } finally {
    rmSync(file, { force: true });
  }
});

readme.run();
