/**
 * The gateway end-to-end suite over the Messaging transport on a real Valkey-compatible server
 * (the harness server; never the shared one on :6379). Each gateway+echo pair gets its own key
 * prefix, so pairs never see each other's queues.
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import { startValkey } from '../harness/valkey.js';
import { registerGatewayE2E } from './gateway-e2e-suite.js';
import { authSection, newKeys } from '../harness/frame-keys.js';

const server = await startValkey();
if (server === null) {
  const skipped = suite('gateway e2e over messaging/valkey');
  skipped.skip('needs a Valkey-compatible server (see the banner above)', () => undefined);
  skipped.run();
} else {
  registerGatewayE2E('messaging/valkey', () => {
    const entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix: `e2e-${randomUUID().slice(0, 8)}` }, auth: authSection(newKeys()) };
    return { gateway: [entry], echo: [entry] };
  });
}
