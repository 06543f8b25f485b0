/** Streamed bodies end to end over the TCP transport (streaming-suite.ts). */
import { freePort } from '../harness/process.js';
import { registerStreamingE2E } from './streaming-suite.js';

const port = await freePort();
const entry = { type: 'tcp', host: '127.0.0.1', port };
registerStreamingE2E('tcp', { entries: () => ({ gateway: [entry], service: [{ ...entry, reconnectMinMs: 50, reconnectMaxMs: 1_000 }] }) });
