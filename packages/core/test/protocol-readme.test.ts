/** Runs the README's example (README examples must run), extracted from the README itself. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const here = new URL('.', import.meta.url).pathname;
const readme = readFileSync(join(here, '../README.md'), 'utf8');

const example = suite('core README example');

example('the README example runs and its assertions hold', async () => {
  const block = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'the README has a ts block under "## Example"');
  // Inside the repository, so '@switchyard/core' resolves to the workspace package.
  const dir = join(here, '../../../.tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `core-readme-${randomUUID()}.ts`);
  writeFileSync(file, block as string);
  try {
    await import(pathToFileURL(file).href);
  } finally {
    rmSync(file, { force: true });
  }
});

example.run();
