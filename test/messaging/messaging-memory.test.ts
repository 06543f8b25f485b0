/** The Messaging router transport over the memory backend (ManualClock where time matters). */
import { createQueueFactoryFromConfig } from '@switchyard/core';
import { registerMessagingScenarios } from './scenarios.js';

registerMessagingScenarios({
  backend: 'memory',
  manualTime: true,
  factory: (space, clock) => createQueueFactoryFromConfig('memory', { namespace: space }, { clock }),
});
