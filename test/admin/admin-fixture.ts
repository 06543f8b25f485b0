/**
 * A gateway with the admin API on, an echo instance, both over the Messaging transport on a real
 * Valkey (the harness server), each fixture on its own key prefix. Used by the admin API, CLI and
 * console tests.
 */
import { randomUUID } from 'node:crypto';
import { bytesCodec, silentLogger, type MessageQueueFactory } from '@switchyard/core';
import { createGateway, parseGatewayConfig, type Gateway } from '@switchyard/gateway';
import { createMicroserviceFromConfig, type Microservice } from '@switchyard/microservice';
import { connectValkeyQueueFactory } from '@switchyard/transport-valkey';
import { registerEcho } from '../../examples/echo/echo-service.js';
import { eventually } from '../harness/wait.js';

export const OPERATOR_TOKEN = 'operator-token-0123456789abcdef';
export const VIEWER_TOKEN = 'viewer-token-0123456789abcdef';
export const ECHO_REQUESTS = 'service.echo.1.0.0.requests';

export interface AdminFixture {
  readonly url: string;
  readonly prefix: string;
  readonly valkeyUrl: string;
  readonly gateway: Gateway;
  readonly echo: Microservice;
  /** A queue factory on the fixture's prefix, for writing poison and making dead letters. */
  readonly factory: MessageQueueFactory;
  /** Writes bytes no codec reads into the echo's requests queue; the echo dead-letters them with `decode-error`. */
  poison(text?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startAdminFixture(valkeyUrl: string, options: { console?: boolean } = {}): Promise<AdminFixture> {
  const prefix = `adm-${randomUUID().slice(0, 8)}`;
  // Unsigned frames, so the poison below dead-letters as `decode-error` (signed, it would be `unauthenticated` before decoding).
  const entry = { type: 'messaging', backend: 'valkey', valkey: { url: valkeyUrl }, queues: { prefix, maxDeliveries: 2 }, auth: { insecure: true } };
  const config = await parseGatewayConfig({
    node: { id: `gw-${prefix}`, region: 'local' },
    http: { host: '127.0.0.1', port: 0, shutdownGraceMs: 2_000 },
    transports: [entry],
    log: { level: 'silent' },
    admin: {
      console: options.console ?? true,
      tokens: [
        { name: 'olivia', role: 'operator', token: OPERATOR_TOKEN },
        { name: 'victor', role: 'viewer', token: VIEWER_TOKEN },
      ],
    },
  });
  const gateway = await createGateway(config, { logger: silentLogger });
  const url = await gateway.start();
  const echo = await createMicroserviceFromConfig(
    { service: { name: 'echo', version: '1.0.0', region: 'local', heartbeatIntervalMs: 500 }, transports: [entry] },
    { logger: silentLogger },
  );
  registerEcho(echo);
  await echo.start();
  await eventually(() => gateway.routing.isServiceAvailable('echo'), { within: 10_000, what: 'echo registered at the gateway' });
  const factory = await connectValkeyQueueFactory({ url: valkeyUrl, prefix });
  const poisonQueue = factory.queue<Uint8Array>(ECHO_REQUESTS, { codec: bytesCodec });
  return {
    url,
    prefix,
    valkeyUrl,
    gateway,
    echo,
    factory,
    poison: (text = 'not a frame \u0001') => poisonQueue.enqueue(new TextEncoder().encode(text)),
    async stop() {
      await echo.stop();
      await gateway.stop();
      await factory.close();
    },
  };
}

/** fetch against the fixture's admin API with a bearer token (or none). */
export async function admin(fixture: { url: string }, path: string, init: { token?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${fixture.url}/_switchyard/admin/${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
