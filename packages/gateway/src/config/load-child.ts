/**
 * The child process of load-in-child.ts: loads the config it is sent, answers with the result or
 * the error, and ends.
 */
import { GatewayConfigError, GatewayConfigFileError } from '../errors.js';
import { loadGatewayConfig, parseGatewayConfig } from './load.js';
import type { ConfigChildError, ConfigChildInput, ConfigChildOutput } from './load-in-child.js';

process.once('message', (message) => {
  void answer(message as ConfigChildInput);
});

async function answer({ file, env, processId }: ConfigChildInput): Promise<void> {
  let out: ConfigChildOutput;
  try {
    const config = file === undefined ? await parseGatewayConfig({}, env, { processId }) : await loadGatewayConfig(file, env, { processId });
    out = { ok: true, config };
  } catch (err) {
    out = { ok: false, error: describe(err) };
  }
  process.send?.(out, () => process.disconnect());
}

function describe(err: unknown): ConfigChildError {
  if (err instanceof GatewayConfigError) return { kind: 'config', problems: err.problems, source: err.source };
  if (err instanceof GatewayConfigFileError) return { kind: 'file', file: err.file, detail: err.detail };
  return { kind: 'other', message: err instanceof Error ? err.message : String(err) };
}
