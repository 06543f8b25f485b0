/** TransportType.InMemory: gateway and instances linked in one process through a named hub. */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Cancellation,
  ERROR_CODES,
  TransportType,
  silentLogger,
  systemClock,
  type DispatchTarget,
  type RequestPayload,
} from '@switchyard/core';
import { createGatewayTransports, createInstanceTransport } from '@switchyard/core/internal';
import { createMicroservice } from '@switchyard/microservice';
import { Latch, rejectsWithCode } from '../harness/wait.js';
import { RecordingEvents } from './recording-events.js';

const deps = { clock: systemClock, logger: silentLogger, node: { id: 'gw-1', region: 'local' } };
const target = (instanceId: string): DispatchTarget => ({ instanceId, service: 'svc', version: '1.0.0', link: { transport: TransportType.InMemory, address: '' } });
const req = (path: string, deadlineInMs = 10_000): Omit<RequestPayload, 'replyTo'> => ({
  method: 'GET',
  path,
  query: '',
  headers: {},
  body: new Uint8Array(0),
  deadline: Date.now() + deadlineInMs,
  identity: null,
});

const test = suite('in-memory router transport');

test('an SDK instance on a hub registers, answers, is cancelled, and says GOODBYE', async () => {
  const entry = { type: 'inmemory', hub: `h-${randomUUID()}` };
  const [gateway] = await createGatewayTransports([entry], deps);
  assert.ok(gateway);
  const events = new RecordingEvents();
  await gateway.start(events);
  const svc = createMicroservice({ name: 'svc', version: '1.0.0', instanceId: 'i-1', transport: await createInstanceTransport(entry, deps) });
  const running = new Latch(1, 'handler running');
  let reason: unknown;
  svc.get('/items/{id}', async (r) => ({ status: 200, json: { id: r.params.id } }));
  svc.get('/wait', async (_r, ctx) => {
    running.count();
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    reason = ctx.signal.reason;
    return { status: 499 };
  });
  await svc.start();
  await events.waitForHello('i-1');
  assert.is(events.hellos.get('i-1')?.link.transport, TransportType.InMemory);

  const res = await gateway.dispatch(target('i-1'), req('/items/7'), {});
  assert.is(res.status, 200);
  assert.is(res.instanceId, 'i-1');
  assert.equal(JSON.parse(new TextDecoder().decode(res.body)), { id: '7' });

  const controller = new Cancellation();
  const call = gateway.dispatch(target('i-1'), req('/wait'), { cancellation: controller });
  await running.wait();
  controller.cancel('timeout');
  await rejectsWithCode(call, ERROR_CODES.RequestCancelled, 'the aborted dispatch');
  assert.is(reason, 'timeout');

  await svc.stop();
  await events.until(() => events.count('GOODBYE', 'i-1') === 1, 'GOODBYE');
  assert.equal(events.lostIds, ['i-1']);
  await rejectsWithCode(gateway.dispatch(target('i-1'), req('/items/1'), {}), ERROR_CODES.TransportFailure, 'a dispatch to a closed instance');
  await gateway.stop();
});

test('a REQUEST past its deadline is not run', async () => {
  const entry = { type: 'inmemory', hub: `h-${randomUUID()}` };
  const [gateway] = await createGatewayTransports([entry], deps);
  assert.ok(gateway);
  await gateway.start(new RecordingEvents());
  let ran = 0;
  const svc = createMicroservice({ name: 'svc', version: '1.0.0', instanceId: 'i-2', transport: await createInstanceTransport(entry, deps) });
  svc.get('/x', async () => {
    ran += 1;
    return { status: 200 };
  });
  await svc.start();
  await rejectsWithCode(gateway.dispatch(target('i-2'), req('/x', -1), {}), ERROR_CODES.TransportFailure, 'an expired REQUEST');
  assert.is(ran, 0);
  await svc.stop();
  await gateway.stop();
});

test('an unknown key of an inmemory entry is named', async () => {
  const err = await rejectsWithCode(createGatewayTransports([{ type: 'inmemory', hubb: 'x' }], deps), ERROR_CODES.InvalidArgument, 'a misspelt key');
  assert.match(err.message, /^transports\[0\]\.hubb /);
});

test.run();
