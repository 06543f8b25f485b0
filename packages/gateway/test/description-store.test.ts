/**
 * The gateway's description store (docs/protocol.md §9): one fetch per hash however many
 * instances announce it, a failed fetch retried no sooner than 2 s later, and a description that
 * answered for another announced hash (competing Messaging consumers) kept under its own hash.
 * The transport is a scripted GatewayTransport; time is a ManualClock.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ManualClock,
  TransportType,
  computeDescriptionHash,
  newFrameId,
  silentLogger,
  type DispatchTarget,
  type GatewayTransport,
  type HelloFrame,
  type ResponsePayload,
  type ServiceDescription,
} from '@switchyard/core';
import { DescriptionStore } from '../src/openapi/description-store.js';

const describe = (summary: string): ServiceDescription => ({ service: 'shop', version: '1.0.0', operations: [{ method: 'GET', path: '/x', summary }] });

class ScriptedTransport implements GatewayTransport {
  readonly type = TransportType.Tcp;
  readonly asked: Array<{ instanceId: string; query: string }> = [];
  /** instanceId → what it answers (a description, or a status to fail with). */
  readonly answers = new Map<string, ServiceDescription | number>();
  private readonly waiting: Array<() => void> = [];
  held = false;

  async start(): Promise<void> {}
  async resync(): Promise<void> {}
  isReady(): boolean {
    return true;
  }
  async stop(): Promise<void> {}
  async dispatch(target: DispatchTarget, request: { query: string }): Promise<ResponsePayload> {
    this.asked.push({ instanceId: target.instanceId, query: request.query });
    if (this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
    const answer = this.answers.get(target.instanceId);
    if (typeof answer === 'number' || answer === undefined) return { status: answer ?? 404, headers: {}, body: new Uint8Array(0), instanceId: target.instanceId };
    return { status: 200, headers: {}, body: new TextEncoder().encode(JSON.stringify(answer)), instanceId: target.instanceId };
  }
  release(): void {
    this.held = false;
    for (const w of this.waiting.splice(0)) w();
  }
}

function hello(instanceId: string, descriptionHash: string): HelloFrame {
  return {
    v: 1,
    type: 'HELLO',
    id: newFrameId(),
    sentAt: 0,
    payload: { instance: { service: 'shop', version: '1.0.0', region: 'r', instanceId, address: 'a' }, endpoints: [], endpointsHash: 'e', descriptionHash },
  };
}

function make(): { store: DescriptionStore; t: ScriptedTransport; clock: ManualClock; outcomes: string[] } {
  const clock = new ManualClock(1_000);
  const t = new ScriptedTransport();
  const outcomes: string[] = [];
  const store = new DescriptionStore({ clock, logger: silentLogger, transports: () => new Map([[TransportType.Tcp, t]]), fetched: (o) => outcomes.push(o) });
  return { store, t, clock, outcomes };
}

const link = (id: string) => ({ transport: TransportType.Tcp, address: id });
const test = suite('description store');

test('instances announcing one hash cost one fetch, also while it is still running', async () => {
  const { store, t, outcomes } = make();
  const d = describe('one');
  const hash = computeDescriptionHash(d);
  for (const id of ['a', 'b', 'c']) t.answers.set(id, d);
  t.held = true;
  store.announced(hello('a', hash), link('a'));
  store.announced(hello('b', hash), link('b'));
  const pending = store.ensure('b');
  assert.is(t.asked.length, 1, 'b waits for the fetch a started');
  t.release();
  await pending;
  assert.equal(t.asked, [{ instanceId: 'a', query: `hash=${hash}` }]);
  assert.equal(outcomes, ['ok']);
  assert.equal(store.descriptionOf('a'), d);
  assert.equal(store.descriptionOf('b'), d);
  store.announced(hello('c', hash), link('c'));
  await store.ensure('c');
  assert.is(t.asked.length, 1, 'a later instance with a known hash is not fetched');
  assert.equal(store.descriptionOf('c'), d);
});

test('a failed fetch is retried, but not within 2 s', async () => {
  const { store, t, clock, outcomes } = make();
  const d = describe('two');
  const hash = computeDescriptionHash(d);
  t.answers.set('a', 503);
  store.announced(hello('a', hash), link('a'));
  await store.ensure('a');
  assert.equal(outcomes, ['failed']);
  t.answers.set('a', d);
  await store.ensure('a');
  assert.is(t.asked.length, 1, 'no retry within 2 s');
  clock.advance(2_000);
  await store.ensure('a');
  assert.equal(outcomes, ['failed', 'ok']);
  assert.equal(store.descriptionOf('a'), d);
});

test("another instance's answer is kept under its own hash, never under the hash that was asked for", async () => {
  const { store, t, clock, outcomes } = make();
  const mine = describe('mine');
  const theirs = describe('theirs');
  t.held = true;
  store.announced(hello('a', computeDescriptionHash(mine)), link('a'));
  store.announced(hello('b', computeDescriptionHash(theirs)), link('b'));
  // Both fetches were answered by b (what a competing queue may do).
  t.answers.set('a', theirs);
  t.answers.set('b', theirs);
  t.release();
  await store.ensure('a');
  await store.ensure('b');
  assert.equal(store.descriptionOf('b'), theirs);
  assert.is(store.descriptionOf('a'), undefined);
  assert.ok(outcomes.includes('invalid'));
  t.answers.set('a', mine);
  clock.advance(2_000);
  await store.ensure('a');
  assert.equal(store.descriptionOf('a'), mine);
});

test('departed instances and the descriptions only they announced are forgotten', async () => {
  const { store, t } = make();
  const d = describe('gone');
  t.answers.set('a', d);
  store.announced(hello('a', computeDescriptionHash(d)), link('a'));
  await store.ensure('a');
  const before = store.generation;
  store.prune(new Set());
  assert.is(store.hashOf('a'), undefined);
  assert.is(store.byDescriptionHash(computeDescriptionHash(d)), undefined);
  assert.ok(store.generation > before, 'documents built before are out of date');
});

test.run();
