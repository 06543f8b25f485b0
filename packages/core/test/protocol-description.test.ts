/**
 * The description side of the protocol (docs/protocol.md, "Service description"): HELLO's
 * optional `descriptionHash`, and the check a gateway runs on a description it fetched.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFrame, decodeFrame } from '../src/protocol/frame-codec.js';
import type { HelloFrame } from '../src/protocol/frames.js';
import { parseServiceDescription } from '../src/protocol/description-validate.js';
import { validateFrame } from '../src/protocol/validate.js';
import { frames } from './protocol-fixtures.js';

const hello = frames()[0] as HelloFrame;

const helloHash = suite('HELLO descriptionHash');

helloHash('is optional, so a HELLO from an SDK that describes nothing stays valid and gets none', () => {
  assert.is((validateFrame(hello) as HelloFrame).payload.descriptionHash, undefined);
});

helloHash('survives the codec when given', () => {
  const frame: HelloFrame = { ...hello, payload: { ...hello.payload, descriptionHash: 'abc123' } };
  assert.is((decodeFrame(encodeFrame(frame)) as HelloFrame).payload.descriptionHash, 'abc123');
});

helloHash('must be a non-empty string when given', () => {
  assert.throws(() => validateFrame({ ...hello, payload: { ...hello.payload, descriptionHash: '' } }), /payload\.descriptionHash must be a string of 1–/);
  assert.throws(() => validateFrame({ ...hello, payload: { ...hello.payload, descriptionHash: 7 } }), /payload\.descriptionHash/);
});

helloHash.run();

const parse = suite('parseServiceDescription');

parse('returns a well-formed description with every field it knows', () => {
  const d = {
    service: 'shop',
    version: '1.0.0',
    operations: [
      {
        method: 'POST',
        path: '/orders',
        operationId: 'createOrder',
        summary: 's',
        description: 'd',
        tags: ['t'],
        deprecated: false,
        params: true,
        query: { type: 'object' },
        headers: { type: 'object' },
        body: { 'application/json': { type: 'object' } },
        responses: { '201': { description: 'created', content: { 'application/json': { type: 'object' } } }, '4XX': {}, default: {} },
      },
    ],
  };
  assert.equal(parseServiceDescription(d), d);
});

parse('names the field at fault', () => {
  const base = { service: 'shop', version: '1.0.0' };
  assert.throws(() => parseServiceDescription({ ...base, operations: {} }), /description\.operations must be an array/);
  assert.throws(() => parseServiceDescription({ ...base, operations: [{ method: 'FETCH', path: '/' }] }), /description\.operations\[0\]\.method must be one of/);
  assert.throws(() => parseServiceDescription({ ...base, operations: [{ method: 'GET', path: '/', body: { 'application/json': 3 } }] }), /operations\[0\]\.body\["application\/json"\] must be an object/);
  assert.throws(() => parseServiceDescription({ ...base, operations: [{ method: 'GET', path: '/', responses: { ok: {} } }] }), /responses key must be a status/);
});

parse.run();
