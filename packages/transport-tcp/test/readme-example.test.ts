// The programmatic example of README.md, run as written (plus the wait for HELLO and assertions).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger, systemClock, computeEndpointsHash, type ControlFrame, type InstanceLink } from '@switchyard/core';
import { createTcpGatewayTransport, createTcpInstanceTransport } from '@switchyard/transport-tcp';
import { eventually } from '../../../test/harness/wait.js';

const readme = suite('README example');

readme('the programmatic example dispatches one request over TCP and gets "hello"', async () => {
  const lost: string[] = [];
  const deps = { clock: systemClock, logger: silentLogger };
  const gateway = createTcpGatewayTransport({ type: 'tcp', host: '127.0.0.1', port: 0 }, deps);
  let link: InstanceLink | undefined;
  await gateway.start({
    control: (frame: ControlFrame, from: InstanceLink) => {
      if (frame.type === 'HELLO') link = from;
    },
    lost: (instanceId) => lost.push(instanceId),
  });

  const instance = createTcpInstanceTransport({ type: 'tcp', host: '127.0.0.1', port: gateway.address()!.port }, deps);
  const endpoints = [{ method: 'GET' as const, path: '/hi', requiringClaims: [], streaming: false }];
  await instance.start(
    { instance: { service: 'hi', version: '1.0.0', region: 'local', instanceId: 'hi-1', address: 'tcp' }, endpoints, endpointsHash: computeEndpointsHash(endpoints) },
    async () => ({ status: 200, headers: {}, body: Buffer.from('hello') }),
  );
  await eventually(() => link !== undefined, { within: 10_000, what: 'HELLO' });
  const response = await gateway.dispatch(
    { instanceId: 'hi-1', service: 'hi', version: '1.0.0', link: link! },
    { method: 'GET', path: '/hi', query: '', headers: {}, body: new Uint8Array(), deadline: Date.now() + 5_000, identity: null },
    {},
  );
  assert.is(Buffer.from(response.body).toString(), 'hello');
  await instance.close();
  await eventually(() => lost.includes('hi-1'), { within: 5_000, what: 'lost(hi-1) once the instance closed its connection' });
  await gateway.stop();
});

readme.run();
