/** Reading what fixtures/run-recording-service.ts prints: a `ran <id> instance=<instanceId>` line per handler start. */
import type { TsProcess } from '../harness/process.js';

/** Request ids the instance started to run, in order. */
export function ranIds(p: TsProcess): string[] {
  return [...p.output().matchAll(/^ran (\S+) instance=/gm)].map((m) => m[1] as string);
}
