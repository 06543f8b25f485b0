/**
 * The `switchyard` command line (commander): every command, its options, and how each prints for
 * people (tables) and scripts (`--json`). `runCli` returns the exit code; the process edge is bin.ts.
 */
import { Command, CommanderError, Option } from 'commander';
import type { DeadLetterSummary, InstanceRow, QueueRow } from '@switchyard/gateway';
import { CliError, EXIT } from './exit-codes.js';
import { bytes, duration, parseTime, table, when } from './format.js';
import { GatewaySource } from './gateway-source.js';
import { progressReporter } from './progress.js';
import type { AdminSource, MatchRequest } from './source.js';
import { ValkeySource } from './valkey-source.js';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborts on Ctrl-C: a running redrive stops cleanly. */
  readonly interrupt: AbortSignal;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Default replay rate (dead letters per second) when --rate is not given. */
export const DEFAULT_REPLAY_RATE = 10;

interface GlobalOptions {
  gateway?: string;
  token?: string;
  valkey?: string;
  valkeyCluster?: boolean;
  prefix: string;
  deadLetterSuffix: string;
  json?: boolean;
}

interface FilterOptions {
  queue?: string;
  reason?: string;
  since?: string;
  until?: string;
}

/** Runs one command line (`argv` without node and script) and resolves with its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const now = io.now ?? Date.now;
  const out = (text: string): void => void io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const err = (text: string): void => void io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  let exitCode: number = EXIT.ok;

  const program = new Command('switchyard')
    .description('Operate Switchyard: instances, queues and dead letters, over a gateway\'s admin API or straight over Valkey.')
    .addOption(new Option('--gateway <url>', 'gateway base URL, e.g. http://127.0.0.1:8080').env('SWITCHYARD_GATEWAY'))
    .addOption(new Option('--token <token>', 'admin token or JWT for the gateway').env('SWITCHYARD_TOKEN'))
    .addOption(new Option('--valkey <url>', 'talk to Valkey directly (no gateway needed), e.g. redis://127.0.0.1:6379/0').env('SWITCHYARD_VALKEY'))
    .option('--valkey-cluster', 'the --valkey URL is a seed node of a Valkey Cluster (queues are found on every master)')
    .option('--prefix <prefix>', 'Valkey key prefix of the queues (with --valkey)', 'switchyard')
    .option('--dead-letter-suffix <suffix>', 'dead-letter queue suffix (with --valkey)', ':dlq')
    .option('--json', 'print JSON for scripts instead of tables')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });
  // Values given through the environment must not leak into help output.
  program.configureHelp({ showGlobalOptions: true });

  const withSource = async (cmd: Command, run: (source: AdminSource, g: GlobalOptions) => Promise<void>): Promise<void> => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    // An empty SWITCHYARD_* variable means "not set".
    for (const key of ['gateway', 'token', 'valkey'] as const) if (g[key] === '') delete g[key];
    if ((g.gateway === undefined) === (g.valkey === undefined)) {
      throw new CliError(g.gateway === undefined ? 'say where to connect: --gateway URL (with --token) or --valkey URL' : '--gateway and --valkey are mutually exclusive; give one', EXIT.usage);
    }
    const source: AdminSource =
      g.gateway !== undefined ? new GatewaySource(g.gateway, g.token) : await ValkeySource.connect({ url: g.valkey as string, cluster: g.valkeyCluster === true, prefix: g.prefix, deadLetterSuffix: g.deadLetterSuffix });
    try {
      await run(source, g);
    } finally {
      await source.close();
    }
  };

  const filterOf = (o: FilterOptions, ids: readonly string[] = []): MatchRequest => {
    const time = (name: string, text: string | undefined): number | undefined => {
      if (text === undefined) return undefined;
      const t = parseTime(text, now());
      if (t === undefined) throw new CliError(`--${name} "${text}" is not a time: give an ISO date-time, epoch ms, or a duration ago like 15m, 2h, 7d`, EXIT.usage);
      return t;
    };
    const since = time('since', o.since);
    const until = time('until', o.until);
    return {
      ...(o.queue === undefined ? {} : { queue: o.queue }),
      ...(o.reason === undefined ? {} : { reason: o.reason }),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
      ...(ids.length === 0 ? {} : { ids }),
    };
  };
  const describeFilter = (f: MatchRequest): string =>
    [
      f.queue === undefined ? 'every queue' : `queue ${f.queue}`,
      ...(f.reason === undefined ? [] : [`reason ~ "${f.reason}"`]),
      ...(f.since === undefined ? [] : [`since ${new Date(f.since).toISOString()}`]),
      ...(f.until === undefined ? [] : [`until ${new Date(f.until).toISOString()}`]),
      ...(f.ids === undefined ? [] : [`${f.ids.length} id(s)`]),
    ].join(', ');
  const filterOptions = (cmd: Command): Command =>
    cmd
      .option('--queue <queue>', 'only this queue (e.g. service.billing.1.4.2.requests)')
      .option('--reason <text>', 'only dead letters whose reason contains this (e.g. decode-error, max-deliveries)')
      .option('--since <time>', 'dead-lettered at or after: ISO time, epoch ms, or ago like 15m, 2h, 7d')
      .option('--until <time>', 'dead-lettered before: ISO time, epoch ms, or ago');

  program
    .command('instances')
    .description('list service instances registered at the gateway, with health and in-flight')
    .action(async (_o: unknown, cmd: Command) =>
      withSource(cmd, async (source, g) => {
        const instances = await source.instances();
        if (g.json === true) return out(JSON.stringify({ instances }, null, 2));
        if (instances.length === 0) return out('no instances registered: start a service, or check that it uses the same transport and prefix as the gateway');
        out(table(['SERVICE', 'VERSION', 'INSTANCE', 'REGION', 'TRANSPORT', 'HEALTH', 'LAST HEARTBEAT', 'IN-FLIGHT'], instances.map(instanceRow)));
      }),
    );

  program
    .command('queues')
    .description('list Messaging queues with depth, leased, delayed and dead letters')
    .action(async (_o: unknown, cmd: Command) =>
      withSource(cmd, async (source, g) => {
        const queues = await source.queues();
        if (g.json === true) return out(JSON.stringify({ queues }, null, 2));
        if (queues.length === 0) return out('no queues found: is the Messaging transport configured, and is the --prefix right?');
        out(table(['QUEUE', 'WAITING', 'OLDEST WAITING', 'LEASED', 'REDELIVERED', 'DELAYED', 'DEAD LETTERS', 'CONSUMERS'], queues.map(queueRow)));
      }),
    );

  const dlq = program.command('dlq').description('browse, replay and purge dead letters');

  filterOptions(dlq.command('list'))
    .description('list dead letters, newest first')
    .option('--limit <n>', 'at most this many', (v) => positiveInt('--limit', v), 100)
    .action(async (o: FilterOptions & { limit: number }, cmd: Command) =>
      withSource(cmd, async (source, g) => {
        const filter = filterOf(o);
        const deadLetters = await source.deadLetters({ ...filter, limit: o.limit });
        if (g.json === true) return out(JSON.stringify({ deadLetters }, null, 2));
        if (deadLetters.length === 0) return out(`no dead letters match (${describeFilter(filter)})`);
        out(table(['ID', 'QUEUE', 'REASON', 'ATTEMPTS', 'DEAD-LETTERED', 'SIZE', 'FRAME'], deadLetters.map((d) => deadLetterRow(d, now()))));
      }),
    );

  dlq
    .command('show')
    .description('show one dead letter: headers, attempts, reason, source queue, payload preview')
    .argument('<id>', 'dead letter id (from dlq list)')
    .requiredOption('--queue <queue>', 'the queue it belongs to')
    .action(async (id: string, o: { queue: string }, cmd: Command) =>
      withSource(cmd, async (source, g) => {
        const d = await source.deadLetter(o.queue, id);
        if (g.json === true) return out(JSON.stringify(d, null, 2));
        const lines = [
          `id              ${d.id}`,
          `queue           ${d.queue}`,
          `source queue    ${d.sourceQueue}`,
          `original id     ${d.originalId}`,
          `reason          ${d.reason}`,
          `attempts        ${d.attempts}`,
          `enqueued        ${when(d.enqueuedAt, now())}`,
          `dead-lettered   ${when(d.deadLetteredAt, now())}`,
          `size            ${bytes(d.sizeBytes)}`,
          `frame           ${d.frame ?? '(not a frame)'}`,
          'headers',
          ...Object.entries(d.headers).map(([k, v]) => `  ${k}: ${v}`),
          `payload${d.previewTruncated ? ' (first part)' : ''}`,
          d.preview,
        ];
        out(lines.join('\n'));
      }),
    );

  filterOptions(dlq.command('replay'))
    .description('move matching dead letters back to their source queue at --rate per second (Ctrl-C stops cleanly)')
    .argument('[ids...]', 'only these ids')
    .option('--rate <n>', 'replays per second', (v) => positiveNumber('--rate', v), DEFAULT_REPLAY_RATE)
    .option('--dry-run', 'only count what would be replayed')
    .action(async (ids: string[], o: FilterOptions & { rate: number; dryRun?: boolean }, cmd: Command) =>
      withSource(cmd, async (source, g) => {
        const filter = filterOf(o, ids);
        if (o.dryRun === true) {
          const r = await source.countMatching(filter);
          if (g.json === true) return out(JSON.stringify({ dryRun: true, ...r }, null, 2));
          return out(`dry run: would replay ${r.matched} dead letter(s) (${describeFilter(filter)}) at ${o.rate}/s, about ${duration((r.matched / o.rate) * 1_000)}`);
        }
        const progress = progressReporter(io.stderr);
        const result = await source.redrive(filter, o.rate, io.interrupt, (p) => progress.update(p));
        progress.done();
        if (g.json === true) out(JSON.stringify(result, null, 2));
        else if (result.cancelled) out(`stopped: replayed ${result.replayed} of ${result.matched}; the other ${result.matched - result.replayed - result.missing} are still dead-lettered`);
        else out(`replayed ${result.replayed} of ${result.matched} dead letter(s)${result.missing > 0 ? `; ${result.missing} were gone before their turn` : ''}`);
        if (result.cancelled) exitCode = EXIT.interrupted;
      }),
    );

  filterOptions(dlq.command('purge'))
    .description('delete matching dead letters (needs --queue, ids or a filter)')
    .argument('[ids...]', 'only these ids')
    .option('--dry-run', 'only count what would be deleted')
    .action(async (ids: string[], o: FilterOptions & { dryRun?: boolean }, cmd: Command) =>
      withSource(cmd, async (source, g) => {
        const filter = filterOf(o, ids);
        if (Object.keys(filter).length === 0) throw new CliError('purge needs --queue, ids or a filter (--reason, --since, --until); it never purges every queue by default', EXIT.usage);
        if (o.dryRun === true) {
          const r = await source.countMatching(filter);
          if (g.json === true) return out(JSON.stringify({ dryRun: true, ...r }, null, 2));
          return out(`dry run: would purge ${r.matched} dead letter(s) (${describeFilter(filter)})`);
        }
        const purged = await source.purge(filter);
        if (g.json === true) return out(JSON.stringify({ purged }, null, 2));
        out(`purged ${purged} dead letter(s) (${describeFilter(filter)})`);
      }),
    );

  program
    .command('resync')
    .description('ask one instance, or every instance, to send HELLO again (the gateway re-learns its endpoints)')
    .argument('[instance]', 'instance id; all when omitted')
    .action(async (instance: string | undefined, _o: unknown, cmd: Command) =>
      withSource(cmd, async (source, g) => {
        const asked = await source.resync(instance);
        if (g.json === true) return out(JSON.stringify({ asked }, null, 2));
        out(`RESYNC sent to ${asked} instance(s)`);
      }),
    );

  program
    .command('drain')
    .description('drain an instance: it takes no new requests from any gateway, finishes in-flight ones and stays up until undrained or stopped')
    .argument('<instance>', 'instance id (from switchyard instances)')
    .option('--reason <text>', 'why, logged by the gateway and the instance')
    .action(async (instance: string, o: { reason?: string }, cmd: Command) =>
      withSource(cmd, async (source, g) => {
        const result = await source.drain(instance, o.reason);
        if (g.json === true) return out(JSON.stringify(result, null, 2));
        if (result.told) out(`${instance} is draining: it takes no new requests from any gateway; in-flight ones finish`);
        else out(`${instance} is draining at this gateway only: the instance could not be told (${result.why ?? 'unknown reason'})`);
      }),
    );

  program
    .command('undrain')
    .description('take a drain back: the instance takes new requests again')
    .argument('<instance>', 'instance id (from switchyard instances)')
    .option('--reason <text>', 'why, logged by the gateway and the instance')
    .action(async (instance: string, o: { reason?: string }, cmd: Command) =>
      withSource(cmd, async (source, g) => {
        const result = await source.undrain(instance, o.reason);
        if (g.json === true) return out(JSON.stringify(result, null, 2));
        if (result.told) out(`${instance} takes new requests again; gateways route to it from its next heartbeat (sent at once)`);
        else out(`${instance} is no longer marked draining at this gateway, but the instance could not be told (${result.why ?? 'unknown reason'})`);
      }),
    );

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (e instanceof CliError) {
      err(`switchyard: ${e.message}`);
      return e.exitCode;
    }
    err(`switchyard: ${(e as Error).message}`);
    return EXIT.failed;
  }
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be an integer ≥ 1 (got "${v}")`, EXIT.usage);
  return n;
}

function positiveNumber(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${name} must be a number > 0 (got "${v}")`, EXIT.usage);
  return n;
}

function instanceRow(i: InstanceRow): string[] {
  return [i.service, i.version, i.instanceId, i.region, i.transport, i.drained ? `${i.health} (drained)` : i.health, `${duration(i.lastHeartbeatAgeMs)} ago`, `${i.reportedInFlight} (here ${i.localInFlight})`];
}

function queueRow(q: QueueRow): Array<string | number> {
  const oldest = q.oldestWaitingAgeMs === undefined ? '?' : q.oldestWaitingAgeMs === null ? '-' : duration(q.oldestWaitingAgeMs);
  const redelivered = q.redelivered === undefined ? '?' : q.redeliveredIsLowerBound === true ? `≥${q.redelivered}` : q.redelivered;
  return [q.queue, q.depth, oldest, q.inFlight, redelivered, q.delayed, q.deadLetters, q.consumers ?? '?'];
}

function deadLetterRow(d: DeadLetterSummary, now: number): string[] {
  return [d.id, d.queue, d.reason, String(d.attempts), `${duration(Math.max(0, now - d.deadLetteredAt))} ago`, bytes(d.sizeBytes), d.frame ?? '-'];
}
