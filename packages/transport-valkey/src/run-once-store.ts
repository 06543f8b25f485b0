/**
 * The Valkey RunOnceStore (docs/messaging-transport.md, "Run once across instances"): one string
 * key per REQUEST id, `<prefix>:run-once:{<id>}`, holding the claim or the answer, with the
 * server's own expiry (PX); every verb is one script on the shared command connection, so racing
 * instances see exactly one claim. A store call that cannot reach the server rejects with the
 * connection's error, like any command.
 */
import type { RunOnceClaim, RunOnceStore } from '@switchyard/core';
import type { ValkeyClient } from './connection.js';
import { runOnceKey } from './keys.js';

const CLAIMED = 1;
const ANSWERED = 3;

export class ValkeyRunOnceStore implements RunOnceStore {
  constructor(
    private readonly client: ValkeyClient,
    private readonly prefix: string,
  ) {}

  async claim(id: string, owner: string, claimMs: number): Promise<RunOnceClaim> {
    const reply = await this.client.syRunOnceClaimBuffer(runOnceKey(this.prefix, id), owner, claimMs);
    if (reply[0] === CLAIMED) return { state: 'claimed' };
    if (reply[0] === ANSWERED && reply[1] !== undefined) return { state: 'answered', response: reply[1] };
    return { state: 'held' };
  }

  async renew(id: string, owner: string, claimMs: number): Promise<boolean> {
    return (await this.client.syRunOnceRenew(runOnceKey(this.prefix, id), owner, claimMs)) === 1;
  }

  async answer(id: string, _owner: string, response: Uint8Array, ttlMs: number): Promise<boolean> {
    const bytes = Buffer.from(response.buffer, response.byteOffset, response.byteLength);
    return (await this.client.syRunOnceAnswer(runOnceKey(this.prefix, id), bytes, ttlMs)) === 1;
  }

  async abandon(id: string, owner: string): Promise<void> {
    await this.client.syRunOnceAbandon(runOnceKey(this.prefix, id), owner);
  }
}
