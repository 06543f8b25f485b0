/**
 * Request validation before dispatch (docs/operations.md, "Request validation"): a real gateway
 * on port 0, the Messaging transport on the memory backend, and a real SDK service whose
 * handler counts its calls, so "never dispatched" is observed at the handler.
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { silentLogger } from '@switchyard/core';
import { createMicroserviceFromConfig, type Microservice } from '@switchyard/microservice';
import { createGateway, parseGatewayConfig, type Gateway } from '../src/index.js';
import { eventually } from '../../../test/harness/wait.js';

interface Ctx {
  gateway: Gateway;
  url: string;
  svc: Microservice;
  calls: number;
}

interface Problem {
  error: { code: string; requestId: string; errors: Array<{ pointer: string; keyword: string; message: string }> };
}

async function start(ctx: Ctx, validation: 'off' | 'requests' | 'requests-and-responses'): Promise<void> {
  const ns = `validation-${randomUUID()}`;
  const transport = { type: 'messaging', backend: 'memory', memory: { namespace: ns } };
  ctx.calls = 0;
  ctx.gateway = await createGateway(await parseGatewayConfig({ http: { host: '127.0.0.1', port: 0 }, transports: [transport], validation }), { logger: silentLogger });
  ctx.url = await ctx.gateway.start();
  ctx.svc = await createMicroserviceFromConfig({ service: { name: 'shop', version: '1.0.0' }, transports: [transport] }, { logger: silentLogger });
  ctx.svc.post(
    '/shops/{shopId}/orders',
    async (req) => {
      ctx.calls++;
      const order = req.json();
      return { status: 201, json: { shop: req.params.shopId, items: order.items.length } };
    },
    {
      params: { type: 'object', properties: { shopId: { type: 'integer', minimum: 1 } } },
      query: z.object({ dryRun: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().max(10) }),
      body: z.object({ customer: z.string().min(2), items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })).min(1) }),
      responses: { 201: { body: { type: 'object', required: ['shop', 'items'], properties: { shop: { type: 'string' }, items: { type: 'integer' } } } } },
    },
  );
  ctx.svc.get('/shops/{shopId}/broken', async () => {
    ctx.calls++;
    return { status: 200, json: { wrong: true } };
  }, { responses: { 200: { body: { type: 'object', required: ['name'] } } } });
  await ctx.svc.start();
  // The description arrives a moment after HELLO; the document lists its summary-free operation once it has the schemas.
  await eventually(
    async () => {
      const doc = (await (await fetch(`${ctx.url}/openapi.json`)).json()) as { paths: Record<string, { post?: { requestBody?: unknown } }> };
      return doc.paths['/shops/{shopId}/orders']?.post?.requestBody !== undefined;
    },
    { what: 'the shop description to be fetched' },
  );
}

const order = (body: unknown, path = '/shops/7/orders?limit=3', url = ''): Promise<Response> =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const validating = suite<Ctx>('validation: requests', {} as Ctx);
validating.before(async (ctx) => start(ctx, 'requests'));
validating.after(async (ctx) => {
  await ctx.svc.stop();
  await ctx.gateway.stop();
});

validating('a valid request reaches the handler, with query and params coerced only for validation', async (ctx) => {
  const res = await order({ customer: 'ann', items: [{ sku: 'a', qty: 2 }] }, '/shops/7/orders?limit=3', ctx.url);
  assert.is(res.status, 201);
  assert.equal(await res.json(), { shop: '7', items: 1 });
  assert.is(ctx.calls, 1);
});

validating('invalid params, query and body get one 400 listing every error, and the handler is never called', async (ctx) => {
  const before = ctx.calls;
  const res = await order({ customer: 'a', items: [{ sku: 'a', qty: 0 }], extra: 1 }, '/shops/0/orders?limit=99&dryRun=maybe', ctx.url);
  assert.is(res.status, 400);
  const problem = (await res.json()) as Problem;
  assert.is(problem.error.code, 'SY_GATEWAY_INVALID_REQUEST');
  assert.is(problem.error.requestId, res.headers.get('x-request-id'));
  const found = problem.error.errors.map((e) => `${e.pointer} ${e.keyword}`).sort();
  assert.equal(found, ['/body/customer minLength', '/body/items/0/qty exclusiveMinimum', '/params/shopId minimum', '/query/dryRun enum', '/query/limit maximum']);
  for (const e of problem.error.errors) assert.ok(e.message.length > 0, `${e.pointer} has a message`);
  assert.is(ctx.calls, before, 'the handler was not called');
});

validating('a missing required field is reported at its own pointer', async (ctx) => {
  const before = ctx.calls;
  const res = await order({ items: [] }, '/shops/3/orders', ctx.url);
  assert.is(res.status, 400);
  const found = ((await res.json()) as Problem).error.errors.map((e) => `${e.pointer} ${e.keyword}`).sort();
  assert.equal(found, ['/body/customer required', '/body/items minItems', '/query/limit required']);
  assert.is(ctx.calls, before);
});

validating('a body that is not JSON, or of an undeclared content type, or missing, is rejected before dispatch', async (ctx) => {
  const before = ctx.calls;
  const post = (body: string | undefined, type?: string) =>
    fetch(`${ctx.url}/shops/3/orders?limit=1`, { method: 'POST', headers: type === undefined ? {} : { 'content-type': type }, ...(body === undefined ? {} : { body }) });
  const notJson = (await (await post('{nope', 'application/json')).json()) as Problem;
  assert.equal(notJson.error.errors.map((e) => `${e.pointer} ${e.keyword}`), ['/body json']);
  const wrongType = (await (await post('hello', 'text/plain')).json()) as Problem;
  assert.equal(wrongType.error.errors.map((e) => `${e.pointer} ${e.keyword}`), ['/headers/content-type enum']);
  const missing = (await (await post(undefined)).json()) as Problem;
  assert.equal(missing.error.errors.map((e) => `${e.pointer} ${e.keyword}`), ['/body required']);
  assert.is(ctx.calls, before);
});

validating('responses are not validated unless configured', async (ctx) => {
  const res = await fetch(`${ctx.url}/shops/1/broken`);
  assert.is(res.status, 200);
  assert.is(res.headers.get('x-switchyard-response-invalid'), null);
});

validating.run();

const off = suite<Ctx>('validation: off', {} as Ctx);
off.before(async (ctx) => start(ctx, 'off'));
off.after(async (ctx) => {
  await ctx.svc.stop();
  await ctx.gateway.stop();
});

off('an invalid request is dispatched as it is', async (ctx) => {
  const res = await order({ customer: 'a', items: [{ sku: 'a', qty: 0 }] }, '/shops/0/orders?limit=99', ctx.url);
  assert.is(res.status, 201);
  assert.is(ctx.calls, 1);
});

off.run();

const responses = suite<Ctx>('validation: requests-and-responses', {} as Ctx);
responses.before(async (ctx) => start(ctx, 'requests-and-responses'));
responses.after(async (ctx) => {
  await ctx.svc.stop();
  await ctx.gateway.stop();
});

responses('a response that does not match its declared schema is passed on, marked and counted', async (ctx) => {
  const res = await fetch(`${ctx.url}/shops/1/broken`);
  assert.is(res.status, 200);
  assert.equal(await res.json(), { wrong: true });
  assert.is(res.headers.get('x-switchyard-response-invalid'), '1');
  const metrics = await (await fetch(`${ctx.url}/metrics`)).text();
  assert.match(metrics, /switchyard_gateway_invalid_responses_total 1/);
});

responses('a response that matches is passed on unmarked', async (ctx) => {
  const res = await order({ customer: 'ann', items: [{ sku: 'a', qty: 1 }] }, '/shops/2/orders?limit=1', ctx.url);
  assert.is(res.status, 201);
  assert.is(res.headers.get('x-switchyard-response-invalid'), null);
});

responses.run();
