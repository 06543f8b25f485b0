import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RouteMatch } from '../src/routing/types.js';
import { ep, goodbye, heartbeat, link, register, setup } from './routing-fixtures.js';

type Found = Extract<RouteMatch, { kind: 'found' }>;
function found(match: RouteMatch): Found {
  assert.is(match.kind, 'found', `expected a match, got ${JSON.stringify(match)}`);
  return match as Found;
}

const matching = suite('RoutingState.match');

matching('a template with a parameter matches and returns the URL-decoded parameter under its name', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a', endpoints: [ep('GET', '/items/{id}')] });
  const m = found(state.match('GET', '/items/a%20b'));
  assert.is(m.service, 'items');
  assert.is(m.template, '/items/{id}');
  assert.equal(m.params, { id: 'a b' });
});

matching('a catch-all takes the rest of the path, slashes included', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a', service: 'files', endpoints: [ep('GET', '/files/{path...}')] });
  assert.equal(found(state.match('GET', '/files/a/b/c.txt')).params, { path: 'a/b/c.txt' });
  assert.is(state.match('GET', '/files').kind, 'not-found');
});

matching('a literal segment beats a parameter at the same position', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a', endpoints: [ep('GET', '/items/{id}'), ep('GET', '/items/special')] });
  assert.is(found(state.match('GET', '/items/special')).template, '/items/special');
  assert.is(found(state.match('GET', '/items/other')).template, '/items/{id}');
});

matching('the query string, a trailing slash and doubled slashes do not prevent a match', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a', endpoints: [ep('GET', '/items/{id}')] });
  assert.equal(found(state.match('GET', '/items/7?x=1')).params, { id: '7' });
  assert.equal(found(state.match('GET', '/items/7/')).params, { id: '7' });
  assert.equal(found(state.match('GET', '//items//7')).params, { id: '7' });
});

matching('no matching path is not-found; path matching with another method is method-not-allowed with Allow', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a', endpoints: [ep('GET', '/items/{id}'), ep('DELETE', '/items/{id}'), ep('POST', '/items')] });
  assert.equal(state.match('GET', '/nothing'), { kind: 'not-found' });
  assert.equal(state.match('PUT', '/items/3'), { kind: 'method-not-allowed', allow: ['GET', 'DELETE'] });
  assert.equal(state.match('BREW', '/items/3'), { kind: 'method-not-allowed', allow: ['GET', 'DELETE'] });
  assert.equal(state.match('GET', '/Items/3'), { kind: 'not-found' }, 'paths are case-sensitive');
});

matching('versions that name the parameter differently each get params under their own names', () => {
  const { clock, state } = setup();
  register(
    clock,
    state,
    { id: 'a', version: '1.0.0', endpoints: [ep('GET', '/items/{id}')] },
    { id: 'b', version: '2.0.0', endpoints: [ep('GET', '/items/{key}')] },
  );
  const m = found(state.match('GET', '/items/9'));
  assert.equal(m.candidates.map((c) => [c.version, c.params]), [['2.0.0', { key: '9' }], ['1.0.0', { id: '9' }]]);
  assert.equal(m.params, { key: '9' });
});

matching('when two services declare the same route, the one registered first serves it and the other is shown as shadowed', () => {
  const { clock, state } = setup();
  register(clock, state, { id: 'a', service: 'alpha', endpoints: [ep('GET', '/shared/{x}')] }, { id: 'b', service: 'beta', endpoints: [ep('GET', '/shared/{y}')] });
  assert.is(found(state.match('GET', '/shared/1')).service, 'alpha');
  assert.equal(state.snapshot().routes, [{ method: 'GET', path: '/shared/{x}', service: 'alpha', versions: ['1.0.0'], shadowed: ['beta'] }]);
  state.applyControl(goodbye(clock, 'a'), link);
  assert.is(found(state.match('GET', '/shared/1')).service, 'beta', 'when the first service leaves, the next one takes over');
});

matching('the route table is rebuilt only when the endpoint set changes, never per request or per heartbeat', () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a' });
  for (let i = 0; i < 100; i++) state.match('GET', `/items/${i}`);
  assert.is(state.routeTableBuilds, 1);
  state.applyControl(heartbeat(clock, a!, 1), link);
  register(clock, state, { id: 'b' }, { id: 'a' });
  state.match('GET', '/items/1');
  assert.is(state.routeTableBuilds, 1, 'more instances with the same endpoints, or a re-HELLO, change nothing');
  register(clock, state, { id: 'c', version: '1.1.0', endpoints: [ep('GET', '/new')] });
  state.match('GET', '/new');
  state.match('GET', '/new');
  assert.is(state.routeTableBuilds, 2);
  state.applyControl(goodbye(clock, 'b'), link);
  state.match('GET', '/new');
  assert.is(state.routeTableBuilds, 2, 'a leaving instance whose endpoints others still serve changes nothing');
  state.applyControl(goodbye(clock, 'c'), link);
  assert.is(state.match('GET', '/new').kind, 'not-found');
  assert.is(state.routeTableBuilds, 3);
});

const versions = suite('RoutingState.chooseVersion');

function threeVersions(defaultVersions?: Record<string, string>): ReturnType<typeof setup> & { hellos: ReturnType<typeof register> } {
  const s = setup(defaultVersions === undefined ? {} : { defaultVersions });
  const hellos = register(
    s.clock,
    s.state,
    { id: 'v1', version: '1.4.2' },
    { id: 'v15', version: '1.5.0' },
    { id: 'v2b', version: '2.0.0-beta.1' },
  );
  return { ...s, hellos };
}

versions('without header or default, the highest release version with an eligible instance is chosen (not a pre-release)', () => {
  const { state } = threeVersions();
  const choice = state.chooseVersion(found(state.match('GET', '/items/1')));
  assert.equal([choice.kind, choice.kind === 'chosen' && choice.version, choice.kind === 'chosen' && choice.source], ['chosen', '1.5.0', 'highest']);
});

versions('the highest version is skipped when it has no eligible instance', () => {
  const { clock, state, hellos } = threeVersions();
  state.applyControl(heartbeat(clock, hellos.v15!, 1, 'draining'), link);
  const choice = state.chooseVersion(found(state.match('GET', '/items/1')));
  assert.is(choice.kind === 'chosen' && choice.version, '1.4.2');
});

versions('the x-switchyard-version header picks an exact version, or the highest eligible in a range', () => {
  const { state } = threeVersions();
  const m = found(state.match('GET', '/items/1'));
  const exact = state.chooseVersion(m, '1.4.2');
  assert.equal(exact.kind === 'chosen' && [exact.version, exact.source], ['1.4.2', 'header']);
  const beta = state.chooseVersion(m, '2.0.0-beta.1');
  assert.is(beta.kind === 'chosen' && beta.version, '2.0.0-beta.1');
  const range = state.chooseVersion(m, '~1.4');
  assert.is(range.kind === 'chosen' && range.version, '1.4.2');
});

versions('a header naming no served version is version-not-found; a blank header is no header', () => {
  const { state } = threeVersions();
  const m = found(state.match('GET', '/items/1'));
  assert.equal(state.chooseVersion(m, '3.0.0'), { kind: 'version-not-found', service: 'items', requested: '3.0.0', source: 'header' });
  assert.equal(state.chooseVersion(m, 'latest'), { kind: 'version-not-found', service: 'items', requested: 'latest', source: 'header' });
  assert.is(state.chooseVersion(m, '  ').kind, 'chosen');
});

versions('the configured default version is used when the request names none', () => {
  const { state } = threeVersions({ items: '1.4.2' });
  const choice = state.chooseVersion(found(state.match('GET', '/items/1')));
  assert.equal(choice.kind === 'chosen' && [choice.version, choice.source], ['1.4.2', 'default']);
  const header = state.chooseVersion(found(state.match('GET', '/items/1')), '1.5.0');
  assert.is(header.kind === 'chosen' && header.version, '1.5.0', 'the header beats the default');
});

versions('a pinned default whose instances are all gone is unavailable, not silently another version', async () => {
  const { clock, state } = threeVersions({ items: '1.4.2' });
  state.applyControl(goodbye(clock, 'v1'), link);
  const choice = state.chooseVersion(found(state.match('GET', '/items/1')));
  assert.equal(choice, { kind: 'version-not-found', service: 'items', requested: '1.4.2', source: 'default' });
});

versions('matching versions without an eligible instance are unavailable (answer 503 fast)', () => {
  const { clock, state } = setup();
  const { a } = register(clock, state, { id: 'a', version: '1.0.0' });
  state.applyControl(heartbeat(clock, a!, 1, 'draining'), link);
  assert.equal(state.chooseVersion(found(state.match('GET', '/items/1'))), { kind: 'unavailable', service: 'items', versions: ['1.0.0'] });
  assert.equal(state.route('GET', '/items/1'), { kind: 'unavailable', service: 'items', versions: ['1.0.0'] });
});

versions('an instance counts for a route only if it serves that endpoint', () => {
  const { clock, state } = setup();
  register(
    clock,
    state,
    { id: 'old', version: '1.0.0', endpoints: [ep('GET', '/items/{id}')] },
    { id: 'new', version: '1.1.0', endpoints: [ep('GET', '/items/{id}'), ep('GET', '/items/{id}/history')] },
  );
  const decision = state.route('GET', '/items/1/history');
  assert.is(decision.kind === 'dispatch' && decision.instance.instanceId, 'new');
  const choice = state.chooseVersion(found(state.match('GET', '/items/1/history')), '1.0.0');
  assert.is(choice.kind, 'version-not-found');
});

matching.run();
versions.run();
