// The queue conformance kit against the memory backend; time comes from a ManualClock, so lease
// expiry, renewal and backoff behaviours take milliseconds.
import { ManualClock } from '@switchyard/core';
import { runQueueConformance } from '@switchyard/core/conformance';
import { createMemoryQueueFactory } from '../src/index.js';

const clock = new ManualClock();
await runQueueConformance({ name: 'memory', clock, createFactory: () => createMemoryQueueFactory({ clock }) });
