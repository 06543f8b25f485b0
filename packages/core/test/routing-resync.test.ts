/**
 * RESYNC has one owner: the routing state decides it (unknown instance, changed endpoints, a
 * recovered backend; rate-limited per instance) and TransportFeed sends it through the transport.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../src/clock.js';
import { silentLogger } from '../src/logger.js';
import { RoutingState } from '../src/routing/routing-state.js';
import { TransportFeed } from '../src/routing/transport-feed.js';
import { TransportType, type DispatchTarget, type GatewayTransport } from '../src/transport/types.js';
import { heartbeat, hello, link, register, setup } from './routing-fixtures.js';

const decide = suite('RoutingState decides RESYNC');

decide('RESYNCs asked of one instance are at least resyncMinIntervalMs apart; each instance has its own interval', async () => {
  const { clock, state } = setup();
  const ghost = hello(clock, { id: 'ghost' });
  const other = hello(clock, { id: 'other' });
  assert.is(state.applyControl(heartbeat(clock, ghost, 1), link).kind, 'resync');
  assert.equal(state.applyControl(heartbeat(clock, ghost, 2), link), { kind: 'ignored', instanceId: 'ghost', why: 'resync-not-due' });
  assert.is(state.applyControl(heartbeat(clock, other, 1), link).kind, 'resync', 'another instance has its own interval');
  await clock.advance(999);
  assert.is(state.applyControl(heartbeat(clock, ghost, 3), link).kind, 'ignored', 'still inside the default 1000 ms');
  await clock.advance(1);
  assert.is(state.applyControl(heartbeat(clock, ghost, 4), link).kind, 'resync', 'after the interval the next RESYNC is due');
});

decide('a changed endpointsHash inside the interval still counts the HEARTBEAT as a sign of life', async () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  const changed = { endpointsHash: 'f'.repeat(64) };
  assert.is(state.applyControl(heartbeat(clock, a!, 1, 'healthy', changed), link).kind, 'resync');
  assert.equal(state.applyControl(heartbeat(clock, a!, 2, 'degraded', changed), link), { kind: 'updated', instanceId: 'a', from: 'healthy', to: 'degraded' });
  assert.is(state.instance('a')?.lastSeq, 2);
});

decide('a HELLO makes the next RESYNC to that instance due at once', () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  const changed = { endpointsHash: 'f'.repeat(64) };
  assert.is(state.applyControl(heartbeat(clock, a!, 1, 'healthy', changed), link).kind, 'resync');
  state.applyControl(hello(clock, { id: 'a' }), link);
  assert.is(state.applyControl(heartbeat(clock, a!, 0, 'healthy', changed), link).kind, 'resync');
});

decide('after its backend recovered, every instance on that transport is asked for HELLO on its next HEARTBEAT, and still routed to', () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  const tcp = { transport: TransportType.Tcp, address: 'conn-1' };
  const b = hello(clock, { id: 'b' });
  state.applyControl(b, tcp);
  assert.is(state.backendRecovered(link.transport), 1, 'only the instances reached over that transport');
  assert.is(state.route('GET', '/items/1').kind, 'dispatch', 'still routable while the HELLO is awaited');
  assert.equal(state.applyControl(heartbeat(clock, a!, 1), link), { kind: 'resync', instanceId: 'a', link, why: 'backend-recovered' });
  assert.is(state.applyControl(heartbeat(clock, b, 1), tcp).kind, 'updated', 'the other transport lost nothing');
  state.applyControl(hello(clock, { id: 'a' }), link);
  assert.is(state.applyControl(heartbeat(clock, a!, 0), link).kind, 'updated', 'the HELLO settled it');
});

decide('resyncMinIntervalMs is validated', () => {
  assert.throws(() => new RoutingState({ clock: new ManualClock(), resyncMinIntervalMs: -1 }), /resyncMinIntervalMs must be an integer ≥ 0 \(got -1\)/);
});

const send = suite('TransportFeed sends what routing decides');

class ResyncRecorder {
  readonly type = TransportType.Messaging;
  readonly sent: DispatchTarget[] = [];
  resync(target: DispatchTarget): Promise<void> {
    this.sent.push(target);
    return Promise.resolve();
  }
}

send('an unknown instance is addressed by its link alone; a known one as it registered', () => {
  const { clock, state } = setup();
  const recorder = new ResyncRecorder();
  const feed = new TransportFeed(state, recorder as unknown as GatewayTransport, silentLogger);
  const ghost = hello(clock, { id: 'ghost' });
  feed.control(heartbeat(clock, ghost, 1), link);
  feed.control(heartbeat(clock, ghost, 2), link);
  assert.equal(recorder.sent, [{ instanceId: 'ghost', service: '', version: '', link }], 'one RESYNC, rate-limited');
  const { a } = register(clock, state, { id: 'a' });
  feed.recovered('connected');
  feed.control(heartbeat(clock, a!, 1), { transport: TransportType.Messaging, address: 'elsewhere' });
  assert.equal(recorder.sent[1], { instanceId: 'a', service: a!.payload.instance.service, version: a!.payload.instance.version, link });
});

decide.run();
send.run();
