/**
 * The HTTPS client listener with real clients: curl over HTTP/1.1 and HTTP/2 on one TLS port,
 * a certificate rotated on disk served to the next connection without a restart (an established
 * connection keeps working), and client certificates: refused from an untrusted CA when
 * required, and a verified one's subject reaching the handler as the principal.
 */
import { copyFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestPki, type CertFiles, type TestPki } from '../../../test/harness/certs.js';
import { eventually } from '../../../test/harness/wait.js';
import { edgeService, edgeWorld, h2connect, h2request, runClient, type EdgeWorld } from './edge-fixtures.js';

let pki: TestPki;

/** The handler answers with the identity headers it received and the request's protocol-relevant headers. */
const whoami = (ns: string) =>
  edgeService(ns, 'who', (s) =>
    s.get('/who', async (req) => ({
      status: 200,
      json: {
        subject: req.headers['x-switchyard-identity-subject'] ?? null,
        anonymous: req.headers['x-switchyard-identity-anonymous'] ?? null,
        tenant: req.headers['x-tenant-id'] ?? null,
        identity: req.identity,
      },
    })),
  );

const curl = (url: string, ...args: string[]) => runClient('curl', ['-sS', '--max-time', '10', '--cacert', pki.ca.cert, ...args, url]);

// --- one TLS port, HTTP/1.1 and HTTP/2 ---------------------------------------------------------

const onePort = suite('HTTPS with http2: HTTP/1.1 and HTTP/2 on one TLS port');
let both: EdgeWorld | undefined;

onePort.before(async () => {
  pki = await createTestPki();
  both = await edgeWorld({ tls: { cert: pki.server.cert, key: pki.server.key }, http2: true }, async (ns) => [await whoami(ns)]);
});
onePort.after(async () => {
  await both?.stop();
});

onePort('the gateway listens on https and says so in its URL', () => {
  assert.match(both?.url ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
});

onePort('curl --http1.1 and curl --http2 against the same port are both answered, each in its protocol', async () => {
  const url = `${both?.url}/who`;
  const h1 = await curl(url, '--http1.1', '-w', '\n%{http_code} %{http_version}');
  const h2 = await curl(url, '--http2', '-w', '\n%{http_code} %{http_version}');
  assert.is(h1.code, 0, `curl --http1.1 failed: ${h1.stderr}`);
  assert.is(h2.code, 0, `curl --http2 failed: ${h2.stderr}`);
  assert.is(h1.stdout.split('\n').at(-1), '200 1.1');
  assert.is(h2.stdout.split('\n').at(-1), '200 2');
  assert.is((JSON.parse(h2.stdout.split('\n')[0] as string) as { subject: string }).subject, 'anonymous');
});

onePort('spoofed identity headers over HTTP/2 never reach the handler', async () => {
  const res = await curl(`${both?.url}/who`, '--http2', '-H', 'X-Switchyard-Identity-Subject: admin', '-H', 'x-tenant-id: evil', '-H', 'X-SWITCHYARD-IDENTITY-ANONYMOUS: false');
  assert.is(res.code, 0, res.stderr);
  const seen = JSON.parse(res.stdout) as { subject: string; anonymous: string; tenant: string | null };
  assert.equal({ subject: seen.subject, anonymous: seen.anonymous, tenant: seen.tenant }, { subject: 'anonymous', anonymous: 'true', tenant: null });
});

onePort('plain HTTP to the TLS port gets no answer from the request path', async () => {
  const res = await runClient('curl', ['-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code}', `${both?.url.replace('https:', 'http:')}/who`]);
  assert.not.equal(res.stdout, '200');
});

onePort.run();

// --- certificate rotation ----------------------------------------------------------------------

const rotation = suite('HTTPS certificate rotation');
let rotating: EdgeWorld | undefined;
let live: CertFiles;

const fingerprintOf = (file: string): string => new X509Certificate(readFileSync(file)).fingerprint256;

/** The fingerprint of the certificate a new TLS connection to `url` is served. */
function servedFingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: hostname, port: Number(port), ca: readFileSync(pki.ca.cert), ALPNProtocols: ['h2'] }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.once('error', reject);
  });
}

/** Replaces a file the way rotation tools do: write beside it, then rename into place. */
async function replace(from: string, to: string): Promise<void> {
  await copyFile(from, `${to}.new`);
  await rename(`${to}.new`, to);
}

rotation.before(async () => {
  live = { cert: join(pki.dir, 'live.crt'), key: join(pki.dir, 'live.key') };
  await copyFile(pki.server.cert, live.cert);
  await copyFile(pki.server.key, live.key);
  rotating = await edgeWorld({ tls: { cert: live.cert, key: live.key, certReloadMs: 50 }, http2: true }, async (ns) => [await whoami(ns)]);
});
rotation.after(async () => {
  await rotating?.stop();
});

rotation('a certificate rotated on disk is served to the next connection, and an open connection keeps working', async () => {
  const url = rotating?.url as string;
  assert.is(await servedFingerprint(url), fingerprintOf(pki.server.cert), 'before rotation the first certificate is served');
  const session = await h2connect(url, { ca: readFileSync(pki.ca.cert) });
  try {
    assert.is((await h2request(session, { ':path': '/who' })).status, 200);
    const next = await pki.issue('server-next', { usage: 'server' });
    await replace(next.key, live.key);
    await replace(next.cert, live.cert);
    const expected = fingerprintOf(next.cert);
    await eventually(async () => (await servedFingerprint(url)) === expected, { within: 10_000, what: 'a new connection to be served the rotated certificate' });
    const again = await h2request(session, { ':path': '/who' });
    assert.is(again.status, 200, 'the connection opened before the rotation still answers');
    assert.ok(!session.destroyed);
  } finally {
    session.close();
  }
});

rotation.run();

// --- client certificates ----------------------------------------------------------------------

const mtls = suite('HTTPS with requireClientCert');
let strict: EdgeWorld | undefined;

mtls.before(async () => {
  strict = await edgeWorld(
    { tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requireClientCert: true }, http2: true },
    async (ns) => [await whoami(ns)],
  );
});
mtls.after(async () => {
  await strict?.stop();
});

mtls('a client certificate from an untrusted CA is refused, over HTTP/2 and HTTP/1.1', async () => {
  for (const protocol of ['--http2', '--http1.1']) {
    const res = await curl(`${strict?.url}/who`, protocol, '--cert', pki.rogueClient.cert, '--key', pki.rogueClient.key, '-o', '/dev/null', '-w', '%{http_code}');
    assert.is.not(res.code, 0, `curl ${protocol} with a rogue certificate should fail, got ${res.stdout}`);
    assert.is(res.stdout, '000', 'no HTTP answer at all');
  }
});

mtls('a client without a certificate is refused', async () => {
  const res = await curl(`${strict?.url}/who`, '--http2', '-o', '/dev/null', '-w', '%{http_code}');
  assert.is.not(res.code, 0);
  assert.is(res.stdout, '000');
});

mtls('a verified client certificate is the principal, and a spoofed subject header is replaced by it', async () => {
  for (const protocol of ['--http2', '--http1.1']) {
    const res = await curl(`${strict?.url}/who`, protocol, '--cert', pki.client.cert, '--key', pki.client.key, '-H', 'x-switchyard-identity-subject: CN=admin');
    assert.is(res.code, 0, `curl ${protocol}: ${res.stderr}`);
    const seen = JSON.parse(res.stdout) as { subject: string; anonymous: string; identity: { claims: Record<string, string> } };
    assert.is(seen.subject, 'CN=client', protocol);
    assert.is(seen.anonymous, 'false', protocol);
    assert.is(seen.identity.claims.x509_cn, 'client');
    assert.is(seen.identity.claims.x509_issuer, 'CN=switchyard-test-ca');
  }
});

mtls.run();

// --- optional client certificates ---------------------------------------------------------------

const optional = suite('HTTPS with ca and an optional client certificate');
let lenient: EdgeWorld | undefined;

optional.before(async () => {
  lenient = await edgeWorld({ tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert }, http2: true }, async (ns) => [await whoami(ns)]);
});
optional.after(async () => {
  await lenient?.stop();
  await pki.remove();
});

optional('without a certificate the request is anonymous; with a verified one its subject is the principal', async () => {
  const none = await curl(`${lenient?.url}/who`, '--http2');
  assert.is(none.code, 0, none.stderr);
  assert.is((JSON.parse(none.stdout) as { subject: string }).subject, 'anonymous');
  const verified = await curl(`${lenient?.url}/who`, '--http2', '--cert', pki.client.cert, '--key', pki.client.key);
  assert.is(verified.code, 0, verified.stderr);
  assert.is((JSON.parse(verified.stdout) as { subject: string }).subject, 'CN=client');
});

optional('a certificate from an untrusted CA grants nothing: the request is anonymous', async () => {
  const rogue = await curl(`${lenient?.url}/who`, '--http2', '--cert', pki.rogueClient.cert, '--key', pki.rogueClient.key, '-H', 'x-switchyard-identity-subject: CN=rogue-client');
  assert.is(rogue.code, 0, rogue.stderr);
  const seen = JSON.parse(rogue.stdout) as { subject: string; anonymous: string };
  assert.equal({ subject: seen.subject, anonymous: seen.anonymous }, { subject: 'anonymous', anonymous: 'true' });
});

optional.run();
