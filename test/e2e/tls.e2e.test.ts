/**
 * The shared gateway end-to-end suite over the TLS transport with mutual TLS: certificates are
 * made for this run (test/harness/certs.ts); the gateway requires a client certificate signed by
 * the test CA and the echo process presents one.
 */
import { rmSync } from 'node:fs';
import { createTestPki } from '../harness/certs.js';
import { freePort } from '../harness/process.js';
import { registerGatewayE2E } from './gateway-e2e-suite.js';

const pki = await createTestPki();
process.on('exit', () => rmSync(pki.dir, { recursive: true, force: true }));

registerGatewayE2E('tls', async () => {
  const port = await freePort();
  return {
    gateway: [{ type: 'tls', host: '127.0.0.1', port, cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requireClientCert: true }],
    echo: [
      { type: 'tls', host: '127.0.0.1', port, cert: pki.client.cert, key: pki.client.key, ca: pki.ca.cert, reconnectMinMs: 50, reconnectMaxMs: 1_000 },
    ],
  };
});
