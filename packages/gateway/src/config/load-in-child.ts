/**
 * Loads and validates the gateway config (load.ts) in a short-lived child process and returns the
 * result. What validation needs — zod, the config schemas, the YAML parser, about 5 MB of heap —
 * lives and dies with the child instead of staying in the gateway's heap for its whole life. A
 * smaller live heap makes each full garbage collection shorter and leaves more room before the
 * next, which is what a gateway streaming large bodies pays for most (docs/performance.md).
 * Errors come back as the same error classes, with the same messages.
 *
 * A child process rather than a worker thread: it starts the way this process did (the same
 * Node options and module loaders, from built JavaScript or from TypeScript sources), where a
 * worker refuses V8 flags and does not inherit every loader.
 */
import { fork } from 'node:child_process';
import { deepFreeze } from '@switchyard/core/internal';
import { GatewayConfigError, GatewayConfigFileError } from '../errors.js';
import type { GatewayConfig } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What the child is sent: the file to load (none: the config is `{}` plus `env`). */
export interface ConfigChildInput {
  readonly file: string | undefined;
  readonly env: Env;
  /** The gateway's process, which the default `node.id` names. */
  readonly processId: number;
}

/** What the child answers. */
export type ConfigChildOutput = { readonly ok: true; readonly config: GatewayConfig } | { readonly ok: false; readonly error: ConfigChildError };

export type ConfigChildError =
  | { readonly kind: 'config'; readonly problems: readonly string[]; readonly source: string }
  | { readonly kind: 'file'; readonly file: string; readonly detail: string }
  | { readonly kind: 'other'; readonly message: string };

/** Profiling flags: the child would write a profile of its own beside this process's. */
const PROFILING = /^--(cpu-prof|heap-prof|heapsnapshot-signal|prof\b)/;

/** `loadGatewayConfig(file, env)`, or `parseGatewayConfig({}, env)` without a file, in a child process. */
export function loadGatewayConfigInChild(file: string | undefined, env: Env): Promise<Readonly<GatewayConfig>> {
  // Run from TypeScript sources (tsx) the child's entry is the .ts file beside this one.
  const entry = new URL(import.meta.url.endsWith('.ts') ? './load-child.ts' : './load-child.js', import.meta.url);
  const input: ConfigChildInput = { file, env: { ...env }, processId: process.pid };
  return new Promise((resolve, reject) => {
    const child = fork(entry, [], {
      execArgv: process.execArgv.filter((a) => !PROFILING.test(a)),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let answered = false;
    child.once('message', (out: ConfigChildOutput) => {
      answered = true;
      if (out.ok) resolve(deepFreeze(out.config));
      else reject(errorOf(out.error));
    });
    child.once('error', (err) => {
      answered = true;
      reject(new Error(`the config loader's child process failed: ${err.message}`, { cause: err }));
    });
    child.once('exit', (code, signal) => {
      if (!answered) reject(new Error(`the config loader's child process exited (${signal ?? `code ${code}`}) before answering`));
    });
    child.send(input);
  });
}

function errorOf(error: ConfigChildError): Error {
  switch (error.kind) {
    case 'config':
      return new GatewayConfigError(error.problems, error.source);
    case 'file':
      return new GatewayConfigFileError(error.file, error.detail);
    case 'other':
      return new Error(error.message);
  }
}
