/**
 * @switchyard/cli — the `switchyard` operator command line. `runCli` runs one command line and
 * resolves with its exit code (see {@link EXIT}); the `switchyard` bin calls it.
 */
export { runCli, DEFAULT_REPLAY_RATE, type CliIo } from './program.js';
export { EXIT, CliError, type ExitCode } from './exit-codes.js';
export { parseTime } from './format.js';
export { type AdminSource, type ListRequest, type MatchRequest } from './source.js';
