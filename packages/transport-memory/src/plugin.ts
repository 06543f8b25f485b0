/** The memory backend as a plugin, so config can say `backend: memory`. */
import type { QueueBackendPlugin } from '@switchyard/core';
import { OptionProblems } from '@switchyard/core/internal';
import { createMemoryBackend } from './memory-backend.js';
import { checkMemoryBackendOptions, resolveMemoryBackendOptions } from './options.js';

/** The memory backend plugin: name `memory`, for @switchyard/core ^0.1.0; accepts only `namespace`. */
export const plugin: QueueBackendPlugin = Object.freeze<QueueBackendPlugin>({
  name: 'memory',
  coreVersion: '^0.1.0',
  createBackend: (options, deps) => createMemoryBackend(resolveMemoryBackendOptions(options), { clock: deps.clock }),
  checkOptions: (options) => {
    const problems = new OptionProblems();
    checkMemoryBackendOptions(options, problems);
    return problems.list;
  },
});
