/**
 * Test certificates, made at run time with the `openssl` CLI (never committed): a CA, a server
 * certificate for localhost/127.0.0.1, a client certificate, and a second, unrelated CA with a
 * client certificate of its own (for "signed by another CA" refusals). EC P-256 keys, valid two days.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths of one certificate and its private key (PEM files). */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly dir: string;
  /** The CA the gateway trusts for clients and the instances trust for the gateway. */
  readonly ca: CertFiles;
  /** Server certificate signed by `ca` for DNS:localhost and IP:127.0.0.1. */
  readonly server: CertFiles;
  /** Client certificate signed by `ca`. */
  readonly client: CertFiles;
  /** A CA nobody trusts. */
  readonly otherCa: CertFiles;
  /** Client certificate signed by `otherCa`. */
  readonly rogueClient: CertFiles;
  /** Issues another certificate signed by `ca` (or `otherCa`) into `<dir>/<name>.{crt,key}`. */
  issue(name: string, options?: { usage?: 'server' | 'client'; signer?: 'ca' | 'otherCa'; commonName?: string }): Promise<CertFiles>;
  /** Removes the directory. */
  remove(): Promise<void>;
}

/** True when the `openssl` CLI answers. */
export async function hasOpenssl(): Promise<boolean> {
  try {
    await run('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

/** Makes a fresh PKI in a temporary directory. Throws naming the fix when `openssl` is missing. */
export async function createTestPki(): Promise<TestPki> {
  if (!(await hasOpenssl())) {
    throw new Error('test certificates need the openssl CLI on PATH (apt-get install openssl)');
  }
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-pki-'));
  const files = (name: string): CertFiles => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) });

  const makeCa = async (name: string, cn: string): Promise<CertFiles> => {
    const f = files(name);
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', f.key, '-out', f.cert, '-days', '2', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return f;
  };
  const ca = await makeCa('ca', 'switchyard-test-ca');
  const otherCa = await makeCa('other-ca', 'switchyard-other-ca');

  const issue: TestPki['issue'] = async (name, options = {}) => {
    const usage = options.usage ?? 'client';
    const signer = options.signer === 'otherCa' ? otherCa : ca;
    const f = files(name);
    const csr = join(dir, `${name}.csr`);
    const ext = join(dir, `${name}.ext`);
    await writeFile(
      ext,
      usage === 'server'
        ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n'
        : 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n',
    );
    await run('openssl', [
      'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', f.key, '-out', csr, '-subj', `/CN=${options.commonName ?? (usage === 'server' ? 'localhost' : name)}`,
    ]);
    await run('openssl', [
      'x509', '-req', '-in', csr, '-CA', signer.cert, '-CAkey', signer.key, '-set_serial', String(Date.now() + Math.floor(Math.random() * 1e6)),
      '-out', f.cert, '-days', '2', '-extfile', ext,
    ]);
    return f;
  };

  const server = await issue('server', { usage: 'server' });
  const client = await issue('client', { usage: 'client' });
  const rogueClient = await issue('rogue-client', { usage: 'client', signer: 'otherCa' });
  return { dir, ca, server, client, otherCa, rogueClient, issue, remove: () => rm(dir, { recursive: true, force: true }) };
}
