/**
 * Connection options against live servers: TLS with client certificates (rediss://), ACL user
 * and password (never shown in errors), db index from the URL, Sentinel discovery. Over TLS and
 * through Sentinel, a reader connection also reads large values whole (whole-replies.ts).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { ChildProcess } from 'node:child_process';
import type { MessageQueueFactory } from '@switchyard/core';
import { createTestPki, hasOpenssl, type TestPki } from '../../../test/harness/certs.js';
import { freeServerPort, serverBinary, spawnServer, startValkey, stopServer } from '../../../test/harness/valkey.js';
import { rejectsWithCode } from '../../../test/harness/wait.js';
import { connectValkeyQueueFactory, type ValkeyBackendOptions } from '../src/index.js';
import { checkLargeValuesThroughReader } from './fixtures/large-xread.js';

const server = await startValkey();
const bin = serverBinary();
const opened: MessageQueueFactory[] = [];

/** Enqueue, lease and ack one message through a fresh factory: the connection works end to end. */
async function roundTrip(options: ValkeyBackendOptions): Promise<void> {
  const f = await connectValkeyQueueFactory({ prefix: `t-${randomUUID().slice(0, 8)}`, connectTimeoutMs: 5_000, ...options });
  opened.push(f);
  const q = f.queue<string>('ping');
  await q.enqueue('pong');
  const [lease] = await q.lease({ max: 1, blockMs: 2_000 });
  assert.is(lease?.message, 'pong');
  await lease!.ack();
}

const test = suite('valkey connection options');
test.after.each(async () => {
  await Promise.all(opened.splice(0).map((f) => f.close()));
});

if (server !== null && server.kind === 'process') {
  test('an ACL user and password connect; a wrong password fails with SY_QUEUE_BACKEND_UNAVAILABLE and never shows the password', async () => {
    const admin = new Redis(server.url);
    try {
      await admin.acl('SETUSER', 'sy-user', 'on', '>right-horse-battery', '~*', '&*', '+@all');
      await roundTrip({ url: server.url, username: 'sy-user', password: 'right-horse-battery' });
      const err = await rejectsWithCode(
        connectValkeyQueueFactory({ url: `redis://sy-user:wrong-staple-secret@127.0.0.1:${server.port}`, connectTimeoutMs: 1_500, commandTimeoutMs: 500 }),
        'SY_QUEUE_BACKEND_UNAVAILABLE',
        'connecting with a wrong password',
      );
      assert.not.ok(err.message.includes('wrong-staple-secret'), err.message);
      assert.match(err.message, /\*\*\*/);
    } finally {
      await admin.acl('DELUSER', 'sy-user');
      admin.disconnect();
    }
  });

  test('the db index from the URL is used', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const f = await connectValkeyQueueFactory({ url: `${server.url}/3`, prefix });
    opened.push(f);
    await f.queue<string>('in-db-3').enqueue('x');
    const db3 = new Redis(`${server.url}/3`);
    const db0 = new Redis(server.url);
    try {
      assert.is(await db3.exists(`${prefix}:{in-db-3}`), 1);
      assert.is(await db0.exists(`${prefix}:{in-db-3}`), 0);
      await db3.del(`${prefix}:{in-db-3}`);
    } finally {
      db3.disconnect();
      db0.disconnect();
    }
  });
}

if (bin !== undefined && (await hasOpenssl())) {
  test('rediss:// with CA, client certificate and key connects to a server that requires client certificates', async () => {
    const pki: TestPki = await createTestPki();
    const dir = mkdtempSync(join(tmpdir(), 'sy-tls-'));
    const port = await freeServerPort();
    const tlsPort = await freeServerPort();
    let child: ChildProcess | undefined;
    try {
      child = await spawnServer(bin, port, dir, [
        '--tls-port', String(tlsPort), '--tls-cert-file', pki.server.cert, '--tls-key-file', pki.server.key,
        '--tls-ca-cert-file', pki.ca.cert, '--tls-auth-clients', 'yes', '--appendonly', 'no',
      ]);
      await roundTrip({ url: `rediss://localhost:${tlsPort}`, tls: { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key } });
      await checkLargeValuesThroughReader({ url: `rediss://localhost:${tlsPort}`, tls: { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key } });
      await rejectsWithCode(
        connectValkeyQueueFactory({ url: `rediss://localhost:${tlsPort}`, tls: { ca: pki.ca.cert, cert: pki.rogueClient.cert, key: pki.rogueClient.key }, connectTimeoutMs: 1_500, commandTimeoutMs: 500 }),
        'SY_QUEUE_BACKEND_UNAVAILABLE',
        'a client certificate from another CA',
      );
    } finally {
      if (child !== undefined) await stopServer(child);
      rmSync(dir, { recursive: true, force: true });
      await pki.remove();
    }
  });
}

if (bin !== undefined && server !== null && server.kind === 'process') {
  test('sentinels and sentinelName find the master', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-sentinel-'));
    const port = await freeServerPort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, `port ${port}\nbind 127.0.0.1\nsentinel monitor sy-master 127.0.0.1 ${server.port} 1\n`);
    let child: ChildProcess | undefined;
    try {
      const { spawn } = await import('node:child_process');
      child = spawn(bin, [conf, '--sentinel'], { stdio: 'ignore' });
      child.unref();
      const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => 100 });
      probe.on('error', () => undefined);
      try {
        const deadline = Date.now() + 10_000;
        for (;;) {
          try {
            await probe.connect().catch(() => undefined);
            const master = (await probe.call('SENTINEL', 'get-master-addr-by-name', 'sy-master')) as string[] | null;
            if (master !== null) break;
          } catch {
            // not up yet
          }
          if (Date.now() > deadline) throw new Error('sentinel did not come up within 10 s');
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        probe.disconnect();
      }
      await roundTrip({ sentinels: [{ host: '127.0.0.1', port }], sentinelName: 'sy-master' });
      await checkLargeValuesThroughReader({ sentinels: [{ host: '127.0.0.1', port }], sentinelName: 'sy-master' });
    } finally {
      if (child !== undefined) await stopServer(child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.after(async () => {
  await server?.stop();
});

test.run();
