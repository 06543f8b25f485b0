/**
 * The client listener's config keys (http.tls, http.http2, http.http2Limits): defaults, env
 * overrides, and problems that name the key — at parse time, and at createGateway when a
 * certificate file cannot be read.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '@switchyard/core';
import { createGateway, LISTENER_DEFAULTS, parseGatewayConfig } from '../src/index.js';
import { minimal, problemsOf } from './config-helpers.js';


const keys = suite('listener config keys');

keys('without tls or http2 the listener is plain HTTP/1.1 and the HTTP/2 limits have their defaults', async () => {
  const c = await parseGatewayConfig(minimal);
  assert.is(c.http.tls, undefined);
  assert.is(c.http.http2, false);
  assert.equal({ ...c.http.http2Limits }, {
    maxConcurrentStreams: LISTENER_DEFAULTS.maxConcurrentStreams,
    maxHeaderListBytes: LISTENER_DEFAULTS.maxHeaderListBytes,
    maxSessionMemoryMiB: LISTENER_DEFAULTS.maxSessionMemoryMiB,
    maxSessionRejectedStreams: LISTENER_DEFAULTS.maxSessionRejectedStreams,
    maxSessionInvalidFrames: LISTENER_DEFAULTS.maxSessionInvalidFrames,
    maxResetsPerSecond: LISTENER_DEFAULTS.maxResetsPerSecond,
  });
});

keys('http.tls takes the TLS transport keys; a client certificate is optional by default', async () => {
  const c = await parseGatewayConfig({ ...minimal, http: { tls: { cert: '/etc/gw/tls.crt', key: '/etc/gw/tls.key' }, http2: true } });
  assert.equal({ ...c.http.tls }, { cert: '/etc/gw/tls.crt', key: '/etc/gw/tls.key', requireClientCert: false, certReloadMs: LISTENER_DEFAULTS.certReloadMs });
  assert.is(c.http.http2, true);
});

keys('environment variables set http2 and its limits', async () => {
  const c = await parseGatewayConfig(minimal, { SWITCHYARD_HTTP__HTTP2: 'true', SWITCHYARD_HTTP__HTTP2_LIMITS__MAX_CONCURRENT_STREAMS: '32' });
  assert.is(c.http.http2, true);
  assert.is(c.http.http2Limits.maxConcurrentStreams, 32);
});

keys('requireClientCert without ca, a missing key and an unknown limit are each named', async () => {
  const problems = await problemsOf(() =>
    parseGatewayConfig({ ...minimal, http: { tls: { cert: '/x.crt', requireClientCert: true }, http2Limits: { maxStreams: 5, maxResetsPerSecond: 0 } } }),
  );
  const text = problems.join('\n');
  assert.match(text, /http\.tls\.key/);
  assert.match(text, /http\.http2Limits\.maxStreams: unknown key/);
  assert.match(text, /http\.http2Limits\.maxResetsPerSecond: must be > 0/);
  const noCa = await problemsOf(() => parseGatewayConfig({ ...minimal, http: { tls: { cert: '/x.crt', key: '/x.key', requireClientCert: true } } }));
  assert.match(noCa.join('\n'), /http\.tls\.ca: requireClientCert needs ca/);
});

keys('a certificate file that cannot be read fails createGateway naming the key and the file', async () => {
  const config = await parseGatewayConfig({ ...minimal, http: { tls: { cert: '/nonexistent/gw.crt', key: '/nonexistent/gw.key' } } });
  try {
    await createGateway(config, { logger: silentLogger });
    assert.unreachable('createGateway should have refused the missing certificate');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'SY_GATEWAY_INVALID_CONFIG');
    assert.match((err as Error).message, /http\.tls\.cert file "\/nonexistent\/gw\.crt" cannot be read/);
    assert.match((err as Error).message, /http\.tls\.key file "\/nonexistent\/gw\.key" cannot be read/);
  }
});

keys.run();
