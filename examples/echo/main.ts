/**
 * The echo service process: `npm run echo -- --config <file>` (issue 5 item 5). Reads its
 * transport from the config file, prints `echo listening instance=<id> transport=<type>`, and on
 * SIGTERM/SIGINT stops gracefully (GOODBYE, drain, close) and exits 0.
 */
import { parseArgs } from 'node:util';
import { createMicroserviceFromConfig } from '@switchyard/microservice';
import { registerEcho } from './echo-service.js';

const { values } = parseArgs({
  options: { config: { type: 'string' }, 'instance-id': { type: 'string' } },
  strict: true,
});
if (values.config === undefined) {
  process.stderr.write('usage: npm run echo -- --config <file> [--instance-id <id>]\n');
  process.exit(2);
}

const instanceId = values['instance-id'] ?? process.env.SWITCHYARD_INSTANCE_ID;
/** A start failure is one line on stderr naming what failed (no stack trace): 2 for a bad config, else 1. */
const fail = (what: string, err: unknown): never => {
  process.stderr.write(`echo ${what}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit((err as { code?: unknown }).code === 'SY_SERVICE_INVALID_CONFIG' ? 2 : 1);
};
const svc = await createMicroserviceFromConfig(values.config, instanceId === undefined ? {} : { instanceId }).catch((err: unknown) => fail('config rejected', err));
registerEcho(svc);
await svc.start().catch(async (err: unknown) => {
  await svc.stop().catch(() => undefined);
  fail('failed to start', err);
});
process.stdout.write(`echo listening instance=${svc.instanceId} transport=${svc.transportType}\n`);

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`echo stopping (${signal})\n`);
  svc.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`echo stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
