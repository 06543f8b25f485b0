/**
 * The shared gateway end-to-end suite over the TCP transport: the gateway listens on a fresh
 * loopback port per gateway+echo pair and the echo process connects to it.
 */
import { freePort } from '../harness/process.js';
import { registerGatewayE2E } from './gateway-e2e-suite.js';

registerGatewayE2E('tcp', async () => {
  const port = await freePort();
  const entry = { type: 'tcp', host: '127.0.0.1', port };
  return { gateway: [entry], echo: [{ ...entry, reconnectMinMs: 50, reconnectMaxMs: 1_000 }] };
});
