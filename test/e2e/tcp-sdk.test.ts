/**
 * The microservice SDK over the TCP and TLS instance transports, in one process with the gateway
 * transports driven directly: HELLO from svc.start(), heartbeats on the connection, a request
 * through the SDK's router, GOODBYE from svc.stop().
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger, systemClock, TransportType, type DispatchTarget, type RequestPayload } from '@switchyard/core';
import { createMicroservice } from '@switchyard/microservice';
import { createTcpGatewayTransport, createTcpInstanceTransport } from '@switchyard/transport-tcp';
import { createTestPki, type TestPki } from '../harness/certs.js';
import { eventually } from '../harness/wait.js';
import { RecordingEvents } from '../../packages/transport-tcp/test/fixtures.js';

const deps = { clock: systemClock, logger: silentLogger };
let pki: TestPki;

const request = (path: string, body: string): Omit<RequestPayload, 'replyTo'> => ({
  method: 'POST',
  path,
  query: 'q=1',
  headers: { 'content-type': 'text/plain' },
  body: Buffer.from(body),
  deadline: Date.now() + 10_000,
  identity: null,
});

const sdk = suite('microservice SDK over TCP and TLS');

sdk.before(async () => {
  pki = await createTestPki();
});
sdk.after(async () => {
  await pki.remove();
});

for (const type of ['tcp', 'tls'] as const) {
  sdk(`over ${type}: start() registers, heartbeats flow, a request reaches the handler with its params, stop() says GOODBYE`, async () => {
    const tls = { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert };
    const gateway = createTcpGatewayTransport(
      type === 'tcp' ? { type, host: '127.0.0.1', port: 0 } : { type, host: '127.0.0.1', port: 0, ...tls },
      deps,
    );
    const events = new RecordingEvents();
    await gateway.start(events);
    const port = gateway.address()!.port;
    const transport = createTcpInstanceTransport(
      type === 'tcp'
        ? { type, host: '127.0.0.1', port }
        : { type, host: '127.0.0.1', port, ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key },
      deps,
    );
    const svc = createMicroservice({ name: 'echo', version: '1.0.0', instanceId: `sdk-${type}`, transport, heartbeatIntervalMs: 100 });
    svc.post('/items/{id}', async (req) => ({ status: 201, json: { id: req.params.id, body: req.text(), q: req.query.get('q') } }));
    try {
      await svc.start();
      await eventually(() => events.links.has(`sdk-${type}`), { within: 10_000, what: `HELLO over ${type}` });
      await eventually(() => events.frames.filter((f) => f.frame.type === 'HEARTBEAT').length >= 2, { within: 10_000, what: 'two heartbeats' });
      const target: DispatchTarget = events.target(`sdk-${type}`, type === 'tcp' ? TransportType.Tcp : TransportType.Tls);
      const response = await gateway.dispatch(target, request('/items/42', 'payload'), {});
      assert.is(response.status, 201);
      assert.equal(JSON.parse(Buffer.from(response.body).toString()), { id: '42', body: 'payload', q: '1' });
      assert.is(response.instanceId, `sdk-${type}`);
      await svc.stop();
      await eventually(() => events.frames.some((f) => f.frame.type === 'GOODBYE'), { within: 10_000, what: 'GOODBYE' });
    } finally {
      await svc.stop().catch(() => undefined);
      await gateway.stop();
    }
  });
}

sdk.run();
