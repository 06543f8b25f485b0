/**
 * The packages work outside this repository: every workspace package is built and `npm pack`ed,
 * then installed from its tarball into fresh projects with npm's isolated layout
 * (`--install-strategy=linked`, where a package sees only what it declares). A project that
 * depends only on @switchyard/gateway runs the installed `switchyard-gateway` bin with a Valkey,
 * a TCP and a memory transport; a second project installs @switchyard/microservice and
 * @switchyard/transport-valkey as the microservice README says and runs that README's example
 * verbatim (its ts block as the service's source, its yaml block as its config, pointed at the
 * test's Valkey by SWITCHYARD_TRANSPORTS__0__VALKEY__URL). A request through the gateway must
 * reach it. Third-party dependencies come from the npm cache first (`--prefer-offline`).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, repoRoot, spawnNode, type TsProcess } from '../harness/process.js';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { eventually } from '../harness/wait.js';

const PACKAGES = ['core', 'transport-memory', 'transport-valkey', 'transport-tcp', 'microservice', 'gateway', 'cli'] as const;

/** Runs a command to completion within `ms`; fails naming it, with its output tail. */
function run(command: string, args: readonly string[], cwd: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`\`${command} ${args.join(' ')}\` in ${cwd} ended with ${code ?? signal}${signal === 'SIGKILL' ? ` (killed after ${ms} ms)` : ''}:\n${out.slice(-3000)}`));
    });
  });
}

/** The first fenced block of `lang` under the heading `heading` in `markdown`. */
function readmeBlock(markdown: string, heading: string, lang: string): string {
  const section = markdown.slice(markdown.indexOf(`## ${heading}`));
  const m = section.match(new RegExp('```' + lang + '\\n([\\s\\S]*?)```'));
  if (m === null) throw new Error(`no \`\`\`${lang} block under "## ${heading}" in the microservice README`);
  return m[1] as string;
}

/** A project with `dependencies` on the given packages, every @switchyard package pinned to its tarball. */
async function installProject(dir: string, tarballs: ReadonlyMap<string, string>, direct: readonly string[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const spec = (name: string): string => `file:${tarballs.get(name) as string}`;
  const pkg = {
    name: 'packed-install-check',
    private: true,
    type: 'module',
    dependencies: Object.fromEntries(direct.map((name) => [name, spec(name)])),
    // The packages depend on each other by version; these pin every one to its tarball, never a registry copy.
    overrides: Object.fromEntries([...tarballs.keys()].map((name) => [name, spec(name)])),
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  await run('npm', ['install', '--install-strategy=linked', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], dir, 150_000);
}

const packed = suite('packed packages installed with the linked layout');
const children: TsProcess[] = [];
let work: string | undefined;

packed.after(async () => {
  for (const c of children) await c.stop('SIGTERM', 5_000);
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

const valkey = await requireValkeyOrSkip('packed-install test');
if (valkey === null) {
  packed.skip('a project depending only on @switchyard/gateway serves a README-written service', () => undefined);
} else {
  packed.after(() => valkey.stop());
  packed('a project depending only on @switchyard/gateway serves a README-written service', async () => {
    work = mkdtempSync(join(tmpdir(), 'sy-packed-'));
    await run('npm', ['run', 'build'], repoRoot, 120_000);
    const packDir = join(work, 'tarballs');
    mkdirSync(packDir);
    await run('npm', ['pack', '--pack-destination', packDir, ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`])], repoRoot, 60_000);
    const tarballs = new Map<string, string>();
    for (const file of readdirSync(packDir)) {
      const m = file.match(/^switchyard-(.+)-\d+\.\d+\.\d+\.tgz$/);
      if (m !== null) tarballs.set(`@switchyard/${m[1] as string}`, join(packDir, file));
    }
    assert.equal([...tarballs.keys()].sort(), PACKAGES.map((p) => `@switchyard/${p}`).sort(), 'one tarball per package');

    const gwDir = join(work, 'gateway-project');
    const svcDir = join(work, 'service-project');
    const cliDir = join(work, 'cli-project');
    await Promise.all([
      installProject(gwDir, tarballs, ['@switchyard/gateway']),
      installProject(svcDir, tarballs, ['@switchyard/microservice', '@switchyard/transport-valkey']),
      installProject(cliDir, tarballs, ['@switchyard/cli']),
    ]);
    assert.ok(existsSync(join(gwDir, 'node_modules/@switchyard/gateway/console-dist/index.html')), '@switchyard/gateway ships the console bundle');
    const cliHelp = await run(join(cliDir, 'node_modules/.bin/switchyard'), ['--help'], cliDir, 30_000);
    assert.match(cliHelp, /dlq/, 'the installed `switchyard` bin runs and lists its commands');
    assert.equal(readdirSync(join(gwDir, 'node_modules/@switchyard')), ['gateway'], 'the gateway project sees only @switchyard/gateway (linked layout)');
    const installedValkey = join(svcDir, 'node_modules/@switchyard/transport-valkey');
    for (const f of ['LICENSE', 'dist/scripts/fenced-ack.lua', 'dist/scripts/lib-held.lua']) assert.ok(existsSync(join(installedValkey, f)), `@switchyard/transport-valkey ships ${f}`);

    // The gateway starts every transport package it declares, from its installed bin: first memory
    // (one messaging transport per gateway), then Valkey and TCP, which serves the request below.
    writeFileSync(
      join(gwDir, 'memory.json'),
      JSON.stringify({ node: { id: 'gw-packed-memory' }, http: { host: '127.0.0.1', port: 0 }, transports: [{ type: 'messaging', backend: 'memory' }] }),
    );
    const memoryGateway = spawnNode([], join(gwDir, 'node_modules/.bin/switchyard-gateway'), ['--config', 'memory.json'], {}, gwDir);
    children.push(memoryGateway);
    await memoryGateway.waitFor(/gateway listening on/, 30_000);
    assert.is(await memoryGateway.stop(), 0, 'the memory gateway stops cleanly');

    const tcpPort = await freePort();
    writeFileSync(
      join(gwDir, 'gateway.json'),
      JSON.stringify({
        node: { id: 'gw-packed', region: 'local' },
        http: { host: '127.0.0.1', port: 0 },
        transports: [
          {
            type: 'messaging',
            backend: 'valkey',
            valkey: { url: valkey.url },
            queues: { prefix: 'switchyard' },
            auth: { gatewayKey: { env: 'SWITCHYARD_GATEWAY_KEY' }, instanceKey: { env: 'SWITCHYARD_INSTANCE_KEY' } },
          },
          { type: 'tcp', host: '127.0.0.1', port: tcpPort },
        ],
        auth: { anonymous: { subject: 'anonymous' } },
      }),
    );
    // The frame keys both sides read from the environment, as the README's service.yaml names them.
    const keys = { SWITCHYARD_GATEWAY_KEY: randomBytes(32).toString('hex'), SWITCHYARD_INSTANCE_KEY: randomBytes(32).toString('hex') };
    const gateway = spawnNode([], join(gwDir, 'node_modules/.bin/switchyard-gateway'), ['--config', 'gateway.json'], keys, gwDir);
    children.push(gateway);
    const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;

    // The service: the microservice README's example, verbatim, with its config file; the env var points it at our Valkey.
    const readme = readFileSync(join(svcDir, 'node_modules/@switchyard/microservice/README.md'), 'utf8');
    writeFileSync(join(svcDir, 'service.mjs'), readmeBlock(readme, 'Smallest working example', 'ts'));
    writeFileSync(join(svcDir, 'service.yaml'), readmeBlock(readme, 'Smallest working example', 'yaml'));
    const service = spawnNode([], 'service.mjs', [], { ...keys, SWITCHYARD_TRANSPORTS__0__VALKEY__URL: valkey.url }, svcDir);
    children.push(service);

    const res = await eventually(
      async () => {
        if (service.child.exitCode !== null) throw new Error(`the service exited (${service.child.exitCode}):\n${service.output()}`);
        const r = await fetch(`${url}/invoices/42`);
        return r.status === 200 ? r : undefined;
      },
      { within: 30_000, every: 200, what: `GET ${url}/invoices/42 to answer 200 from the installed service (service output: ${service.output().slice(-500)})` },
    );
    const body = (await res.json()) as { id: string; by: string };
    assert.is(body.id, '42');
    assert.match(body.by, /^billing-[0-9a-f]{12}$/);
  });
}

packed.run();
