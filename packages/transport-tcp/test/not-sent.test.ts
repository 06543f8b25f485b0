/**
 * The TCP gateway transport tells a REQUEST it never wrote (SY_TRANSPORT_REQUEST_NOT_SENT: the
 * gateway may send it elsewhere) from one that may have reached the instance
 * (SY_TRANSPORT_FAILURE: it must not be sent again).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger, systemClock, type InstanceRequestHandler } from '@switchyard/core';
import { createTcpGatewayTransport, createTcpInstanceTransport } from '../src/index.js';
import { eventually, Latch, rejectsWithCode } from '../../../test/harness/wait.js';
import { helloFor, RecordingEvents, requestTo } from './fixtures.js';

const deps = { clock: systemClock, logger: silentLogger, node: { id: 'gw-test', region: 'local' } };
const notSent = suite('TCP transport: not sent versus maybe delivered');

/** The gateway transport's link table, to close a connection at a chosen moment. */
type WithLinks = { links: Map<string, { connection: { close(reason: string): void } }> };

async function pairWith(handler: InstanceRequestHandler) {
  const gateway = createTcpGatewayTransport({ type: 'tcp', host: '127.0.0.1', port: 0 }, deps);
  const events = new RecordingEvents();
  await gateway.start(events);
  const instance = createTcpInstanceTransport({ type: 'tcp', host: '127.0.0.1', port: gateway.address()!.port, reconnectMinMs: 5_000, reconnectMaxMs: 5_000 }, deps);
  await instance.start(helloFor('i-1'), handler);
  await eventually(() => events.links.has('i-1'), { within: 10_000, what: 'HELLO from i-1' });
  const link = events.links.get('i-1')!;
  const target = { instanceId: 'i-1', service: 'echo', version: '1.0.0', link };
  return { gateway, instance, events, target, close: async () => { await instance.close(); await gateway.stop(); } };
}

notSent('a REQUEST to a connection that is already closed is not sent', async () => {
  const p = await pairWith(async () => ({ status: 200, headers: {}, body: new Uint8Array() }));
  try {
    await p.instance.close();
    await eventually(() => p.events.lostInstances.length > 0, { within: 10_000, what: 'the connection to close' });
    await rejectsWithCode(p.gateway.dispatch(p.target, requestTo('/x'), {}), 'SY_TRANSPORT_REQUEST_NOT_SENT');
  } finally {
    await p.close();
  }
});

notSent('a REQUEST still in the unwritten batch when its connection closes is not sent, and no handler ran it', async () => {
  let ran = 0;
  const p = await pairWith(async () => {
    ran += 1;
    return { status: 200, headers: {}, body: new Uint8Array() };
  });
  try {
    const dispatched = p.gateway.dispatch(p.target, requestTo('/x'), {});
    // Same turn: the frame waits for the end-of-turn write, and the connection closes first.
    (p.gateway as unknown as WithLinks).links.get(p.target.link.address)!.connection.close('closed by the test');
    await rejectsWithCode(dispatched, 'SY_TRANSPORT_REQUEST_NOT_SENT');
    await new Promise((r) => setTimeout(r, 100));
    assert.is(ran, 0);
  } finally {
    await p.close();
  }
});

notSent('a REQUEST written before its connection closes may have run: a transport failure, not "not sent"', async () => {
  const started = new Latch(1, "the handler to start");
  const p = await pairWith(async () => {
    started.count();
    await new Promise((r) => setTimeout(r, 5_000));
    return { status: 200, headers: {}, body: new Uint8Array() };
  });
  try {
    const dispatched = p.gateway.dispatch(p.target, requestTo('/x'), {});
    await started.wait(10_000);
    (p.gateway as unknown as WithLinks).links.get(p.target.link.address)!.connection.close('closed by the test');
    const err = await rejectsWithCode(dispatched, 'SY_TRANSPORT_FAILURE');
    assert.match(err.message, /in flight/);
  } finally {
    await p.close();
  }
});

notSent.run();
