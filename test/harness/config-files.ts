/** A temporary directory of JSON config files for the processes a test spawns, removed when the test process exits. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ConfigFiles {
  readonly dir: string;
  /** Writes `value` as `<name>.json` and returns its path. */
  write(name: string, value: unknown): string;
}

export function configFiles(prefix: string): ConfigFiles {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, value) {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(value, null, 2));
      return file;
    },
  };
}
