/**
 * The service description (docs/protocol.md, "Service description"): endpoint options become
 * JSON Schema, HELLO carries only the hash, and the SDK answers the reserved description path
 * itself. The Microservice runs against a recording InstanceTransport.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import {
  Cancellation,
  computeDescriptionHash,
  DESCRIPTION_PATH,
  ERROR_CODES,
  TransportType,
  newFrameId,
  type HelloPayload,
  type InstanceRequestHandler,
  type InstanceTransport,
  type RequestFrame,
  type ServiceDescription,
} from '@switchyard/core';
import { createMicroservice, type Microservice, type StandardSchemaV1 } from '../src/index.js';

class RecordingTransport implements InstanceTransport {
  readonly type = TransportType.InMemory;
  hello: HelloPayload | undefined;
  handle: InstanceRequestHandler | undefined;
  async start(hello: HelloPayload, handle: InstanceRequestHandler): Promise<void> {
    this.hello = hello;
    this.handle = handle;
  }
  async heartbeat(): Promise<void> {}
  async goodbye(): Promise<void> {}
  async close(): Promise<void> {}
  isReady(): boolean {
    return this.hello !== undefined;
  }
  get(path: string, method: 'GET' | 'POST' = 'GET') {
    const frame: RequestFrame = {
      v: 1,
      type: 'REQUEST',
      id: newFrameId(),
      sentAt: 0,
      payload: { method, path, query: '', headers: {}, body: new Uint8Array(0), deadline: Date.now() + 30_000, replyTo: 'r', identity: null },
    };
    return (this.handle as InstanceRequestHandler)(frame, new Cancellation());
  }
}

function make(): { svc: Microservice; t: RecordingTransport } {
  const t = new RecordingTransport();
  return { svc: createMicroservice({ name: 'shop', version: '1.0.0', instanceId: 'shop-1', transport: t }), t };
}

async function description(svc: Microservice, t: RecordingTransport): Promise<ServiceDescription> {
  await svc.start();
  const answer = await t.get(DESCRIPTION_PATH);
  assert.is(answer.status, 200);
  await svc.stop();
  return JSON.parse(new TextDecoder().decode(answer.body)) as ServiceDescription;
}

const test = suite('service description');

test('zod schemas become JSON Schema 2020-12: what requests send (input), what responses return (output)', async () => {
  const { svc, t } = make();
  svc.post('/orders', async () => ({ status: 201, json: { id: 1 } }), {
    summary: 'Create an order',
    tags: ['orders'],
    query: z.object({ limit: z.coerce.number().int().optional() }),
    body: z.object({ sku: z.string().min(1), qty: z.number().int().default(1) }),
    responses: { 201: { description: 'created', body: z.object({ id: z.number().int() }) } },
  });
  const d = await description(svc, t);
  const op = d.operations[0];
  assert.is(op?.summary, 'Create an order');
  assert.equal(op?.tags, ['orders']);
  const body = op?.body?.['application/json'] as Record<string, unknown>;
  assert.is(body.$schema, undefined, 'the dialect marker is left out (the document sets it)');
  assert.equal(body.required, ['sku'], 'input: a field with a default may be left out');
  assert.equal((op?.responses?.['201']?.content?.['application/json'] as Record<string, unknown>).required, ['id']);
  assert.ok((op?.query as Record<string, unknown>).properties);
});

test('HELLO carries the hash of the description the SDK answers with, and an endpoint without options is still described', async () => {
  const { svc, t } = make();
  svc.get('/items/{id}', async () => ({ status: 200 }));
  svc.post('/items', async () => ({ status: 201 }), { body: { type: 'object' }, deprecated: true });
  await svc.start();
  const answer = await t.get(DESCRIPTION_PATH);
  const d = JSON.parse(new TextDecoder().decode(answer.body)) as ServiceDescription;
  assert.is(t.hello?.descriptionHash, computeDescriptionHash(d));
  assert.is(answer.headers['x-switchyard-description-hash'], t.hello?.descriptionHash);
  assert.equal(d.operations.map((o) => `${o.method} ${o.path}`), ['GET /items/{id}', 'POST /items']);
  assert.is(JSON.stringify(t.hello).includes('"body"'), false, 'HELLO holds no schema');
  assert.is((await t.get(DESCRIPTION_PATH, 'POST')).status, 405);
  await svc.stop();
});

test('the hash ignores declaration order and changes with any schema', () => {
  const a: ServiceDescription = { service: 's', version: '1.0.0', operations: [{ method: 'GET', path: '/a', query: { type: 'object', properties: { x: {}, y: {} } } }, { method: 'GET', path: '/b' }] };
  const b: ServiceDescription = { service: 's', version: '1.0.0', operations: [{ method: 'GET', path: '/b' }, { method: 'GET', path: '/a', query: { properties: { y: {}, x: {} }, type: 'object' } }] };
  const c: ServiceDescription = { service: 's', version: '1.0.0', operations: [{ method: 'GET', path: '/b' }, { method: 'GET', path: '/a', query: { type: 'object', properties: { x: {} } } }] };
  assert.is(computeDescriptionHash(a), computeDescriptionHash(b));
  assert.is.not(computeDescriptionHash(a), computeDescriptionHash(c));
});

test('a schema that cannot become JSON Schema fails where it is declared, naming the endpoint', () => {
  const { svc } = make();
  const opaque: StandardSchemaV1<string> = { '~standard': { version: 1, vendor: 'acme' } };
  const err = (() => {
    try {
      svc.post('/x', async () => ({ status: 200 }), { body: opaque });
    } catch (e) {
      return e as Error & { code?: string };
    }
    return undefined;
  })();
  assert.is(err?.code, ERROR_CODES.InvalidArgument);
  assert.match(err?.message ?? '', /body schema of POST \/x is a acme Standard Schema that cannot produce JSON Schema/);
  assert.throws(() => svc.get('/y', async () => ({ status: 200 }), { query: { type: 'object', default: 10n } as never }), /query schema of GET \/y is not JSON-serializable/);
  assert.throws(() => svc.get(DESCRIPTION_PATH, async () => ({ status: 200 })), /is reserved/);
});

test.run();
