import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { once } from 'node:events';
import { copyFile, readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { silentLogger, systemClock, TransportType, type InstanceRequestHandler } from '@switchyard/core';
import { createTcpGatewayTransport, createTcpInstanceTransport, type TcpGatewayTransport, type TcpInstanceTransport } from '../src/index.js';
import { createTestPki, type CertFiles, type TestPki } from '../../../test/harness/certs.js';
import { eventually } from '../../../test/harness/wait.js';
import { helloFor, RecordingEvents, RecordingLogger, requestTo } from './fixtures.js';

const echo: InstanceRequestHandler = async (request) => ({ status: 200, headers: {}, body: request.payload.body });

let pki: TestPki;

interface TlsGateway {
  gateway: TcpGatewayTransport;
  events: RecordingEvents;
  logger: RecordingLogger;
  port: number;
}

async function startGateway(extra: Record<string, unknown> = {}, server: CertFiles = pki.server): Promise<TlsGateway> {
  const logger = new RecordingLogger();
  const gateway = createTcpGatewayTransport(
    { type: 'tls', host: '127.0.0.1', port: 0, cert: server.cert, key: server.key, ca: pki.ca.cert, requireClientCert: true, ...extra },
    { clock: systemClock, logger, node: { id: 'gw-tls', region: 'local' } },
  );
  const events = new RecordingEvents();
  await gateway.start(events);
  return { gateway, events, logger, port: gateway.address()!.port };
}

function instanceFor(port: number, client: Partial<CertFiles> | undefined, ca = pki.ca.cert): TcpInstanceTransport {
  return createTcpInstanceTransport(
    { type: 'tls', host: '127.0.0.1', port, servername: 'localhost', ca, ...(client ?? {}), reconnectMinMs: 50, reconnectMaxMs: 200 },
    { clock: systemClock, logger: silentLogger },
  );
}

async function peerCertificate(port: number): Promise<PeerCertificate> {
  const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: await readFile(pki.ca.cert), cert: await readFile(pki.client.cert), key: await readFile(pki.client.key) });
  await once(socket, 'secureConnect');
  const cert = socket.getPeerCertificate();
  socket.destroy();
  return cert;
}

/** The first logged handshake refusal whose reason matches `pattern`. */
function refusalNaming(logger: RecordingLogger, pattern: RegExp): string | undefined {
  return logger.entries
    .filter((e) => e.message === 'tls handshake refused')
    .map((e) => String(e.fields.err))
    .find((reason) => pattern.test(reason));
}

const serial = async (file: string): Promise<string> => new X509Certificate(await readFile(file)).serialNumber;

const tls = suite('TLS transport (mutual TLS)');

tls.before(async () => {
  pki = await createTestPki();
});
tls.after(async () => {
  await pki.remove();
});

tls('an instance with a client certificate signed by the CA registers and is served over TLS', async () => {
  const { gateway, events } = await startGateway();
  const instance = instanceFor(gateway.address()!.port, pki.client);
  try {
    await instance.start(helloFor('tls-1'), echo);
    await eventually(() => events.links.has('tls-1'), { within: 10_000, what: 'HELLO over TLS' });
    const target = events.target('tls-1', TransportType.Tls);
    assert.match(target.link.address, /^tls-/);
    const response = await gateway.dispatch(target, requestTo('/echo', 'secret'), {});
    assert.is(Buffer.from(response.body).toString(), 'secret');
    assert.ok(instance.isReady());
  } finally {
    await instance.close();
    await gateway.stop();
  }
});

tls('a client without a certificate is refused and never registers', async () => {
  const { gateway, events, logger, port } = await startGateway();
  const instance = instanceFor(port, undefined);
  try {
    await instance.start(helloFor('no-cert'), echo);
    await eventually(() => logger.count('tls handshake refused') >= 1, { within: 10_000, what: 'the gateway to refuse the handshake' });
    assert.is(events.hellos('no-cert'), 0, 'no HELLO may get through without a certificate');
    assert.is(gateway.metrics().instances, 0);
  } finally {
    await instance.close();
    await gateway.stop();
  }
});

tls('a client whose certificate is signed by another CA is refused and never registers', async () => {
  const { gateway, events, logger, port } = await startGateway();
  const instance = instanceFor(port, pki.rogueClient);
  try {
    await instance.start(helloFor('rogue'), echo);
    await eventually(() => logger.count('tls handshake refused') >= 1, { within: 10_000, what: 'the gateway to refuse the handshake' });
    const refusal = await eventually(() => refusalNaming(logger, /certificate|verify|unknown ca|issuer|UNABLE_TO/i), {
      within: 10_000,
      what: 'a refusal that names the certificate problem',
    });
    assert.ok(refusal);
    assert.is(events.hellos('rogue'), 0);
  } finally {
    await instance.close();
    await gateway.stop();
  }
});

tls('an instance refuses a gateway whose certificate its CA did not sign', async () => {
  const { gateway, events, port } = await startGateway();
  const instance = instanceFor(port, pki.client, pki.otherCa.cert);
  try {
    await instance.start(helloFor('picky'), echo);
    await eventually(() => instance.metrics().failedConnects >= 1, { within: 10_000, what: 'a failed connect' });
    assert.is(instance.metrics().connects, 0);
    assert.is(events.hellos('picky'), 0);
  } finally {
    await instance.close();
    await gateway.stop();
  }
});

tls('with requireClientCert false, a client without a certificate is served', async () => {
  const { gateway, events, port } = await startGateway({ requireClientCert: false, ca: undefined });
  const instance = instanceFor(port, undefined);
  try {
    await instance.start(helloFor('anon'), echo);
    await eventually(() => events.links.has('anon'), { within: 10_000, what: 'HELLO without a client certificate' });
  } finally {
    await instance.close();
    await gateway.stop();
  }
});

tls('a plain TCP client on the TLS port is refused without harming the server', async () => {
  const { gateway, logger, port } = await startGateway();
  try {
    const raw = netConnect({ host: '127.0.0.1', port });
    await once(raw, 'connect');
    raw.write(Buffer.from([0, 0, 0, 4, 1, 2, 3, 4]));
    await once(raw, 'close');
    await eventually(() => logger.count('tls handshake refused') >= 1, { within: 10_000, what: 'the refusal' });
    assert.ok(gateway.isReady());
  } finally {
    await gateway.stop();
  }
});

tls('a rotated certificate on disk is reloaded: established connections stay, new connections see the new certificate', async () => {
  const live = await pki.issue('live-server', { usage: 'server' });
  const { gateway, events, port } = await startGateway({ certReloadMs: 100 }, live);
  const instance = instanceFor(port, pki.client);
  try {
    await instance.start(helloFor('steady'), echo);
    await eventually(() => events.links.has('steady'), { within: 10_000, what: 'HELLO before rotation' });
    const before = await peerCertificate(port);
    assert.is(before.serialNumber, await serial(live.cert));

    const next = await pki.issue('next-server', { usage: 'server' });
    await copyFile(next.key, live.key);
    await copyFile(next.cert, live.cert);
    await eventually(() => gateway.metrics().certReloads >= 1, { within: 10_000, what: 'the certificate reload' });

    const after = await peerCertificate(port);
    assert.is(after.serialNumber, await serial(next.cert), 'a new connection should see the new certificate');
    assert.is.not(after.serialNumber, before.serialNumber);

    const response = await gateway.dispatch(events.target('steady', TransportType.Tls), requestTo('/echo', 'same-conn'), {});
    assert.is(Buffer.from(response.body).toString(), 'same-conn');
    assert.is(instance.metrics().connects, 1, 'the established connection was kept');
    assert.is(events.lostInstances.length, 0);
  } finally {
    await instance.close();
    await gateway.stop();
  }
});

tls('a gateway entry missing cert, key and ca fails naming each key', () => {
  try {
    createTcpGatewayTransport({ type: 'tls', port: 0 }, { clock: systemClock, logger: silentLogger });
    assert.unreachable('should fail validation');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'SY_TCP_INVALID_OPTIONS');
    const problems = (err as { problems: string[] }).problems;
    assert.ok(problems.some((p) => p.startsWith('cert ')), problems.join('; '));
    assert.ok(problems.some((p) => p.startsWith('key ')), problems.join('; '));
    assert.ok(problems.some((p) => p.startsWith('ca ')), problems.join('; '));
  }
});

tls('an unreadable certificate file fails at creation naming the key and the file', () => {
  try {
    createTcpGatewayTransport(
      { type: 'tls', port: 0, cert: '/nonexistent/server.crt', key: pki.server.key, ca: pki.ca.cert },
      { clock: systemClock, logger: silentLogger },
    );
    assert.unreachable('should fail');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'SY_TCP_INVALID_OPTIONS');
    assert.match((err as Error).message, /cert file "\/nonexistent\/server\.crt" cannot be read/);
  }
});

tls.run();
