import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger, systemClock, TransportType } from '@switchyard/core';
import { resolveTcpOptions, routerTransportPlugin, TCP_DEFAULTS, TLS_DEFAULTS } from '../src/index.js';
import { reconnectDelayMs } from '../src/backoff.js';

function problemsOf(entry: Record<string, unknown>, side: 'gateway' | 'instance' = 'gateway'): string[] {
  try {
    resolveTcpOptions(entry, side);
  } catch (err) {
    assert.is((err as { code?: string }).code, 'SY_TCP_INVALID_OPTIONS');
    return [...(err as { problems: string[] }).problems];
  }
  assert.unreachable(`${JSON.stringify(entry)} should be invalid`);
  return [];
}

const options = suite('TCP/TLS options');

options('an empty tcp entry resolves to the documented defaults', () => {
  const gw = resolveTcpOptions({ type: 'tcp' }, 'gateway');
  assert.is(gw.port, 5100);
  assert.is(gw.host, undefined, 'the gateway listens on every interface by default');
  assert.is(gw.maxFrameBytes, TCP_DEFAULTS.maxFrameBytes);
  assert.is(gw.noDelay, true);
  assert.ok(Object.isFrozen(gw));
  const inst = resolveTcpOptions({ type: 'tcp' }, 'instance');
  assert.is(inst.host, '127.0.0.1');
});

options('a tls entry defaults to port 5101 and requires client certificates', () => {
  const o = resolveTcpOptions({ type: 'tls', cert: 'a.crt', key: 'a.key', ca: 'ca.crt' }, 'gateway');
  assert.is(o.port, TLS_DEFAULTS.port);
  assert.is(o.tls?.requireClientCert, true);
  assert.is(o.tls?.certReloadMs, 5_000);
});

options('every bad value is reported, each naming its key and the value received', () => {
  const problems = problemsOf({ type: 'tcp', port: 70_000, maxFrameBytes: 'big', noDelay: 'yes', keepAliveMs: -1 });
  assert.is(problems.length, 4, problems.join('; '));
  assert.ok(problems.some((p) => p.startsWith('port ') && p.includes('70000')));
  assert.ok(problems.some((p) => p.startsWith('maxFrameBytes ') && p.includes('"big"')));
  assert.ok(problems.some((p) => p.startsWith('noDelay ')));
  assert.ok(problems.some((p) => p.startsWith('keepAliveMs ') && p.includes('-1')));
});

options('an unknown key is rejected as a likely typo, and tls keys are unknown on a tcp entry', () => {
  const problems = problemsOf({ type: 'tcp', prot: 5100, cert: 'x' });
  assert.ok(problems.some((p) => p.startsWith('prot is not a tcp transport option')), problems.join('; '));
  assert.ok(problems.some((p) => p.startsWith('cert is not a tcp transport option')), problems.join('; '));
});

options('an instance tls entry with a cert but no key is refused', () => {
  const problems = problemsOf({ type: 'tls', cert: 'c.crt' }, 'instance');
  assert.ok(problems.some((p) => p.startsWith('cert and key go together')), problems.join('; '));
});

options('reconnectMaxMs below reconnectMinMs is refused', () => {
  const problems = problemsOf({ type: 'tcp', reconnectMinMs: 500, reconnectMaxMs: 100 }, 'instance');
  assert.ok(problems.some((p) => p.startsWith('reconnectMaxMs must be ≥ reconnectMinMs')), problems.join('; '));
});

options('the plugin serves tcp and tls entries on both sides', () => {
  assert.equal([...routerTransportPlugin.types], [TransportType.Tcp, TransportType.Tls]);
  assert.is(routerTransportPlugin.coreVersion, '^0.1.0');
  const deps = { clock: systemClock, logger: silentLogger };
  assert.is(routerTransportPlugin.createGatewayTransport({ type: 'tcp', port: 0 }, deps).type, TransportType.Tcp);
  assert.is(routerTransportPlugin.createInstanceTransport({ type: 'tcp' }, deps).type, TransportType.Tcp);
});

options('reconnect delays are jittered below a doubling ceiling capped at reconnectMaxMs', () => {
  assert.is(reconnectDelayMs(0, 100, 5000, () => 0.999), 99);
  assert.is(reconnectDelayMs(3, 100, 5000, () => 0.999), 799);
  assert.is(reconnectDelayMs(20, 100, 5000, () => 0.999), 4995);
  assert.is(reconnectDelayMs(5, 100, 5000, () => 0), 0);
});

options.run();
