/**
 * The request path's transport order, failover and admission, in-process: real HTTP on port 0 and
 * the real gateway, with two scripted transports (one TCP, one Messaging) that each register an
 * instance of `order` and answer or fail dispatches as a test tells them.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  RequestNotSentError,
  TransportFailureError,
  TransportType,
  silentLogger,
  type DispatchTarget,
  type GatewayTransport,
  type GatewayTransportEvents,
  type ResponsePayload,
} from '@switchyard/core';
import { createGateway, parseGatewayConfig, type Gateway } from '../src/index.js';

type Behaviour = 'answer' | 'not-sent' | 'failed' | 'hold';

class ScriptedTransport implements GatewayTransport {
  dispatches = 0;
  behaviour: Behaviour = 'answer';
  private held: Array<() => void> = [];

  constructor(readonly type: TransportType, private readonly instanceId: string) {}

  async start(events: GatewayTransportEvents): Promise<void> {
    events.control(
      {
        v: 1,
        type: 'HELLO',
        id: '0'.repeat(32),
        sentAt: Date.now(),
        payload: {
          instance: { service: 'order', version: '1.0.0', region: 'default', instanceId: this.instanceId, address: `${this.type}:x` },
          endpoints: [{ method: 'GET', path: '/order', requiringClaims: [], streaming: false }],
          endpointsHash: 'h',
        },
      },
      { transport: this.type, address: `${this.type}-link` },
    );
  }

  dispatch(target: DispatchTarget): Promise<ResponsePayload> {
    this.dispatches += 1;
    const answer: ResponsePayload = { status: 200, headers: { 'content-type': 'text/plain' }, body: new TextEncoder().encode(target.instanceId), instanceId: target.instanceId };
    switch (this.behaviour) {
      case 'not-sent':
        return Promise.reject(new RequestNotSentError(this.type, 'r', 'connection closed before the REQUEST was written'));
      case 'failed':
        return Promise.reject(new TransportFailureError(this.type, 'connection lost while the request was in flight'));
      case 'hold':
        return new Promise((resolve) => this.held.push(() => resolve(answer)));
      default:
        return Promise.resolve(answer);
    }
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }

  async resync(): Promise<void> {}
  isReady(): boolean {
    return true;
  }
  async stop(): Promise<void> {
    this.release();
  }
}

interface World {
  gateway: Gateway;
  url: string;
  tcp: ScriptedTransport;
  queue: ScriptedTransport;
}

async function world(extra: Record<string, unknown>): Promise<World> {
  const config = await parseGatewayConfig({
    http: { host: '127.0.0.1', port: 0 },
    transports: [{ type: 'tcp' }, { type: 'messaging', backend: 'memory' }],
    auth: { anonymous: { subject: 'anonymous' } },
    ops: { host: '127.0.0.1', port: 0 },
    ...extra,
  });
  const tcp = new ScriptedTransport(TransportType.Tcp, 'order-tcp');
  const queue = new ScriptedTransport(TransportType.Messaging, 'order-queue');
  const gateway = await createGateway(config, { logger: silentLogger, transports: [tcp, queue] });
  const url = await gateway.start();
  return { gateway, url, tcp, queue };
}

const ORDERED = { routing: { transportOrder: { services: { order: ['tcp', 'messaging'] } } } };

async function get(url: string): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(`${url}/order`);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

const order = suite('transport order and failover in the request path');

order('the first transport of the order serves while it sends', async () => {
  const w = await world(ORDERED);
  try {
    for (let i = 0; i < 5; i++) {
      const r = await get(w.url);
      assert.equal([r.status, r.body], [200, 'order-tcp']);
    }
    assert.is(w.queue.dispatches, 0);
  } finally {
    await w.gateway.stop();
  }
});

order('a REQUEST the first transport never sent goes to the next; that path is passed over for a while', async () => {
  const w = await world(ORDERED);
  try {
    w.tcp.behaviour = 'not-sent';
    const r = await get(w.url);
    assert.equal([r.status, r.body], [200, 'order-queue']);
    assert.equal([w.tcp.dispatches, w.queue.dispatches], [1, 1]);
    // Cooling down: the next request goes straight to the next transport.
    const again = await get(w.url);
    assert.equal([again.status, again.body], [200, 'order-queue']);
    assert.equal([w.tcp.dispatches, w.queue.dispatches], [1, 2]);
    const metrics = await (await fetch(`${w.gateway.opsUrl() as string}/metrics`)).text();
    assert.match(metrics, /switchyard_gateway_path_requests_total\{service="order",transport="tcp",outcome="not-sent"\} 1/);
    assert.match(metrics, /switchyard_gateway_path_requests_total\{service="order",transport="tcp",outcome="failover"\} 1/);
    assert.match(metrics, /switchyard_gateway_path_requests_total\{service="order",transport="messaging",outcome="served"\} 2/);
    assert.match(metrics, /switchyard_gateway_path_healthy\{service="order",transport="tcp"\} 0/);
    const view = (await (await fetch(`${w.gateway.opsUrl() as string}/_switchyard/routes`)).json()) as { paths: Array<{ transport: string; healthy: boolean }> };
    assert.equal(view.paths.find((p) => p.transport === 'tcp')?.healthy, false);
  } finally {
    await w.gateway.stop();
  }
});

order('a failure after the REQUEST may have reached a handler is answered 502 and never sent again', async () => {
  const w = await world(ORDERED);
  try {
    w.tcp.behaviour = 'failed';
    const r = await get(w.url);
    assert.is(r.status, 502);
    assert.match(r.body, /SY_GATEWAY_BAD_GATEWAY/);
    assert.equal([w.tcp.dispatches, w.queue.dispatches], [1, 0]);
  } finally {
    await w.gateway.stop();
  }
});

order('without a transport order a REQUEST not sent is answered 502 (no other path is chosen for it)', async () => {
  const w = await world({});
  try {
    w.tcp.behaviour = 'not-sent';
    w.queue.behaviour = 'not-sent';
    const r = await get(w.url);
    assert.is(r.status, 502);
    assert.is(w.tcp.dispatches + w.queue.dispatches, 1);
  } finally {
    await w.gateway.stop();
  }
});

const admitting = suite('admission in the request path');

admitting('over the route limit: 503 SY_GATEWAY_OVERLOADED with Retry-After and the reason, without a dispatch; then admitted again', async () => {
  const w = await world({ ...ORDERED, admission: { routes: { 'GET /order': { limit: 2 } }, retryAfterSeconds: 3 } });
  try {
    w.tcp.behaviour = 'hold';
    const first = get(w.url);
    const second = get(w.url);
    for (let i = 0; i < 50 && w.tcp.dispatches < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const shed = await get(w.url);
    assert.is(shed.status, 503);
    assert.is(shed.headers.get('retry-after'), '3');
    assert.is(shed.headers.get('x-switchyard-shed-reason'), 'route-limit');
    assert.match(shed.body, /"code":"SY_GATEWAY_OVERLOADED"/);
    assert.is(w.tcp.dispatches, 2, 'the shed request reached no transport');
    w.tcp.release();
    assert.equal([(await first).status, (await second).status], [200, 200]);
    w.tcp.behaviour = 'answer';
    assert.is((await get(w.url)).status, 200);
    const metrics = await (await fetch(`${w.gateway.opsUrl() as string}/metrics`)).text();
    assert.match(metrics, /switchyard_gateway_admission_shed_total\{service="order",route="GET \/order",reason="route-limit"\} 1/);
    assert.match(metrics, /switchyard_gateway_admission_admitted_total\{service="order",route="GET \/order"\} 3/);
    assert.match(metrics, /switchyard_gateway_admission_limit\{scope="route",name="GET \/order"\} 2/);
  } finally {
    await w.gateway.stop();
  }
});

admitting('with admission off nothing is shed', async () => {
  const w = await world({ admission: { enabled: false, routes: { 'GET /order': { limit: 1 } } } });
  try {
    w.tcp.behaviour = 'hold';
    w.queue.behaviour = 'hold';
    const pending = [get(w.url), get(w.url), get(w.url)];
    for (let i = 0; i < 50 && w.tcp.dispatches + w.queue.dispatches < 3; i++) await new Promise((r) => setTimeout(r, 10));
    assert.is(w.tcp.dispatches + w.queue.dispatches, 3);
    w.tcp.release();
    w.queue.release();
    assert.equal((await Promise.all(pending)).map((r) => r.status), [200, 200, 200]);
  } finally {
    await w.gateway.stop();
  }
});

order.run();
admitting.run();
