/**
 * `npm start`: the zero-setup demo. ONE process runs a gateway and the echo service over the
 * Messaging transport on the in-memory backend (the same `namespace` on both sides shares the
 * queues inside this process). Port 8080 unless PORT is set; every gateway key can still be
 * overridden with SWITCHYARD_* variables. On a loopback host the admin API and console are on,
 * with a fresh operator token printed at start.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { CONSOLE_DIST, createGateway, parseGatewayConfig } from '@switchyard/gateway';
import { buildConsole } from '../packages/gateway/scripts/build-console.mjs';
import { createMicroserviceFromConfig } from '@switchyard/microservice';
import { registerEcho } from '../examples/echo/echo-service.js';

const transport = { type: 'messaging', backend: 'memory', memory: { namespace: 'switchyard-demo' } };
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
// Admin access only where nobody else can reach it; the token lives as long as this process.
const adminToken = ['127.0.0.1', 'localhost', '::1'].includes(host) ? randomBytes(18).toString('base64url') : undefined;
if (adminToken !== undefined && !existsSync(new URL('app.js', CONSOLE_DIST))) await buildConsole();

const config = await parseGatewayConfig(
  {
    node: { id: 'demo-gateway', region: 'local' },
    http: { host, port },
    transports: [transport],
    health: { requiredServices: ['echo'] },
    auth: { anonymous: { subject: 'anonymous' } },
    ...(adminToken === undefined ? {} : { admin: { tokens: [{ name: 'demo-operator', role: 'operator', token: adminToken }] } }),
    // The routing view and metrics on their own listener (port 0: any free port, printed below).
    ops: { host: '127.0.0.1', port: 0 },
  },
  process.env,
);

const gateway = await createGateway(config);
const url = await gateway.start();
const echo = await createMicroserviceFromConfig({ service: { name: 'echo', version: '1.0.0', region: 'local' }, transports: [transport] });
registerEcho(echo);
await echo.start();

// The HELLO travels through the queue: wait (bounded) until the gateway routes to the echo service.
const deadline = Date.now() + 10_000;
while (!gateway.readiness().ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

process.stdout.write(
  `\nSwitchyard demo: gateway ${url} → messaging (memory backend) → echo service\n` +
    `  try:     curl ${url}/echo/hello\n` +
    `           curl -X POST ${url}/echo/items -H 'content-type: application/json' -d '{"hello":"world"}'\n` +
    `  routes:  curl ${gateway.opsUrl() ?? url}/_switchyard/routes\n` +
    `  api:     curl ${url}/openapi.json   docs: open ${url}/docs\n` +
    `  health:  curl ${url}/health/ready   metrics: curl ${gateway.opsUrl() ?? url}/metrics\n` +
    (adminToken === undefined
      ? `  admin:   off (the demo turns it on only on a loopback HOST)\n`
      : `  console: ${url}/_switchyard/console#token=${adminToken}\n` +
        `  admin:   token ${adminToken}  e.g. curl -H 'authorization: Bearer ${adminToken}' ${url}/_switchyard/admin/instances\n` +
        `           npm run switchyard -- --gateway ${url} --token ${adminToken} queues\n`) +
    `  Ctrl-C stops it.\n\n`,
);

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  echo
    .stop()
    .then(() => gateway.stop())
    .then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`demo shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
