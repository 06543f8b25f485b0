/**
 * The description exchange is an ordinary REQUEST, so it works on the direct transports as on
 * Messaging: over TCP and over mutual TLS the gateway fetches the echo service's description,
 * publishes it, and validates requests with it.
 */
import { rmSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '@switchyard/core';
import { createGateway, parseGatewayConfig, type Gateway } from '@switchyard/gateway';
import { createMicroserviceFromConfig, type Microservice } from '@switchyard/microservice';
import { registerEcho } from '../../examples/echo/echo-service.js';
import { createTestPki } from '../harness/certs.js';
import { freePort } from '../harness/process.js';
import { eventually } from '../harness/wait.js';

const pki = await createTestPki();
process.on('exit', () => rmSync(pki.dir, { recursive: true, force: true }));

interface Entries {
  gateway: { type: string } & Record<string, unknown>;
  echo: { type: string } & Record<string, unknown>;
}

const transports: Record<string, () => Promise<Entries>> = {
  tcp: async () => {
    const entry = { type: 'tcp', host: '127.0.0.1', port: await freePort() };
    return { gateway: entry, echo: entry };
  },
  tls: async () => {
    const port = await freePort();
    return {
      gateway: { type: 'tls', host: '127.0.0.1', port, cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requireClientCert: true },
      echo: { type: 'tls', host: '127.0.0.1', port, cert: pki.client.cert, key: pki.client.key, ca: pki.ca.cert },
    };
  },
};

for (const [name, entries] of Object.entries(transports)) {
  const test = suite<{ gateway: Gateway; echo: Microservice; url: string }>(`description exchange over ${name}`, {} as never);
  test.before(async (ctx) => {
    const e = await entries();
    ctx.gateway = await createGateway(await parseGatewayConfig({ http: { host: '127.0.0.1', port: 0 }, transports: [e.gateway] }), { logger: silentLogger });
    ctx.url = await ctx.gateway.start();
    ctx.echo = await createMicroserviceFromConfig({ service: { name: 'echo', version: '1.0.0' }, transports: [e.echo] }, { logger: silentLogger });
    registerEcho(ctx.echo);
    ctx.echo.get('/{rest...}', async () => ({ status: 200, json: { caughtAll: true } }), { summary: 'Anything else' });
    await ctx.echo.start();
  });
  test.after(async (ctx) => {
    await ctx.echo.stop();
    await ctx.gateway.stop();
  });

  test('the echo description is fetched, published and used to validate', async (ctx) => {
    const doc = await eventually(async () => {
      const d = (await (await fetch(`${ctx.url}/openapi.json`)).json()) as { paths: Record<string, { post?: { summary?: string } }> };
      return d.paths['/echo/validated']?.post?.summary === undefined ? undefined : d;
    }, { within: 10_000, what: `the echo description over ${name}` });
    assert.is(doc.paths['/echo/validated']?.post?.summary, 'Echoes a JSON body the gateway has validated');
    const bad = await fetch(`${ctx.url}/echo/validated`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data":1,"x":2}' });
    assert.is(bad.status, 400);
    const good = await fetch(`${ctx.url}/echo/validated`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data":"hi"}' });
    assert.is(good.status, 200);
    assert.is(((await good.json()) as { body: string }).body, '{"data":"hi"}');
  });

  test('the reserved description path is answered 404 by the gateway in every spelling, even behind a catch-all', async (ctx) => {
    await eventually(async () => (await fetch(`${ctx.url}/anything`)).status === 200, { within: 10_000, what: `the catch-all over ${name}` });
    for (const path of ['/_switchyard/description', '//_switchyard//description', '/x/../_switchyard/description', '/_switchyard/%64escription', '/%5Fswitchyard/description/more']) {
      const res = await fetch(`${ctx.url}${path}`);
      assert.is(res.status, 404, `${path} must not reach the service's catch-all`);
    }
  });

  test.run();
}
