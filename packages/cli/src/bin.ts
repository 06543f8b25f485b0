#!/usr/bin/env node
/**
 * The `switchyard` process edge: argv, environment and Ctrl-C. The first Ctrl-C stops a redrive
 * cleanly (what was not replayed stays dead-lettered, exit 130); a second one exits at once.
 */
import { EXIT } from './exit-codes.js';
import { runCli } from './program.js';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(EXIT.interrupted);
  process.stderr.write('\nstopping (Ctrl-C again to quit at once)…\n');
  interrupt.abort(new Error('interrupted'));
});

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, interrupt: interrupt.signal });
process.exitCode = code;
