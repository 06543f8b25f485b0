/**
 * Where memory queues live. Backends created with the same namespace in one process share one
 * store, so a gateway and a service in one process (the zero-setup demo) share queues; a backend
 * without a namespace gets a private store.
 */
import type { BackendQueueSpec } from '@switchyard/core';
import { MemoryQueueState, type DeadLetterList } from './queue-state.js';
import { RunOnceRecords } from './memory-run-once-store.js';

export class MemoryStore {
  private readonly queues = new Map<string, MemoryQueueState>();
  private readonly deadLetterLists = new Map<string, DeadLetterList>();
  /** The run-once records of every backend on this store. */
  readonly runOnce = new RunOnceRecords();

  /** The state of queue `spec.name`, created on first open. A later open with other options updates them (last open wins). */
  open(spec: BackendQueueSpec): MemoryQueueState {
    const deadLetters = this.deadLetterList(spec.deadLetterName);
    let state = this.queues.get(spec.name);
    if (state === undefined) {
      state = new MemoryQueueState(spec.name, spec, deadLetters);
      this.queues.set(spec.name, state);
    } else {
      state.spec = spec;
      state.deadLetters = deadLetters;
    }
    return state;
  }

  private deadLetterList(name: string): DeadLetterList {
    let list = this.deadLetterLists.get(name);
    if (list === undefined) {
      list = new Map();
      this.deadLetterLists.set(name, list);
    }
    return list;
  }
}

const namespaces = new Map<string, MemoryStore>();

/** The shared store of `namespace`, or a new private store when none is given. */
export function storeFor(namespace: string | undefined): MemoryStore {
  if (namespace === undefined) return new MemoryStore();
  let store = namespaces.get(namespace);
  if (store === undefined) {
    store = new MemoryStore();
    namespaces.set(namespace, store);
  }
  return store;
}
