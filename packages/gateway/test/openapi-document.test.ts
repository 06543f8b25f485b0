/**
 * The aggregated document's rules on their own (docs/operations.md, "OpenAPI and /docs"), built
 * from a real RoutingState fed HELLOs: default versions, conflicts reported rather than merged,
 * one path item per route shape, `$defs` hoisted so every `$ref` resolves. Each document is also
 * checked by the external OpenAPI 3.1 validator.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import {
  ManualClock,
  TransportType,
  computeEndpointsHash,
  newFrameId,
  silentLogger,
  type EndpointDescriptor,
  type OperationDescription,
} from '@switchyard/core';
import { RoutingState } from '@switchyard/core/internal';
import { buildDocuments, defaultVersion, type OpenApiDocuments } from '../src/openapi/document-builder.js';

interface Declared {
  service: string;
  version: string;
  endpoints: Array<Partial<EndpointDescriptor> & { method: EndpointDescriptor['method']; path: string }>;
  operations?: OperationDescription[];
}

function build(declared: Declared[], defaultVersions: Record<string, string> = {}, jwt = false): OpenApiDocuments {
  const clock = new ManualClock(1_000);
  const routing = new RoutingState({ clock, logger: silentLogger, degradedAfterMs: 15_000, staleAfterMs: 30_000, defaultVersions });
  const descriptions = new Map<string, { operations: OperationDescription[] }>();
  declared.forEach((d, i) => {
    const instanceId = `${d.service}-${d.version}-${i}`;
    const endpoints: EndpointDescriptor[] = d.endpoints.map((e) => ({ requiringClaims: [], streaming: false, ...e }));
    routing.applyControl(
      {
        v: 1,
        type: 'HELLO',
        id: newFrameId(),
        sentAt: clock.now(),
        payload: { instance: { service: d.service, version: d.version, region: 'r', instanceId, address: 'a' }, endpoints, endpointsHash: computeEndpointsHash(endpoints) },
      },
      { transport: TransportType.InMemory, address: instanceId },
    );
    if (d.operations !== undefined) descriptions.set(instanceId, { operations: d.operations });
    clock.advance(1);
  });
  return buildDocuments({
    snapshot: routing.snapshot(),
    instance: (id) => routing.instance(id),
    descriptionOf: (id) => descriptions.get(id),
    defaultVersions,
    jwt,
  });
}

async function assertValid(doc: unknown, what: string): Promise<void> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc) as Record<string, unknown>);
  assert.ok(result.valid, `${what}: ${JSON.stringify(result.errors)?.slice(0, 1_500)}`);
  validator.resolveRefs();
}

type Paths = Record<string, Record<string, { operationId: string; parameters?: Array<{ name: string; in: string; schema: unknown }>; [k: string]: unknown }>>;
const paths = (doc: Record<string, unknown>): Paths => doc.paths as Paths;

const test = suite('OpenAPI document rules');

test('the main document takes the configured default version, else the highest release', async () => {
  const docs = build(
    [
      { service: 'a', version: '1.0.0', endpoints: [{ method: 'GET', path: '/a/one' }] },
      { service: 'a', version: '2.0.0', endpoints: [{ method: 'GET', path: '/a/two' }] },
      { service: 'b', version: '1.0.0', endpoints: [{ method: 'GET', path: '/b/one' }] },
      { service: 'b', version: '1.1.0-rc.1', endpoints: [{ method: 'GET', path: '/b/rc' }] },
    ],
    { a: '^1' },
  );
  assert.equal(Object.keys(paths(docs.main)).sort(), ['/a/one', '/b/one']);
  assert.equal([...docs.versions.keys()].sort(), ['a/1.0.0', 'a/2.0.0', 'b/1.0.0', 'b/1.1.0-rc.1']);
  assert.is(defaultVersion(['1.1.0-rc.1'], undefined), '1.1.0-rc.1', 'a pre-release when nothing else is registered');
  const pinned = paths(docs.versions.get('a/2.0.0') as Record<string, unknown>)['/a/two']?.get?.parameters?.find((p) => p.name === 'x-switchyard-version');
  assert.equal(pinned?.schema, { type: 'string', default: '2.0.0' }, "a version's document sends requests to that version");
  assert.is(paths(docs.main)['/a/one']?.get?.parameters, undefined, 'the main document does not pin versions');
  await assertValid(docs.versions.get('a/2.0.0'), 'a/2.0.0');
  await assertValid(docs.main, 'main');
});

test('a route two services declare is served by one and the other is reported, not merged', async () => {
  const docs = build([
    { service: 'first', version: '1.0.0', endpoints: [{ method: 'GET', path: '/things/{id}' }] },
    { service: 'second', version: '1.0.0', endpoints: [{ method: 'GET', path: '/things/{key}' }, { method: 'DELETE', path: '/things/{key}' }] },
  ]);
  const conflicts = docs.main['x-switchyard-conflicts'] as Array<Record<string, unknown>>;
  assert.equal(conflicts, [{ kind: 'route', method: 'GET', path: '/things/{key}', servedBy: 'first', shadowed: 'second' }]);
  const item = paths(docs.main)['/things/{id}'];
  assert.equal(Object.keys(item ?? {}).sort(), ['delete', 'get'], 'one path item per shape: DELETE of the other service joins it');
  assert.equal(item?.delete?.parameters?.map((p) => p.name), ['id'], "the other service's parameter takes the path item's name");
  assert.is(paths(docs.main)['/things/{key}'], undefined);
  await assertValid(docs.main, 'main');
});

test('an operationId two services want is kept by the first and renamed for the second, and reported', async () => {
  const docs = build([
    { service: 'a', version: '1.0.0', endpoints: [{ method: 'GET', path: '/a' }], operations: [{ method: 'GET', path: '/a', operationId: 'list' }] },
    { service: 'b', version: '1.0.0', endpoints: [{ method: 'GET', path: '/b' }], operations: [{ method: 'GET', path: '/b', operationId: 'list' }] },
  ]);
  assert.is(paths(docs.main)['/a']?.get?.operationId, 'list');
  assert.is(paths(docs.main)['/b']?.get?.operationId, 'list_2');
  assert.equal(docs.main['x-switchyard-conflicts'], [{ kind: 'operationId', operationId: 'list', services: ['a', 'b'], renamedTo: 'list_2' }]);
});

test('zod $defs move to components so every $ref resolves; endpoints without a description keep their path parameters', async () => {
  const node: z.ZodType = z.object({ name: z.string(), get children() { return z.array(node); } });
  const body = z.toJSONSchema(z.object({ root: node, other: node }), { target: 'draft-2020-12' }) as Record<string, unknown>;
  assert.ok(body.$defs !== undefined, 'the fixture has $defs');
  const docs = build([
    {
      service: 'tree',
      version: '1.0.0',
      endpoints: [{ method: 'POST', path: '/trees' }, { method: 'GET', path: '/files/{path...}', requiringClaims: [{ claim: 'role', value: 'admin' }] }],
      operations: [{ method: 'POST', path: '/trees', body: { 'application/json': body } }],
    },
  ], {}, true);
  const schemas = (docs.main.components as { schemas: Record<string, unknown> }).schemas;
  assert.ok(Object.keys(schemas).some((k) => k.startsWith('tree_post_trees.body.')), `hoisted: ${Object.keys(schemas).join(', ')}`);
  assert.not.match(JSON.stringify(docs.main), /#\/\$defs\//);
  const files = paths(docs.main)['/files/{path}']?.get;
  assert.equal(files?.parameters?.map((p) => `${p.in}:${p.name}`), ['path:path']);
  assert.equal(files?.security, [{ bearerAuth: [] }]);
  assert.ok((files?.responses as Record<string, unknown>)['401'] !== undefined);
  await assertValid(docs.main, 'main');
});

test.run();
