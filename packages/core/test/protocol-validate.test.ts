import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { computeEndpointsHash } from '../src/protocol/endpoints-hash.js';
import type { EndpointDescriptor, Frame, HelloFrame, RequestFrame } from '../src/protocol/frames.js';
import { isFrameId, newFrameId } from '../src/protocol/ids.js';
import { parsePathTemplate } from '../src/protocol/path-template.js';
import { validateFrame } from '../src/protocol/validate.js';
import { endpoints, frames } from './protocol-fixtures.js';

function reasonFor(value: unknown): string {
  try {
    validateFrame(value);
  } catch (err) {
    assert.is((err as { code?: unknown }).code, 'SY_PROTOCOL_INVALID_FRAME', `unexpected error ${String(err)}`);
    return (err as { reason: string }).reason;
  }
  assert.unreachable('validateFrame should have rejected the value');
  return '';
}

const all = frames();
const hello = all[0] as HelloFrame;
const request = all[4] as RequestFrame;
const withHello = (patch: Partial<HelloFrame['payload']>): unknown => ({ ...hello, payload: { ...hello.payload, ...patch } });
const withEndpoint = (patch: Record<string, unknown>): unknown =>
  withHello({ endpoints: [{ ...(endpoints[0] as EndpointDescriptor), ...patch } as EndpointDescriptor] });
const withInstance = (patch: Record<string, unknown>): unknown => withHello({ instance: { ...hello.payload.instance, ...patch } });
const withRequest = (patch: Record<string, unknown>): unknown => ({ ...request, payload: { ...request.payload, ...patch } });

const valid = suite('validateFrame accepts');

valid('every well-formed frame type is returned as an equal, separate object', () => {
  for (const frame of all) {
    const out = validateFrame(frame);
    assert.equal(out, frame);
    assert.is.not(out, frame);
  }
});

valid('unknown extra fields are dropped, not passed through', () => {
  const out = validateFrame({ ...all[2], extra: 1, payload: { instanceId: 'a', junk: true } } as unknown) as Frame;
  assert.equal(Object.keys(out).sort(), ['id', 'payload', 'sentAt', 'type', 'v']);
  assert.equal(out.payload, { instanceId: 'a' });
});

valid('a REQUEST with a null identity and an anonymous identity are both valid', () => {
  validateFrame(withRequest({ identity: null }));
  validateFrame(withRequest({ identity: { anonymous: true, claims: {} } }));
});

const hellos = suite('validateFrame rejects HELLO fields');

hellos('a version that is not strict semver', () => {
  assert.is(reasonFor(withInstance({ version: 'v1.2.3' })), 'payload.instance.version must be a strict semver version like 1.4.2 (got "v1.2.3")');
  assert.match(reasonFor(withInstance({ version: '1.2' })), /strict semver/);
});

hellos('a service name with a dot (dots separate queue-name parts)', () => {
  assert.match(reasonFor(withInstance({ service: 'bill.ing' })), /^payload\.instance\.service must be 1–64 characters of \[A-Za-z0-9_-\]/);
});

hellos('an endpoint method outside the HTTP method set', () => {
  assert.is(reasonFor(withEndpoint({ method: 'get' })), 'payload.endpoints[0].method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (got "get")');
});

hellos('bad path templates, each with its rule', () => {
  assert.is(reasonFor(withEndpoint({ path: 'items' })), 'payload.endpoints[0].path "items" must start with "/"');
  assert.match(reasonFor(withEndpoint({ path: '/files/{rest...}/x' })), /catch-all "\{rest\.\.\.\}" must be the last segment/);
  assert.match(reasonFor(withEndpoint({ path: '/a/{id}/b/{id}' })), /names parameter "id" twice/);
  assert.match(reasonFor(withEndpoint({ path: '/a/x{id}' })), /has a character outside/);
  assert.match(reasonFor(withEndpoint({ path: '/a/{id' })), /is not a parameter/);
  assert.match(reasonFor(withEndpoint({ path: '/a//b' })), /empty segment at position 2/);
  assert.match(reasonFor(withEndpoint({ path: '/a/:id' })), /has a character outside/);
});

hellos('the same method and path declared twice', () => {
  assert.is(reasonFor(withHello({ endpoints: [endpoints[0] as EndpointDescriptor, endpoints[0] as EndpointDescriptor] })), 'payload.endpoints[1] repeats GET /invoices/{id}');
});

hellos('a timeout that is not a positive integer, and claims of the wrong shape', () => {
  assert.match(reasonFor(withEndpoint({ timeoutMs: 0 })), /^payload\.endpoints\[0\]\.timeoutMs must be an integer 1–2147483647 when given \(got 0\)$/);
  assert.match(reasonFor(withEndpoint({ requiringClaims: [{ claim: '' }] })), /^payload\.endpoints\[0\]\.requiringClaims\[0\]\.claim must be a string of 1–1024/);
  assert.is(reasonFor(withEndpoint({ streaming: 'no' })), 'payload.endpoints[0].streaming must be a boolean (got "no")');
});

const requests = suite('validateFrame rejects REQUEST fields');

requests('an upper-case header name, a non-string value, and CR/LF in a value', () => {
  assert.is(reasonFor(withRequest({ headers: { 'Content-Type': 'x' } })), 'payload.headers has an invalid name "Content-Type": names must be lower-case HTTP tokens');
  assert.is(reasonFor(withRequest({ headers: { a: ['x'] } })), 'payload.headers["a"] must be a string (got an array)');
  assert.is(reasonFor(withRequest({ headers: { a: 'x\r\nset-cookie: y' } })), 'payload.headers["a"] must not contain CR, LF or NUL');
});

requests('a method outside the set, a path without a leading slash, and a non-finite deadline', () => {
  assert.match(reasonFor(withRequest({ method: 'TRACE' })), /^payload\.method must be one of .* \(got "TRACE"\)$/);
  assert.match(reasonFor(withRequest({ path: 'items' })), /^payload\.path must be a string starting with "\/"/);
  assert.is(reasonFor(withRequest({ deadline: Infinity })), 'payload.deadline must be a finite number (got Infinity)');
  assert.is(reasonFor(withRequest({ deadline: Number.NaN })), 'payload.deadline must be a finite number (got NaN)');
});

requests('a body that is not bytes, and an identity of the wrong shape', () => {
  assert.is(reasonFor(withRequest({ body: 'aGk=' })), 'payload.body must be a Uint8Array (got "aGk=")');
  assert.is(reasonFor(withRequest({ identity: { claims: {} } })), 'payload.identity.anonymous must be a boolean (got nothing)');
  assert.match(reasonFor(withRequest({ identity: { anonymous: false, claims: {}, scopes: [1] } })), /^payload\.identity\.scopes must be an array of strings/);
});

const others = suite('validateFrame rejects other frames');

others('a HEARTBEAT with a negative or fractional seq, an unknown status, or a negative inFlight', () => {
  const hb = all[1] as Frame;
  const withHb = (patch: Record<string, unknown>): unknown => ({ ...hb, payload: { ...(hb.payload as object), ...patch } });
  assert.is(reasonFor(withHb({ seq: -1 })), 'payload.seq must be an integer ≥ 0 (got -1)');
  assert.is(reasonFor(withHb({ seq: 1.5 })), 'payload.seq must be an integer ≥ 0 (got 1.5)');
  assert.is(reasonFor(withHb({ status: 'sick' })), 'payload.status must be one of healthy, degraded, draining (got "sick")');
  assert.is(reasonFor(withHb({ inFlight: -2 })), 'payload.inFlight must be an integer ≥ 0 (got -2)');
});

others('a CANCEL with an unknown reason, and a GOODBYE whose instanceId has spaces', () => {
  assert.is(reasonFor({ ...all[6], payload: { reason: 'bored' } }), 'payload.reason must be one of client-disconnected, timeout, payload-limit, shutdown (got "bored")');
  assert.match(reasonFor({ ...all[2], payload: { instanceId: 'a b' } }), /^payload\.instanceId must be 1–128 visible ASCII characters/);
});

const helpers = suite('ids, endpoints hash, path templates');

helpers('newFrameId gives 32 lower-case hex characters and no repeats over many draws', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const id = newFrameId();
    assert.ok(isFrameId(id), `bad id ${id}`);
    seen.add(id);
  }
  assert.is(seen.size, 20_000);
  assert.not.ok(isFrameId('A'.repeat(32)));
});

helpers('computeEndpointsHash ignores endpoint and claim order but sees every field', () => {
  const base = computeEndpointsHash(endpoints);
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.is(computeEndpointsHash([...endpoints].reverse()), base);
  const twoClaims: EndpointDescriptor = { method: 'GET', path: '/x', requiringClaims: [{ claim: 'a' }, { claim: 'b', value: '1' }], streaming: false };
  assert.is(
    computeEndpointsHash([twoClaims]),
    computeEndpointsHash([{ ...twoClaims, requiringClaims: [...twoClaims.requiringClaims].reverse() }]),
  );
  const first = endpoints[0] as EndpointDescriptor;
  for (const changed of [
    { ...first, method: 'PUT' as const },
    { ...first, path: '/invoices/{key}' },
    { ...first, timeoutMs: 2001 },
    { ...first, requiringClaims: [] },
    { ...first, streaming: true },
  ]) {
    assert.is.not(computeEndpointsHash([changed, ...endpoints.slice(1)]), base, `changing ${JSON.stringify(changed)} should change the hash`);
  }
  assert.is(computeEndpointsHash([]), computeEndpointsHash([]));
});

helpers('parsePathTemplate splits literals, params and a final catch-all', () => {
  assert.equal(parsePathTemplate('/'), []);
  assert.equal(parsePathTemplate('/a/{id}/{rest...}'), [
    { kind: 'literal', value: 'a' },
    { kind: 'param', name: 'id' },
    { kind: 'rest', name: 'rest' },
  ]);
});

others('a DRAIN names its instance; reason and requestedBy are optional short strings', () => {
  const drain = all.find((f) => f.type === 'DRAIN') as Frame;
  const withDrain = (payload: Record<string, unknown>): unknown => ({ ...drain, payload });
  assert.equal(validateFrame(withDrain({ instanceId: 'a', reason: '', requestedBy: 'olivia', extra: 1 })).payload, { instanceId: 'a', reason: '', requestedBy: 'olivia' });
  assert.match(reasonFor(withDrain({ reason: 'x' })), /^payload\.instanceId must be 1–\d+ visible ASCII characters \(got nothing\)/);
  assert.is(reasonFor(withDrain({ instanceId: 'a', reason: 7 })), 'payload.reason must be a string of at most 1024 characters (got 7)');
  assert.match(reasonFor(withDrain({ instanceId: 'a', requestedBy: 'x'.repeat(1025) })), /^payload\.requestedBy must be a string of at most 1024 characters/);
  const undrain = all.find((f) => f.type === 'UNDRAIN') as Frame;
  assert.match(reasonFor({ ...undrain, payload: { instanceId: 'has space' } }), /^payload\.instanceId must be 1–\d+ visible ASCII characters/);
});

valid.run();
hellos.run();
requests.run();
others.run();
helpers.run();
