/**
 * A preload (`node --import ./test/harness/loaded-modules.mjs …`) that records every module URL
 * the process resolves and, on SIGUSR2, prints them as one line `LOADED-MODULES <json array>` on
 * stderr: how a test sees which packages a running process holds.
 */
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const urls = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => urls.add(url));
port1.unref();
register('./loaded-modules-hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });
process.on('SIGUSR2', () => {
  process.stderr.write(`LOADED-MODULES ${JSON.stringify([...urls])}\n`);
});
