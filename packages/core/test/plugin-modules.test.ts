import { Container } from 'inversify';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createMemoryBackend, plugin as memoryPlugin } from '@switchyard/transport-memory';
import { ManualClock } from '../src/clock.js';
import { coreModule, gatewayTransportsModule, pluginLoaderModule, queueModule, routingModule } from '../src/ioc/modules.js';
import type { QueueBackendPluginLoader } from '../src/ioc/plugin-loader.js';
import { RoutingState } from '../src/routing/routing-state.js';
import { TransportType, type GatewayTransport } from '../src/transport/types.js';
import { TOKENS } from '../src/ioc/tokens.js';
import type { MessageQueueFactory } from '../src/queue/types.js';
import type { Clock } from '../src/clock.js';

const modules = suite('container modules');

modules('a container loaded with coreModule and queueModule resolves one working queue factory that uses the bound clock', async () => {
  const clock = new ManualClock(1_000);
  const container = new Container();
  await container.load(coreModule({ clock }), queueModule(createMemoryBackend({}, { clock })));
  assert.is(container.get<Clock>(TOKENS.Clock), clock);
  const factory = container.get<MessageQueueFactory>(TOKENS.QueueFactory);
  assert.is(container.get<MessageQueueFactory>(TOKENS.QueueFactory), factory, 'the factory is a singleton');
  const q = factory.queue<string>('jobs', { leaseMs: 1_000 });
  await q.enqueue('j1');
  const [first] = await q.lease();
  assert.is(first?.message, 'j1');
  await clock.advance(1_001);
  const [again] = await q.consumer().lease();
  assert.is(again?.attempt, 2, 'lease expiry followed the bound ManualClock');
  await again!.ack();
  await factory.close();
});

modules('coreModule defaults to the system clock and a silent logger', async () => {
  const container = new Container();
  await container.load(coreModule());
  const clock = container.get<Clock>(TOKENS.Clock);
  assert.ok(Math.abs(clock.now() - Date.now()) < 60_000, 'the system clock');
  assert.type(container.get<{ warn: unknown }>(TOKENS.Logger).warn, 'function');
});

modules('the gateway side resolves from modules: one routing state on the bound clock, and transports built with the bound plugin loader', async () => {
  const clock = new ManualClock(5_000);
  const container = new Container();
  await container.load(
    coreModule({ clock }),
    pluginLoaderModule(),
    routingModule({ staleAfterMs: 40_000 }),
    gatewayTransportsModule([{ type: 'messaging', backend: 'acme', auth: { insecure: true } }], { id: 'gw-1', region: 'local' }),
  );
  const asked: string[] = [];
  const loader: QueueBackendPluginLoader = async (name) => {
    asked.push(name);
    return memoryPlugin;
  };
  container.rebindSync<QueueBackendPluginLoader>(TOKENS.QueueBackendPluginLoader).toConstantValue(loader);
  const routing = container.get<RoutingState>(TOKENS.RoutingState);
  assert.instance(routing, RoutingState);
  assert.is(container.get(TOKENS.RoutingState), routing, 'the routing state is a singleton');
  const transports = await container.getAsync<readonly GatewayTransport[]>(TOKENS.GatewayTransports);
  assert.equal(asked, ['acme'], 'the backend was loaded through the bound loader, by its config name');
  assert.equal(transports.map((t) => t.type), [TransportType.Messaging]);
  assert.is(await container.getAsync(TOKENS.GatewayTransports), transports, 'the transports are built once');
  for (const t of transports) await t.stop();
});

modules.run();
