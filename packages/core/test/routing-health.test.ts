import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RoutingState } from '../src/routing/routing-state.js';
import { TransportType } from '../src/transport/types.js';
import { ManualClock } from '../src/clock.js';
import { ep, goodbye, heartbeat, hello, link, register, setup } from './routing-fixtures.js';

const control = suite('RoutingState control frames');

control('HELLO registers an instance with its endpoints and it becomes routable', () => {
  const { clock, state } = setup();
  const outcome = state.applyControl(hello(clock, { id: 'a' }), link);
  assert.equal(outcome, { kind: 'registered', instanceId: 'a', replaced: false, endpointsChanged: true });
  const view = state.instance('a');
  assert.is(view?.health, 'healthy');
  assert.equal(view?.link, link);
  assert.is(state.route('GET', '/items/7').kind, 'dispatch');
});

control('a second HELLO from the same instance with the same endpoints replaces it; after GOODBYE it may change them', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a' });
  assert.equal(state.applyControl(hello(clock, { id: 'a' }), link), { kind: 'registered', instanceId: 'a', replaced: true, endpointsChanged: false });
  state.applyControl(goodbye(clock, 'a'), link);
  const changed = state.applyControl(hello(clock, { id: 'a', endpoints: [ep('GET', '/other')] }), link);
  assert.equal(changed, { kind: 'registered', instanceId: 'a', replaced: false, endpointsChanged: true });
  assert.is(state.match('GET', '/items/7').kind, 'not-found');
  assert.is(state.match('GET', '/other').kind, 'found');
});

control('a HEARTBEAT updates status and reported in-flight', () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  const outcome = state.applyControl(heartbeat(clock, a!, 1, 'degraded', { inFlight: 4 }), link);
  assert.equal(outcome, { kind: 'updated', instanceId: 'a', from: 'healthy', to: 'degraded' });
  assert.is(state.instance('a')?.reportedInFlight, 4);
  assert.is(state.instance('a')?.lastSeq, 1);
});

control('a HEARTBEAT whose seq is not newer than the last one is ignored and changes nothing', () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  state.applyControl(heartbeat(clock, a!, 5, 'healthy', { inFlight: 1 }), link);
  assert.equal(state.applyControl(heartbeat(clock, a!, 4, 'draining', { inFlight: 9 }), link), { kind: 'ignored', instanceId: 'a', why: 'stale-seq' });
  assert.equal(state.applyControl(heartbeat(clock, a!, 5, 'draining'), link), { kind: 'ignored', instanceId: 'a', why: 'stale-seq' });
  assert.is(state.instance('a')?.health, 'healthy');
  assert.is(state.instance('a')?.reportedInFlight, 1);
});

control('a HEARTBEAT from an unknown instance asks the caller to RESYNC over the link it came on', () => {
  const { clock, state } = setup();
  const stranger = hello(clock, { id: 'ghost' });
  const tcpLink = { transport: TransportType.Tcp, address: 'conn-7' };
  assert.equal(state.applyControl(heartbeat(clock, stranger, 3), tcpLink), { kind: 'resync', instanceId: 'ghost', link: tcpLink, why: 'unknown-instance' });
  assert.is(state.instance('ghost'), undefined);
});

control('a HEARTBEAT with a different endpointsHash asks for RESYNC and still counts as a sign of life', () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  clock.now();
  const outcome = state.applyControl(heartbeat(clock, a!, 1, 'healthy', { endpointsHash: 'f'.repeat(64) }), link);
  assert.equal(outcome, { kind: 'resync', instanceId: 'a', link, why: 'endpoints-changed' });
  assert.is(state.instance('a')?.lastSeq, 1);
});

control('after a RESYNC the instance HELLOs again, and its heartbeats restart from seq 0', () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  state.applyControl(heartbeat(clock, a!, 40), link);
  state.applyControl(hello(clock, { id: 'a' }), link);
  assert.is(state.applyControl(heartbeat(clock, a!, 0), link).kind, 'updated');
});

control('GOODBYE removes the instance at once; its late heartbeats are ignored, not RESYNCed', () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  assert.equal(state.applyControl(goodbye(clock, 'a'), link), { kind: 'removed', instanceId: 'a' });
  assert.is(state.instance('a'), undefined);
  assert.is(state.route('GET', '/items/1').kind, 'not-found');
  assert.equal(state.applyControl(heartbeat(clock, a!, 9), link), { kind: 'ignored', instanceId: 'a', why: 'departed' });
});

control('a GOODBYE tombstone expires after staleAfterMs, and a new HELLO clears it at once', async () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  state.applyControl(goodbye(clock, 'a'), link);
  await clock.advance(30_000);
  state.sweep();
  assert.is(state.applyControl(heartbeat(clock, a!, 10), link).kind, 'resync');
  state.applyControl(goodbye(clock, 'a'), link);
  register(clock, state, { id: 'a' });
  assert.is(state.applyControl(heartbeat(clock, a!, 0), link).kind, 'updated');
});

control('GOODBYE from an unknown instance is ignored', () => {
  const { clock, state } = setup();
  assert.equal(state.applyControl(goodbye(clock, 'nobody'), link), { kind: 'ignored', instanceId: 'nobody', why: 'unknown-instance' });
});

control('status draining stops new work at once; healthy again resumes it', () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  state.applyControl(heartbeat(clock, a!, 1, 'draining'), link);
  assert.is(state.instance('a')?.health, 'draining');
  assert.equal(state.eligibleInstances('items', '1.0.0'), []);
  assert.is(state.route('GET', '/items/1').kind, 'unavailable');
  state.applyControl(heartbeat(clock, a!, 2, 'healthy'), link);
  assert.is(state.route('GET', '/items/1').kind, 'dispatch');
});

control('lost() removes an instance at once and reports the change', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a' });
  assert.equal(state.lost('a', 'connection closed'), {
    instanceId: 'a',
    service: 'items',
    version: '1.0.0',
    from: 'healthy',
    to: 'stale',
    removed: true,
    reason: 'connection closed',
  });
  assert.is(state.instance('a'), undefined);
  assert.is(state.lost('a', 'again'), undefined);
});

const health = suite('RoutingState health over time');

health('an instance stays healthy until degradedAfterMs without a heartbeat, then sweep reports it degraded', async () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a' });
  await clock.advance(14_999);
  assert.equal(state.sweep(), []);
  assert.is(state.instance('a')?.health, 'healthy');
  await clock.advance(1);
  const changes = state.sweep();
  assert.equal(changes.map((c) => [c.instanceId, c.from, c.to, c.removed]), [['a', 'healthy', 'degraded', false]]);
  assert.match(changes[0]!.reason, /no heartbeat for 15000 ms/);
  assert.equal(state.sweep(), [], 'a transition is reported once');
});

health('after staleAfterMs without a heartbeat the instance is stale and sweep removes it', async () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a' });
  await clock.advance(15_000);
  state.sweep();
  await clock.advance(15_000);
  const changes = state.sweep();
  assert.equal(changes.map((c) => [c.instanceId, c.from, c.to, c.removed]), [['a', 'degraded', 'stale', true]]);
  assert.is(state.instance('a'), undefined);
  assert.is(state.route('GET', '/items/1').kind, 'not-found');
});

health('health is computed on read: a silent instance is not routed to even before a sweep', async () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a' });
  await clock.advance(30_000);
  assert.is(state.instance('a')?.health, 'stale');
  assert.equal(state.eligibleInstances('items', '1.0.0'), []);
  assert.equal(state.counts(), { healthy: 0, degraded: 0, draining: 0, stale: 1 });
});

health('a heartbeat brings a degraded instance back to healthy', async () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  await clock.advance(20_000);
  state.sweep();
  assert.equal(state.applyControl(heartbeat(clock, a!, 1), link), { kind: 'updated', instanceId: 'a', from: 'degraded', to: 'healthy' });
  assert.equal(state.sweep(), []);
});

health('a draining instance that stops heartbeating is still removed when stale', async () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  state.applyControl(heartbeat(clock, a!, 1, 'draining'), link);
  await clock.advance(30_000);
  assert.equal(state.sweep().map((c) => [c.from, c.to, c.removed]), [['draining', 'stale', true]]);
});

health('custom thresholds are honoured', async () => {
  const clock = new ManualClock(0);
  const state = new RoutingState({ clock, degradedAfterMs: 100, staleAfterMs: 200 });
  register(clock, state, { id: 'a' });
  await clock.advance(100);
  assert.is(state.instance('a')?.health, 'degraded');
  await clock.advance(100);
  assert.is(state.sweep()[0]?.to, 'stale');
});

const options = suite('RoutingState options');

options('invalid thresholds and default versions are all reported, each by name', () => {
  try {
    new RoutingState({ clock: new ManualClock(), degradedAfterMs: 0, staleAfterMs: -1, defaultVersions: { billing: 'one' } });
    assert.unreachable('should reject the options');
  } catch (err) {
    assert.is((err as { code?: unknown }).code, 'SY_INVALID_ARGUMENT');
    const message = (err as Error).message;
    assert.match(message, /degradedAfterMs must be an integer ≥ 1 \(got 0\)/);
    assert.match(message, /staleAfterMs must be an integer greater than degradedAfterMs/);
    assert.match(message, /defaultVersions\.billing must be a semver version or range \(got "one"\)/);
  }
});

control.run();
health.run();
options.run();
