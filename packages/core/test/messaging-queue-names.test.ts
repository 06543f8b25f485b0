import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseServiceRequestsQueue, regionRequestsQueue, serviceRequestsQueue } from '../src/internal.js';

const names = suite('messaging queue names');

names('a requests queue name parses back to its service and version, dots in the service included', () => {
  for (const [service, version] of [['billing', '1.4.2'], ['acme.billing', '2.0.0-rc.1'], ['a.b.c', '10.20.30']] as const) {
    assert.equal(parseServiceRequestsQueue(serviceRequestsQueue(service, version)), { service, version, region: 'local' });
  }
});

names('a region requests queue parses back to its service, version and region; the unplaced region is the version queue', () => {
  for (const [service, version, region] of [['billing', '1.4.2', 'eu-west-1'], ['acme.billing', '2.0.0-rc.1', 'us.east'], ['a.b.c', '10.20.30+build.5', 'ap']] as const) {
    const name = regionRequestsQueue(service, version, region);
    assert.ok(name.includes(`@${region}`), name);
    assert.equal(parseServiceRequestsQueue(name), { service, version, region });
  }
  assert.is(regionRequestsQueue('billing', '1.4.2', 'local'), serviceRequestsQueue('billing', '1.4.2'));
  assert.is(regionRequestsQueue('billing', '1.4.2', ''), serviceRequestsQueue('billing', '1.4.2'), 'an empty region is unplaced');
  const odd = regionRequestsQueue('billing', '1.4.2', 'eu {west} @ 1');
  assert.not.match(odd, /[{} ]/);
  assert.equal(parseServiceRequestsQueue(odd), { service: 'billing', version: '1.4.2', region: 'eu {west} @ 1' });
});

names('a name that is not a requests queue parses to undefined', () => {
  for (const name of ['', 'gateway.gw-1.responses', 'service.echo.control', 'service.echo.requests', 'service.echo.1.0.requests']) {
    assert.is(parseServiceRequestsQueue(name), undefined, name);
  }
});

names.run();
