/** The registration policy (packages/core/src/routing/registration-policy.ts), applied by RoutingState.applyControl. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../src/clock.js';
import { RoutingState } from '../src/routing/routing-state.js';
import { ep, goodbye, hello, link, register, setup } from './routing-fixtures.js';

const guarded = [ep('GET', '/vault/secret', { requiringClaims: [{ claim: 'role', value: 'admin' }] })];
const open = [ep('GET', '/vault/secret')];

/** Applies `frame`, expecting SY_ROUTING_REGISTRATION_REFUSED; returns the rule that refused it. */
function refusedBy(apply: () => unknown): string {
  try {
    apply();
  } catch (err) {
    assert.is((err as { code?: unknown }).code, 'SY_ROUTING_REGISTRATION_REFUSED', `unexpected error: ${String(err)}`);
    return (err as { why: string }).why;
  }
  assert.unreachable('the HELLO was applied');
  return '';
}

const claimsOf = (state: RoutingState): unknown => {
  const m = state.match('GET', '/vault/secret');
  return m.kind === 'found' ? m : m.kind;
};

const test = suite('registration policy');

test('a HELLO that drops the claims of a registered instance is refused, counted, and changes nothing', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'v-1', service: 'vault', endpoints: guarded });
  const before = JSON.stringify(claimsOf(state));
  assert.is(refusedBy(() => state.applyControl(hello(clock, { id: 'v-1', service: 'vault', endpoints: open }), link)), 'instance-changed');
  assert.is(JSON.stringify(claimsOf(state)), before, 'the claim requirement still stands');
  assert.is(state.registrationRefusals()['instance-changed'], 1);
});

test('a HELLO that moves a registered instance id to another version is refused', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'v-1', service: 'vault', endpoints: guarded });
  assert.is(refusedBy(() => state.applyControl(hello(clock, { id: 'v-1', service: 'vault', version: '9.9.9', endpoints: guarded }), link)), 'instance-changed');
  assert.is(state.instance('v-1')?.version, '1.0.0');
});

test('a new instance of a live version with other endpoints or claims is refused, never merged; once the old ones leave it registers', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'v-1', service: 'vault', endpoints: guarded });
  const forged = hello(clock, { id: 'v-2', service: 'vault', endpoints: open });
  assert.is(refusedBy(() => state.applyControl(forged, link)), 'endpoints-differ');
  assert.is(state.instance('v-2'), undefined);
  register(clock, state, { id: 'v-3', service: 'vault', endpoints: guarded });
  assert.ok(state.instance('v-3'), 'an instance with the same endpoints joins');
  state.applyControl(goodbye(clock, 'v-1'), link);
  state.applyControl(goodbye(clock, 'v-3'), link);
  assert.is(state.applyControl(hello(clock, { id: 'v-2', service: 'vault', endpoints: open }), link).kind, 'registered');
});

test('instances per service and endpoints per gateway are bounded, each with its own rule', () => {
  const clock = new ManualClock();
  const state = new RoutingState({ clock, registration: { maxInstancesPerService: 2, maxEndpoints: 3 } });
  register(clock, state, { id: 'a', endpoints: [ep('GET', '/a'), ep('GET', '/b')] }, { id: 'b', endpoints: [ep('GET', '/a'), ep('GET', '/b')] });
  assert.is(refusedBy(() => state.applyControl(hello(clock, { id: 'c', endpoints: [ep('GET', '/a'), ep('GET', '/b')] }), link)), 'too-many-instances');
  assert.is(
    refusedBy(() => state.applyControl(hello(clock, { id: 'd', service: 'other', endpoints: [ep('GET', '/c'), ep('GET', '/d')] }), link)),
    'too-many-endpoints',
  );
  assert.is(state.applyControl(hello(clock, { id: 'e', service: 'other', endpoints: [ep('GET', '/c')] }), link).kind, 'registered');
  assert.equal(state.registrationRefusals(), { 'instance-changed': 0, 'endpoints-differ': 0, 'too-many-instances': 1, 'too-many-endpoints': 1 });
});

test('limits are checked when the state is made, naming the limit', () => {
  assert.throws(() => new RoutingState({ clock: new ManualClock(), registration: { maxEndpoints: 0 } }), /registration\.maxEndpoints must be an integer ≥ 1 \(got 0\)/);
});

test('registration: false applies every HELLO unchecked (a state that mirrors another)', () => {
  const clock = new ManualClock();
  const state = new RoutingState({ clock, registration: false });
  register(clock, state, { id: 'v-1', service: 'vault', endpoints: guarded });
  assert.is(state.applyControl(hello(clock, { id: 'v-2', service: 'vault', endpoints: open }), link).kind, 'registered');
});

test.run();
