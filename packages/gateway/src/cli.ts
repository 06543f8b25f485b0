#!/usr/bin/env node
/**
 * `switchyard-gateway --config <file>`: reads args, env and signals, nothing else. The config is
 * loaded in a child process (config/load-in-child.ts); everything is built by `createGateway`.
 * SIGTERM/SIGINT → graceful stop → exit 0; a config problem → every problem on stderr and exit 2;
 * any other start failure → exit 1.
 */
import { parseArgs } from 'node:util';
import { loadGatewayConfigInChild } from './config/load-in-child.js';
import { createGateway } from './gateway.js';

const USAGE = 'usage: switchyard-gateway --config <file.yaml|file.json>   (SWITCHYARD_* env vars override config keys)';

async function main(): Promise<number> {
  let values: { config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file = values.config ?? process.env.SWITCHYARD_CONFIG;
  let config;
  try {
    config = await loadGatewayConfigInChild(file, process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${file === undefined ? `${USAGE}\n` : ''}`);
    return 2;
  }
  let gateway;
  try {
    gateway = await createGateway(config);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return (err as { code?: string }).code === 'SY_GATEWAY_INVALID_CONFIG' ? 2 : 1;
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info({ signal }, 'signal received');
    gateway.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await gateway.start();
  } catch (err) {
    process.stderr.write(`gateway failed to start: ${(err as Error).message}\n`);
    await gateway.stop().catch(() => undefined);
    return 1;
  }
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
