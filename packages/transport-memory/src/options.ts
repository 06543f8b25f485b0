/** Validation of the `memory:` config section a plugin receives. Unknown keys are rejected by name. */
import { InvalidQueueOptionsError } from '@switchyard/core';
import { OptionProblems } from '@switchyard/core/internal';
import type { MemoryBackendOptions } from './memory-backend.js';

/** Validates the `memory:` config section; throws SY_QUEUE_INVALID_OPTIONS naming every unknown or bad key. */
export function resolveMemoryBackendOptions(input: Readonly<Record<string, unknown>>): MemoryBackendOptions {
  const problems = new OptionProblems('memory');
  checkMemoryBackendOptions(input, problems);
  if (!problems.isEmpty) throw new InvalidQueueOptionsError('(memory backend)', problems.messages());
  return input.namespace === undefined ? {} : { namespace: input.namespace as string };
}

/** Adds every problem of the `memory:` section to `problems`. */
export function checkMemoryBackendOptions(input: unknown, problems: OptionProblems): void {
  if (!problems.object('', input, 'an object of options')) return;
  const o = input as Record<string, unknown>;
  problems.unknownKeys(o, ['namespace'], '', { noun: 'an option of the memory backend' });
  if (o.namespace !== undefined) problems.nonEmptyString('namespace', o.namespace);
}
