/**
 * Key hygiene in Valkey (core's KeyHygiene): signs of life in one sorted set per key prefix,
 * scored with the server's clock (so processes with skewed clocks agree), and deletion of a
 * departed process's queue keys by the names keys.ts gives them. A queue's keys share its hash tag,
 * so each deletion is one slot-correct command on a Cluster.
 */
import type { KeyHygiene } from '@switchyard/core';
import { isConsumerNameOf } from '@switchyard/core/internal';
import type { ValkeyClient } from './connection.js';
import { toBackendError } from './errors.js';
import { FANOUT_GROUP_PREFIX, deadLetterSuffixOf, queueKeys, signsOfLifeKey } from './keys.js';

export class ValkeyKeyHygiene implements KeyHygiene {
  private readonly beats: string;

  constructor(
    private readonly client: ValkeyClient,
    private readonly prefix: string,
    private readonly describeServer: () => string,
  ) {
    this.beats = signsOfLifeKey(prefix);
  }

  async beat(owner: string): Promise<void> {
    await this.command('record a sign of life', () => this.client.syBeat(this.beats, owner));
  }

  async silent(silentForMs: number): Promise<Array<{ owner: string; silentMs: number }>> {
    const flat = await this.command('list silent owners', () => this.client.sySilent(this.beats, silentForMs));
    const out: Array<{ owner: string; silentMs: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ owner: String(flat[i]), silentMs: Number(flat[i + 1]) });
    return out;
  }

  async forget(owner: string): Promise<void> {
    await this.command('forget an owner', () => this.client.zrem(this.beats, owner));
  }

  deleteQueue(name: string, deadLetterName: string): Promise<number> {
    const k = queueKeys(this.prefix, name, deadLetterSuffixOf(name, deadLetterName));
    return this.command(`delete queue "${name}"`, () => this.client.del(k.stream, k.deadLetters, k.delayed, k.scheduled, k.leaseExtensions, k.groups, k.fanout, k.tailReader));
  }

  async deleteConsumers(name: string, consumerNamePrefix: string): Promise<number> {
    const k = queueKeys(this.prefix, name, ':dlq');
    const operation = `delete consumers of "${name}"`;
    const groups = await this.command(operation, async () => ((await this.client.exists(k.stream)) === 1 ? ((await this.client.xinfo('GROUPS', k.stream)) as unknown[][]) : []));
    const fanout: string[] = [];
    const competing: string[] = [];
    for (const info of groups) {
      const group = field(info, 'name');
      if (group.startsWith(FANOUT_GROUP_PREFIX)) {
        if (isConsumerNameOf(group.slice(FANOUT_GROUP_PREFIX.length), consumerNamePrefix)) fanout.push(group);
        continue;
      }
      const consumers = await this.command(operation, () => this.client.xinfo('CONSUMERS', k.stream, group) as Promise<unknown[][]>);
      for (const c of consumers) {
        const consumer = field(c, 'name');
        if (isConsumerNameOf(consumer, consumerNamePrefix)) competing.push(group, consumer);
      }
    }
    if (fanout.length === 0 && competing.length === 0) return 0;
    return this.command(operation, () => this.client.syDeleteConsumers(k.stream, k.delayed, k.leaseExtensions, fanout.length, ...fanout, ...competing));
  }

  private async command<R>(operation: string, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (err) {
      throw toBackendError(err, '(key hygiene)', operation, this.describeServer);
    }
  }
}

/** A field of an XINFO reply (a flat name, value list), as a string. */
function field(info: unknown[], name: string): string {
  for (let i = 0; i + 1 < info.length; i += 2) if (info[i] === name) return String(info[i + 1]);
  return '';
}
