/**
 * The tail of every fixture service process: starts `svc`, prints `<name> listening
 * instance=<id>` (what the tests wait for), and on SIGTERM or SIGINT stops it gracefully, exiting 0
 * (1 when the stop failed).
 */
import type { Microservice } from '@switchyard/microservice';

export async function serveUntilSignalled(svc: Microservice, name: string): Promise<void> {
  await svc.start();
  process.stdout.write(`${name} listening instance=${svc.instanceId}\n`);
  const shutdown = (): void => {
    svc.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
