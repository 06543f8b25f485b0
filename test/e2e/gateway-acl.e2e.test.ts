/**
 * The gateway end-to-end suite over Messaging/Valkey, run as the least-privilege users that
 * docs/operations.md ("Least privilege on Valkey") documents: the two `ACL SETUSER` lines are read
 * from that page as written (only the key prefix and the passwords are filled in per pair), created
 * on the harness's own server, and the gateway and echo connect as those users. Any command or key
 * the code uses that the lines do not allow fails a case. The ACL log is checked for refusals.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { repoRoot } from '../harness/process.js';
import { registerGatewayE2E } from './gateway-e2e-suite.js';
import { authSection, newKeys } from '../harness/frame-keys.js';

const server = await requireValkeyOrSkip('gateway e2e as least-privilege Valkey users');

/** The documented `ACL SETUSER` line for `user`, split into arguments. */
function documentedLine(user: string): string[] {
  const doc = readFileSync(join(repoRoot, 'docs/operations.md'), 'utf8');
  const line = doc.split('\n').find((l) => l.startsWith(`ACL SETUSER ${user} `));
  if (line === undefined) throw new Error(`docs/operations.md has no "ACL SETUSER ${user}" line`);
  return line.trim().split(/\s+/).slice(2);
}

const GATEWAY_LINE = documentedLine('switchyard-gateway');
const ECHO_LINE = documentedLine('switchyard-echo');

/** Creates `user` from its documented line with this pair's key prefix and a fresh password; returns the password. */
async function createUser(admin: Redis, line: readonly string[], name: string, prefix: string): Promise<string> {
  const password = randomBytes(12).toString('hex');
  const args = line.slice(1).map((arg) => (arg.startsWith('>') ? `>${password}` : arg.replace(/^~switchyard:/, `~${prefix}:`)));
  await admin.call('ACL', 'SETUSER', name, ...args);
  return password;
}

if (server === null) {
  const skipped = suite('gateway e2e as least-privilege Valkey users');
  skipped.skip('needs a Valkey-compatible server (see the banner above)', () => undefined);
  skipped.run();
} else {
  const admin = new Redis(server.url);
  await admin.call('ACL', 'LOG', 'RESET');
  const port = new URL(server.url).port;
  registerGatewayE2E('messaging/valkey as ACL users', async () => {
    const prefix = `acl-${randomUUID().slice(0, 8)}`;
    const gatewayUser = `gw-${prefix}`;
    const echoUser = `echo-${prefix}`;
    const gatewayPassword = await createUser(admin, GATEWAY_LINE, gatewayUser, prefix);
    const echoPassword = await createUser(admin, ECHO_LINE, echoUser, prefix);
    const auth = authSection(newKeys());
    const entry = (user: string, password: string): Record<string, unknown> => ({
      type: 'messaging',
      backend: 'valkey',
      valkey: { url: `redis://${user}:${password}@127.0.0.1:${port}` },
      queues: { prefix },
      runOnce: user === echoUser ? { scope: 'shared' } : undefined,
      auth,
    });
    const echo = entry(echoUser, echoPassword);
    const gateway = { ...entry(gatewayUser, gatewayPassword) };
    delete gateway.runOnce;
    return { gateway: [gateway], echo: [echo] };
  });

  const log = suite('least-privilege users: nothing was refused');
  log("the documented service line refuses another service's keys, keys outside the prefix and administrative commands", async () => {
    const prefix = `acl-${randomUUID().slice(0, 8)}`;
    const password = await createUser(admin, ECHO_LINE, `probe-${prefix}`, prefix);
    const probe = new Redis(`redis://probe-${prefix}:${password}@127.0.0.1:${port}`);
    const refused = async (what: string, run: () => Promise<unknown>): Promise<void> => {
      try {
        await run();
        assert.unreachable(`${what} should be refused`);
      } catch (err) {
        assert.match((err as Error).message, /NOPERM/, what);
      }
    };
    assert.is(await probe.xlen(`${prefix}:{service.echo.1.0.0.requests}`), 0, 'its own requests queue is readable');
    await refused("another service's queue", () => probe.xlen(`${prefix}:{service.billing.1.0.0.requests}`));
    await refused('a key outside the prefix', () => probe.get('other:key'));
    await refused('KEYS', () => probe.keys('*'));
    await refused('FLUSHALL', () => probe.flushall());
    await refused('CONFIG GET', () => probe.config('GET', 'maxmemory'));
    probe.disconnect();
    await admin.call('ACL', 'DELUSER', `probe-${prefix}`);
  });
  log('the ACL log of the server holds no refusal from the gateway or the echo users', async () => {
    const entries = (await admin.call('ACL', 'LOG')) as unknown[][];
    const refusals = entries.map((e) => {
      const fields: Record<string, unknown> = {};
      for (let i = 0; i + 1 < e.length; i += 2) fields[String(e[i])] = e[i + 1];
      return `${String(fields.username)}: ${String(fields.reason)} ${String(fields.object)} (${String(fields.context)})`;
    });
    assert.equal(refusals.filter((r) => /^(gw|echo)-acl-/.test(r)), [], 'refused commands or keys');
    admin.disconnect();
  });
  log.after(async () => {
    await server.stop();
  });
  log.run();
}
