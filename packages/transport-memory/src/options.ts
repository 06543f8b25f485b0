/** Validation of the `memory:` config section a plugin receives. Unknown keys are rejected by name. */
import { InvalidQueueOptionsError } from '@switchyard/core';
import type { MemoryBackendOptions } from './memory-backend.js';

/** Validates the `memory:` config section; throws SY_QUEUE_INVALID_OPTIONS naming every unknown or bad key. */
export function resolveMemoryBackendOptions(input: Readonly<Record<string, unknown>>): MemoryBackendOptions {
  const problems: string[] = [];
  if (typeof input !== 'object' || input === null) {
    throw new InvalidQueueOptionsError('(memory backend)', [`options must be an object (got ${input === null ? 'null' : typeof input})`]);
  }
  for (const key of Object.keys(input)) {
    if (key !== 'namespace') problems.push(`memory.${key} is not an option of the memory backend (known: namespace)`);
  }
  const namespace = input.namespace;
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace.length === 0)) {
    problems.push(`memory.namespace must be a non-empty string (got ${typeof namespace === 'string' ? '""' : typeof namespace})`);
  }
  if (problems.length > 0) throw new InvalidQueueOptionsError('(memory backend)', problems);
  return namespace === undefined ? {} : { namespace: namespace as string };
}
