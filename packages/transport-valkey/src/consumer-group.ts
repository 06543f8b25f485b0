/** A consumer's group on the stream: created once, registered with the queue, created again after NOGROUP. */
import { toBackendError } from './errors.js';
import type { ConsumerIdentity } from './consumer-context.js';

export class ConsumerGroup {
  private ready: Promise<void> | undefined;
  private created = false;
  /** Goes up by one per recreation: a walk of the group's pending list started before it must start over. */
  generation = 0;

  constructor(private readonly who: ConsumerIdentity) {
    // A fan-out group starts at the stream's end ('$') when it is created, and a fan-out consumer
    // sees what is published after the consumer was made: so the group is created now, on the
    // consumer's connection, not at the first read (a subscription's first read comes a few turns
    // later, and a HELLO published meanwhile was never seen). A failure here is retried by the
    // first read's ensure().
    if (who.mode === 'fanout') this.ensure().catch(() => undefined);
  }

  /** Creates the group (and registers it) once; again after recreate(). */
  ensure(): Promise<void> {
    const generation = this.generation;
    this.ready ??= this.create().then(
      () => {
        if (this.generation === generation) this.created = true;
      },
      (err: unknown) => {
        this.ready = undefined;
        throw toBackendError(err, this.who.ctx.spec.name, 'create consumer group', this.who.ctx.describeServer);
      },
    );
    return this.ready;
  }

  /** True once ensure() has created the group, until recreate(): a read need not wait on ensure(). */
  isReady(): boolean {
    return this.created;
  }

  /** The server answered NOGROUP (it lost its data): create the group again and say so. */
  async recreate(): Promise<void> {
    const { ctx, group } = this.who;
    this.ready = undefined;
    this.created = false;
    this.generation++;
    await this.ensure();
    ctx.logger.warn({ queue: ctx.spec.name, group }, 'consumer group was missing (server lost its data); recreated it');
    ctx.groupRecreated(group);
  }

  private async create(): Promise<void> {
    const { ctx, mode, group } = this.who;
    const { client, keys } = ctx;
    // Competing groups start from '0' (work enqueued before any consumer is kept); fan-out from '$'.
    const start = mode === 'competing' ? '0' : '$';
    try {
      await client.xgroup('CREATE', keys.stream, group, start, 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && /BUSYGROUP/.test(err.message))) throw err;
    }
    if (mode === 'competing') await client.sadd(keys.groups, group);
    else await client.set(keys.fanout, '1');
  }
}
