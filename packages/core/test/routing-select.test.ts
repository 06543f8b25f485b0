import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { goodbye, heartbeat, link, register, setup } from './routing-fixtures.js';

const ids = (views: readonly { instanceId: string }[]): string[] => views.map((v) => v.instanceId).sort();

const eligible = suite('RoutingState.eligibleInstances');

eligible('healthy instances only, while any is healthy; degraded ones only when none is', () => {
  const { clock, state } = setup();
  const h = register(clock, state, { id: 'a' }, { id: 'b' });
  state.applyControl(heartbeat(clock, h.b!, 1, 'degraded'), link);
  assert.equal(ids(state.eligibleInstances('items', '1.0.0')), ['a']);
  state.applyControl(heartbeat(clock, h.a!, 1, 'draining'), link);
  assert.equal(ids(state.eligibleInstances('items', '1.0.0')), ['b']);
  assert.is(state.eligibleInstances('items', '1.0.0')[0]?.health, 'degraded');
});

eligible('draining and stale instances are never eligible', async () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a' });
  await clock.advance(29_000);
  const h = register(clock, state, { id: 'b' });
  state.applyControl(heartbeat(clock, h.b!, 1, 'draining'), link);
  await clock.advance(1_000);
  assert.equal(state.eligibleInstances('items', '1.0.0'), []);
});

eligible('instances in the caller region come first, without dropping the others', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'us-1', region: 'us-east-1' }, { id: 'eu-1', region: 'eu-west-1' }, { id: 'eu-2', region: 'eu-west-1' });
  const ordered = state.eligibleInstances('items', '1.0.0', 'eu-west-1').map((v) => v.instanceId);
  assert.equal(ordered.slice(0, 2).sort(), ['eu-1', 'eu-2']);
  assert.is(ordered[2], 'us-1');
});

eligible('health outranks region: a healthy remote instance beats a degraded local one', () => {
  const { clock, state } = setup();
  const h = register(clock, state, { id: 'local', region: 'eu-west-1' }, { id: 'remote', region: 'us-east-1' });
  state.applyControl(heartbeat(clock, h.local!, 1, 'degraded'), link);
  assert.equal(ids(state.eligibleInstances('items', '1.0.0', 'eu-west-1')), ['remote']);
});

eligible('an unknown service or version has no eligible instance', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a' });
  assert.equal(state.eligibleInstances('nope', '1.0.0'), []);
  assert.equal(state.eligibleInstances('items', '9.9.9'), []);
  assert.is(state.pick('items', '9.9.9'), undefined);
});

const pick = suite('RoutingState.pick');

pick('equal instances share picks evenly (round robin)', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a' }, { id: 'b' }, { id: 'c' });
  const counts: Record<string, number> = {};
  for (let i = 0; i < 300; i++) {
    const id = state.pick('items', '1.0.0')!.instanceId;
    counts[id] = (counts[id] ?? 0) + 1;
  }
  assert.equal(counts, { a: 100, b: 100, c: 100 });
});

pick('the instance with the fewest requests in flight from this gateway is picked first', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a' }, { id: 'b' });
  const doneA1 = state.beginDispatch('a');
  state.beginDispatch('a');
  state.beginDispatch('b');
  for (let i = 0; i < 5; i++) assert.is(state.pick('items', '1.0.0')?.instanceId, 'b');
  assert.is(state.instance('a')?.localInFlight, 2);
  doneA1();
  doneA1();
  assert.is(state.instance('a')?.localInFlight, 1, 'a finish function counts once');
  const seen = new Set([state.pick('items', '1.0.0')?.instanceId, state.pick('items', '1.0.0')?.instanceId]);
  assert.equal([...seen].sort(), ['a', 'b'], 'equal load again: both get picks');
});

pick('picks stay in the caller region while it has an eligible instance', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'us', region: 'us-east-1' }, { id: 'eu', region: 'eu-west-1' });
  for (let i = 0; i < 10; i++) assert.is(state.pick('items', '1.0.0', 'eu-west-1')?.instanceId, 'eu');
  state.beginDispatch('eu');
  assert.is(state.pick('items', '1.0.0', 'eu-west-1')?.instanceId, 'eu', 'load does not move work across regions');
});

pick('route() returns the endpoint, params and the picked instance ready to dispatch', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a' });
  const decision = state.route('GET', '/items/42', { region: 'eu-west-1' });
  assert.is(decision.kind, 'dispatch');
  if (decision.kind !== 'dispatch') return;
  assert.equal([decision.service, decision.version, decision.endpoint.path, decision.params, decision.instance.instanceId], ['items', '1.0.0', '/items/{id}', { id: '42' }, 'a']);
  assert.equal(decision.instance.link, link);
});

const view = suite('RoutingState.snapshot and counts');

view('snapshot lists services, versions (highest first), endpoints and instances with health, and is JSON-able', async () => {
  const { clock, state } = setup({ defaultVersions: { items: '1.0.0' } });
  const h = register(clock, state, { id: 'a', version: '1.0.0' }, { id: 'b', version: '1.2.0' }, { id: 'c', service: 'billing', version: '3.1.4' });
  state.applyControl(heartbeat(clock, h.b!, 1, 'draining', { inFlight: 2 }), link);
  state.beginDispatch('a');
  const snap = state.snapshot();
  assert.equal(JSON.parse(JSON.stringify(snap)), snap);
  assert.equal(snap.counts, { healthy: 2, degraded: 0, draining: 1, stale: 0 });
  assert.equal(snap.services.map((s) => [s.name, s.defaultVersion, s.versions.map((v) => v.version)]), [
    ['billing', null, ['3.1.4']],
    ['items', '1.0.0', ['1.2.0', '1.0.0']],
  ]);
  const items = snap.services[1]!;
  assert.equal(items.versions[1]!.endpoints, [
    { method: 'POST', path: '/items' },
    { method: 'GET', path: '/items/{id}' },
  ]);
  const b = items.versions[0]!.instances[0]!;
  assert.equal([b.instanceId, b.health, b.reportedStatus, b.reportedInFlight, b.transport, b.lastSeq], ['b', 'draining', 'draining', 2, 'messaging', 1]);
  assert.is(items.versions[1]!.instances[0]!.localInFlight, 1);
  assert.equal(snap.routes.map((r) => `${r.method} ${r.path} ${r.service} ${r.versions.join(',')}`).sort(), [
    'GET /items/{id} items 1.2.0,1.0.0',
    'POST /items items 1.2.0,1.0.0',
  ]);
});

view('isServiceAvailable follows eligibility (readiness for requiredServices)', () => {
  const { clock, state } = setup();
  assert.not.ok(state.isServiceAvailable('items'));
  const h = register(clock, state, { id: 'a' });
  assert.ok(state.isServiceAvailable('items'));
  state.applyControl(heartbeat(clock, h.a!, 1, 'draining'), link);
  assert.not.ok(state.isServiceAvailable('items'));
});

pick('REQUESTs to a version travel in wire format 2 only while every registered instance of it reads it', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'new-1', wireFormats: [1, 2] }, { id: 'new-2', wireFormats: [1, 2] }, { id: 'other', version: '2.0.0' });
  assert.is(state.pick('items', '1.0.0')?.wireFormat, 2);
  assert.is(state.pick('items', '2.0.0')?.wireFormat, 1, 'a HELLO without wireFormats reads format 1 only');
  register(clock, state, { id: 'old', wireFormats: undefined });
  assert.equal(state.eligibleInstances('items', '1.0.0').map((i) => [i.instanceId, i.wireFormat]).sort(), [['new-1', 1], ['new-2', 1], ['old', 1]]);
  state.applyControl(goodbye(clock, 'old'), link);
  assert.is(state.pick('items', '1.0.0')?.wireFormat, 2, 'once the older instance left, format 2 again');
});

eligible.run();
pick.run();
view.run();
