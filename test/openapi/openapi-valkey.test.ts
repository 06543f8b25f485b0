/**
 * The aggregated OpenAPI document over the Messaging transport on a real Valkey-compatible server
 * (the harness server): two services, one of them in two versions, with schemas given as JSON
 * Schema and as zod. The documents are checked by an external OpenAPI 3.1 validator
 * (@seriousme/openapi-schema-validator), and they follow the registry: a service restarted with
 * a new endpoint appears, a departed version disappears, a description is fetched once per hash.
 */
import { randomUUID } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { silentLogger } from '@switchyard/core';
import { createGateway, parseGatewayConfig, type Gateway } from '@switchyard/gateway';
import { createMicroserviceFromConfig, type Microservice } from '@switchyard/microservice';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { eventually } from '../harness/wait.js';

const server = await requireValkeyOrSkip('OpenAPI over Valkey Messaging');

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; parameters?: Array<{ name: string; in: string }>; security?: unknown; 'x-switchyard-version'?: string }>>;
  components: { securitySchemes?: Record<string, unknown> };
};

interface Ctx {
  config: Awaited<ReturnType<typeof parseGatewayConfig>>;
  gateway: Gateway;
  url: string;
  entry: { type: string } & Record<string, unknown>;
  services: Microservice[];
}

async function service(ctx: Ctx, name: string, version: string, setup: (svc: Microservice) => void): Promise<Microservice> {
  // Heartbeats every 500 ms: a restarted gateway re-learns instances from them (RESYNC → HELLO).
  const svc = await createMicroserviceFromConfig({ service: { name, version, heartbeatIntervalMs: 500 }, transports: [ctx.entry] }, { logger: silentLogger });
  setup(svc);
  await svc.start();
  ctx.services.push(svc);
  return svc;
}

const item = { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } } as const;

function catalog(version: string, extra?: (svc: Microservice) => void): (svc: Microservice) => void {
  return (svc) => {
    svc.get('/items/{id}', async (req) => ({ status: 200, json: { id: req.params.id, name: 'x' } }), {
      summary: 'One item',
      params: { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z0-9-]+$' } } },
      responses: { 200: { description: 'the item', body: item } },
    });
    svc.post('/items', async (req) => ({ status: 201, json: req.json() }), {
      summary: 'Create an item',
      body: z.object({ name: z.string().min(1), tags: z.array(z.string()).optional() }),
      requiringClaims: [{ claim: 'role', value: 'editor' }],
    });
    if (version.startsWith('1.')) svc.get('/items/legacy/{path...}', async () => ({ status: 410, json: {} }));
    extra?.(svc);
  };
}

function orders(extra?: (svc: Microservice) => void): (svc: Microservice) => void {
  return (svc) => {
    svc.get('/orders', async () => ({ status: 200, json: [] }), {
      tags: ['orders'],
      query: z.object({ limit: z.coerce.number().int().min(1).max(100).optional(), status: z.enum(['open', 'closed']).optional() }),
    });
    svc.get('/orders/{orderId}', async (req) => ({ status: 200, json: { id: req.params.orderId } }));
    extra?.(svc);
  };
}

async function getDoc(url: string, path = '/openapi.json'): Promise<Doc> {
  const res = await fetch(`${url}${path}`);
  assert.is(res.status, 200, `GET ${path}`);
  return (await res.json()) as Doc;
}

async function assertValidOpenApi(doc: unknown, what: string): Promise<void> {
  const validator = new Validator();
  // A copy: resolveRefs() below replaces references in place.
  const result = await validator.validate(structuredClone(doc) as Record<string, unknown>);
  assert.ok(result.valid, `${what} is not valid OpenAPI: ${JSON.stringify(result.errors, null, 1)?.slice(0, 2_000)}`);
  assert.is(validator.version, '3.1', `${what} should be validated as OpenAPI 3.1`);
  // Every $ref must resolve inside the document.
  validator.resolveRefs();
}

const operationsOf = (doc: Doc): string[] =>
  Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();

async function metric(url: string, line: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found === undefined ? 0 : Number(found.slice(line.length).trim());
}

if (server === null) {
  const skipped = suite('OpenAPI over Valkey Messaging (SKIPPED: no server)');
  skipped.skip('every OpenAPI scenario', () => undefined);
  skipped.run();
} else {
  const openapi = suite<Ctx>('the aggregated OpenAPI document over Valkey Messaging', {} as Ctx);

  openapi.before.each(async (ctx) => {
    ctx.entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix: `t-${randomUUID().slice(0, 8)}` }, auth: authSection(newKeys()) };
    ctx.services = [];
    const config = await parseGatewayConfig({
      node: { id: `gw-${randomUUID().slice(0, 8)}` },
      http: { host: '127.0.0.1', port: 0 },
      transports: [ctx.entry],
      auth: { jwt: { secret: 'openapi-test-secret-with-32-bytes-or-more' } },
    });
    ctx.config = config;
    ctx.gateway = await createGateway(config, { logger: silentLogger });
    ctx.url = await ctx.gateway.start();
    await service(ctx, 'catalog', '1.0.0', catalog('1.0.0'));
    await service(ctx, 'catalog', '2.0.0', catalog('2.0.0'));
    await service(ctx, 'orders', '1.0.0', orders());
    await eventually(async () => operationsOf(await getDoc(ctx.url)).length === 4 && (await getDoc(ctx.url, '/openapi/catalog/1.0.0.json')).paths['/items/legacy/{path}'] !== undefined, {
      within: 10_000,
      what: 'every service to appear in /openapi.json',
    });
  });
  openapi.after.each(async (ctx) => {
    for (const s of ctx.services) await s.stop();
    await ctx.gateway.stop();
  });
  openapi.after(() => server.stop());

  openapi('/openapi.json holds the default version of every service and passes an OpenAPI 3.1 validator', async (ctx) => {
    const doc = await getDoc(ctx.url);
    await assertValidOpenApi(doc, '/openapi.json');
    assert.equal(operationsOf(doc), ['GET /items/{id}', 'GET /orders', 'GET /orders/{orderId}', 'POST /items']);
    const getItem = doc.paths['/items/{id}']?.get;
    assert.is(getItem?.['x-switchyard-version'], '2.0.0', 'the main document shows the highest version of catalog');
    const ids = operationsOf(doc).map((o) => {
      const [method, path] = o.split(' ') as [string, string];
      return doc.paths[path]?.[method.toLowerCase()]?.operationId;
    });
    assert.is(new Set(ids).size, ids.length, `operationIds must be unique: ${ids.join(', ')}`);
    const create = doc.paths['/items']?.post as unknown as { security: unknown; 'x-switchyard-requiring-claims': unknown; requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> }; responses: Record<string, unknown> };
    assert.equal(create.security, [{ bearerAuth: [] }]);
    assert.equal(create['x-switchyard-requiring-claims'], [{ claim: 'role', value: 'editor' }]);
    assert.ok(create.requestBody.content['application/json']?.schema.properties.name, 'the zod body schema is converted to JSON Schema');
    for (const status of ['400', '401', '403', '404', '413', '429', '503', '504']) assert.ok(create.responses[status], `POST /items documents the gateway's ${status}`);
    const list = doc.paths['/orders']?.get;
    assert.equal(list?.parameters?.map((p) => `${p.in}:${p.name}`), ['query:limit', 'query:status']);
    assert.ok(doc.components.securitySchemes?.bearerAuth, 'the JWT bearer scheme is declared');

    const yaml = await fetch(`${ctx.url}/openapi.yaml`);
    assert.match(yaml.headers.get('content-type') ?? '', /yaml/);
    assert.equal(parseYaml(await yaml.text()), doc, '/openapi.yaml is the same document');
  });

  openapi('each service version has its own valid document', async (ctx) => {
    for (const [path, expected] of [
      ['/openapi/catalog/1.0.0.json', ['GET /items/legacy/{path}', 'GET /items/{id}', 'POST /items']],
      ['/openapi/catalog/2.0.0.json', ['GET /items/{id}', 'POST /items']],
      ['/openapi/orders/1.0.0.json', ['GET /orders', 'GET /orders/{orderId}']],
    ] as const) {
      const doc = await getDoc(ctx.url, path);
      await assertValidOpenApi(doc, path);
      assert.equal(operationsOf(doc), [...expected], path);
    }
    assert.is((await fetch(`${ctx.url}/openapi/catalog/9.9.9.json`)).status, 404);
  });

  openapi('a service restarted with a new endpoint appears; departed versions and services disappear', async (ctx) => {
    const before = await metric(ctx.url, 'switchyard_gateway_openapi_rebuilds_total');
    const old = ctx.services.find((s) => s.name === 'orders') as Microservice;
    await old.stop();
    ctx.services.splice(ctx.services.indexOf(old), 1);
    await service(ctx, 'orders', '1.0.0', orders((svc) => svc.delete('/orders/{orderId}', async () => ({ status: 204 }), { summary: 'Cancel an order' })));
    const withDelete = await eventually(async () => {
      const doc = await getDoc(ctx.url);
      return doc.paths['/orders/{orderId}']?.delete !== undefined ? doc : undefined;
    }, { within: 10_000, what: 'DELETE /orders/{orderId} of the restarted orders service to appear' });
    await assertValidOpenApi(withDelete, '/openapi.json after the restart');
    assert.ok((await metric(ctx.url, 'switchyard_gateway_openapi_rebuilds_total')) > before, 'the rebuild metric counts the change');

    const v1 = ctx.services.find((s) => s.name === 'catalog' && s.version === '1.0.0') as Microservice;
    await v1.stop();
    await eventually(async () => (await fetch(`${ctx.url}/openapi/catalog/1.0.0.json`)).status === 404, { within: 10_000, what: 'catalog 1.0.0 to leave' });
    const current = ctx.services.find((s) => s.name === 'orders') as Microservice;
    await current.stop();
    const doc = await eventually(async () => {
      const d = await getDoc(ctx.url);
      return Object.keys(d.paths).some((p) => p.startsWith('/orders')) ? undefined : d;
    }, { within: 10_000, what: 'the departed orders service to leave /openapi.json' });
    assert.equal(operationsOf(doc), ['GET /items/{id}', 'POST /items']);
    ctx.services = ctx.services.filter((s) => s !== v1 && s !== current);
  });

  openapi('instances with one description cost one fetch; the reserved description path is not routable', async (ctx) => {
    const fetched = 'switchyard_gateway_description_fetches_total{outcome="ok"}';
    const first = await metric(ctx.url, fetched);
    assert.is(first, 3, 'one fetch per distinct description (catalog 1.0.0, catalog 2.0.0, orders 1.0.0)');
    await service(ctx, 'orders', '1.0.0', orders());
    await eventually(() => ctx.gateway.routing.counts().healthy === 4, {
      what: 'the second orders instance to register',
    });
    await getDoc(ctx.url);
    assert.is(await metric(ctx.url, fetched), 3, 'a second instance with the same description is not fetched again');
    assert.is((await fetch(`${ctx.url}/_switchyard/description?hash=x`)).status, 404);
  });

  openapi('a restarted gateway rebuilds the same document from heartbeats, RESYNC and one fetch per description', async (ctx) => {
    const before = await getDoc(ctx.url);
    await ctx.gateway.stop();
    ctx.gateway = await createGateway(ctx.config, { logger: silentLogger });
    ctx.url = await ctx.gateway.start();
    const after = await eventually(async () => {
      const doc = await getDoc(ctx.url);
      return JSON.stringify(doc) === JSON.stringify(before) ? doc : undefined;
    }, { within: 10_000, what: 'the restarted gateway to publish the same document' });
    await assertValidOpenApi(after, '/openapi.json after a gateway restart');
    assert.is(await metric(ctx.url, 'switchyard_gateway_description_fetches_total{outcome="ok"}'), 3);
  });

  openapi.run();
}
