/**
 * The Helm chart (issue 5 item 6). With a `helm` binary (SWITCHYARD_HELM, else `helm` on PATH)
 * this runs `helm lint` and `helm template`, and checks the rendered objects, including that the
 * rendered gateway config passes the gateway's own config parser. Without one, every render check
 * is registered as skipped (uvu counts it under "Skipped") after a banner giving the reason, and
 * only the static checks run.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { parse, parseAllDocuments } from 'yaml';
import { parseGatewayConfig } from '@switchyard/gateway';
import { repoRoot } from '../harness/process.js';
import { loudSkip } from '../harness/skip.js';

const chartDir = join(repoRoot, 'deploy/helm/switchyard');

type Obj = Record<string, unknown>;
/** Follows a dotted path (numbers index arrays); undefined when any step is missing. */
function at(value: unknown, path: string): unknown {
  let v: unknown = value;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Obj)[key];
  }
  return v;
}

function helmBinary(): string | undefined {
  const candidates = [process.env.SWITCHYARD_HELM, 'helm'].filter((c): c is string => c !== undefined && c !== '');
  for (const bin of candidates) {
    const r = spawnSync(bin, ['version', '--short'], { encoding: 'utf8' });
    if (r.status === 0) return bin;
  }
  return undefined;
}

const staticChecks = suite('helm chart files');

staticChecks('Chart.yaml is an application chart with semver versions', () => {
  const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Obj;
  assert.is(chart.apiVersion, 'v2');
  assert.is(chart.name, 'switchyard');
  assert.ok(semver.valid(chart.version as string));
});

staticChecks('values hold a gateway config that the gateway parser accepts once transports are added', async () => {
  const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Obj;
  const config = {
    node: { region: at(values, 'gateway.region') },
    // As _helpers.tpl writes the entry: the frame keys are files of the mounted frame-keys Secret.
    transports: [
      {
        type: 'messaging',
        backend: 'valkey',
        valkey: { url: 'redis://x:6379/0' },
        queues: at(values, 'messaging.queues'),
        auth: {
          gatewayKey: { file: `/run/secrets/switchyard/${String(at(values, 'frameKeys.gatewayKeyName'))}` },
          instanceKey: { file: `/run/secrets/switchyard/${String(at(values, 'frameKeys.instanceKeyName'))}` },
        },
      },
    ],
    ...(at(values, 'gateway.config') as Obj),
  };
  const parsed = await parseGatewayConfig(config, { SWITCHYARD_NODE__ID: 'demo-switchyard-gateway-5d9c7-abcde' });
  assert.is(parsed.node.id, 'demo-switchyard-gateway-5d9c7-abcde', 'a pod name is a valid node id');
  assert.ok((at(values, 'gateway.replicaCount') as number) >= 2, 'two gateway replicas by default');
});

staticChecks('the templates cover the Valkey StatefulSet, the gateway and echo Deployments and their ConfigMaps', () => {
  const files = readdirSync(join(chartDir, 'templates')).sort();
  for (const f of ['valkey-statefulset.yaml', 'valkey-service.yaml', 'gateway-deployment.yaml', 'gateway-configmap.yaml', 'gateway-service.yaml', 'echo-deployment.yaml', 'echo-configmap.yaml']) {
    assert.ok(files.includes(f), `templates/${f}`);
  }
});

const helm = helmBinary();
const renderSuite = suite('helm lint and helm template');
/** Without helm every render check is registered as skipped, not run as a pass. */
const rendered = helm === undefined ? renderSuite.skip : renderSuite;
if (helm === undefined) {
  loudSkip('helm lint / helm template (every render check below)', 'no helm binary found: SWITCHYARD_HELM is unset and `helm` is not on PATH', [
    'Install helm (https://helm.sh/docs/intro/install/) or set SWITCHYARD_HELM to its path to run them.',
  ]);
}

function template(...sets: string[]): Obj[] {
  const args = ['template', 'demo', chartDir, ...sets.flatMap((s) => ['--set', s])];
  const r = spawnSync(helm as string, args, { encoding: 'utf8' });
  assert.is(r.status, 0, `helm ${args.join(' ')} failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);
}

/** A ConfigMap's file content (keys like `gateway.yaml` contain dots, so not through at()). */
const dataFile = (cm: Obj | undefined, file: string): string => (at(cm, 'data') as Record<string, string>)[file] as string;

const find = (objs: Obj[], kind: string, nameSuffix: string): Obj | undefined =>
  objs.find((o) => o.kind === kind && String(at(o, 'metadata.name')).endsWith(nameSuffix));

rendered('helm lint passes', () => {
  const r = spawnSync(helm as string, ['lint', chartDir], { encoding: 'utf8' });
  assert.is(r.status, 0, `helm lint failed:\n${r.stdout}\n${r.stderr}`);
});

rendered('Valkey is a StatefulSet with AOF on and its data on a PersistentVolumeClaim', () => {
  const objs = template();
  const sts = find(objs, 'StatefulSet', '-valkey') as Obj;
  assert.ok(sts, 'a valkey StatefulSet');
  const args = at(sts, 'spec.template.spec.containers.0.args') as string[];
  assert.is(args[args.indexOf('--appendonly') + 1], 'yes');
  assert.is(at(sts, 'spec.volumeClaimTemplates.0.metadata.name'), 'data');
  assert.is(at(sts, 'spec.template.spec.containers.0.volumeMounts.0.mountPath'), '/data');
  assert.ok(find(objs, 'Service', '-valkey'), 'a valkey Service');
});

rendered('the gateway Deployment takes a unique node id from the pod name and probes /health/ready and /health/live', () => {
  const objs = template();
  const dep = find(objs, 'Deployment', '-gateway') as Obj;
  assert.ok(dep, 'a gateway Deployment');
  assert.is(at(dep, 'spec.replicas'), 2);
  const container = at(dep, 'spec.template.spec.containers.0') as Obj;
  const nodeId = (container.env as Obj[]).find((e) => e.name === 'SWITCHYARD_NODE__ID');
  assert.is(at(nodeId, 'valueFrom.fieldRef.fieldPath'), 'metadata.name');
  assert.is(at(container, 'readinessProbe.httpGet.path'), '/health/ready');
  assert.is(at(container, 'livenessProbe.httpGet.path'), '/health/live');
  assert.equal(container.command, ['node', 'packages/gateway/dist/cli.js', '--config', '/etc/switchyard/gateway.yaml']);
});

rendered('the rendered gateway config passes the gateway config parser and points at the in-chart Valkey', async () => {
  const objs = template();
  const cm = find(objs, 'ConfigMap', '-gateway') as Obj;
  const config = await parseGatewayConfig(parse(dataFile(cm, 'gateway.yaml')), { SWITCHYARD_NODE__ID: 'demo-switchyard-gateway-abc' });
  const transport = config.transports[0] as Obj;
  assert.is(transport.type, 'messaging');
  assert.is(transport.backend, 'valkey');
  assert.is(at(transport, 'valkey.url'), 'redis://demo-switchyard-valkey:6379/0');
  assert.is(at(transport, 'queues.deadLetterSuffix'), ':dlq');
  assert.equal(config.health.requiredServices, ['echo']);
});

rendered('the echo Deployment runs the echo CLI with the pod name as instance id, over the same transport entry', () => {
  const objs = template();
  const dep = find(objs, 'Deployment', '-echo') as Obj;
  const container = at(dep, 'spec.template.spec.containers.0') as Obj;
  assert.equal(container.command, ['node', 'examples/echo/dist/main.js', '--config', '/etc/switchyard/echo.yaml']);
  const id = (container.env as Obj[]).find((e) => e.name === 'SWITCHYARD_INSTANCE_ID');
  assert.is(at(id, 'valueFrom.fieldRef.fieldPath'), 'metadata.name');
  const echo = parse(dataFile(find(objs, 'ConfigMap', '-echo'), 'echo.yaml')) as Obj;
  const gateway = parse(dataFile(find(objs, 'ConfigMap', '-gateway'), 'gateway.yaml')) as Obj;
  assert.equal(at(echo, 'transports'), at(gateway, 'transports'));
  assert.is(at(echo, 'service.name'), 'echo');
});

rendered('with valkey.externalUrl no Valkey is deployed and both configs use that URL', () => {
  const objs = template('valkey.externalUrl=rediss://user:pw@cache.example:6380/2');
  assert.is(find(objs, 'StatefulSet', '-valkey'), undefined);
  const gateway = parse(dataFile(find(objs, 'ConfigMap', '-gateway'), 'gateway.yaml')) as Obj;
  assert.is(at(gateway, 'transports.0.valkey.url'), 'rediss://user:pw@cache.example:6380/2');
});

staticChecks.run();
renderSuite.run();
