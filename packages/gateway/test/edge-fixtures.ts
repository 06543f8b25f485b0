/**
 * Fixtures for the client-listener tests: an in-process gateway (memory Messaging backend) with
 * real SDK services, HTTPS or HTTP/2 as the test's `http` config says, and small clients: one
 * HTTP/2 request on a session, and a command-line client (curl, nghttp, h2load) run to completion.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { silentLogger } from '@switchyard/core';
import { createMicroserviceFromConfig, type Microservice } from '@switchyard/microservice';
import { createGateway, parseGatewayConfig, type Gateway } from '../src/index.js';
import { eventually } from '../../../test/harness/wait.js';

export interface EdgeWorld {
  readonly gateway: Gateway;
  readonly url: string;
  readonly services: Microservice[];
  stop(): Promise<void>;
}

/** Starts a gateway with `http` (host and port 0 added) and the services `register` makes, and waits until each is routable. */
export async function edgeWorld(
  http: Record<string, unknown>,
  register: (ns: string) => Promise<Microservice[]>,
  extra: Record<string, unknown> = {},
): Promise<EdgeWorld> {
  const ns = `edge-${randomUUID()}`;
  const config = await parseGatewayConfig({
    node: { id: `gw-${randomUUID().slice(0, 8)}` },
    http: { host: '127.0.0.1', port: 0, ...http },
    transports: [{ type: 'messaging', backend: 'memory', memory: { namespace: ns } }],
    auth: { anonymous: { subject: 'anonymous' } },
    log: { level: 'silent', requests: false },
    ...extra,
  });
  const gateway = await createGateway(config, { logger: silentLogger });
  const url = await gateway.start();
  const services = await register(ns);
  for (const s of services) {
    const name = s.name;
    await eventually(() => gateway.routing.isServiceAvailable(name), { what: `service ${name} to register at the gateway` });
  }
  return {
    gateway,
    url,
    services,
    async stop() {
      for (const s of services) await s.stop();
      await gateway.stop();
    },
  };
}

/** One SDK service on the memory namespace `ns`. */
export async function edgeService(ns: string, name: string, setup: (svc: Microservice) => void): Promise<Microservice> {
  const svc = await createMicroserviceFromConfig(
    { service: { name, version: '1.0.0' }, transports: [{ type: 'messaging', backend: 'memory', memory: { namespace: ns } }] },
    { logger: silentLogger },
  );
  setup(svc);
  await svc.start();
  return svc;
}

export interface H2Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Sends one request on `session` and reads the whole answer (fails after `ms`, naming the path). */
export function h2request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: Buffer | string, ms = 10_000): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    const timer = setTimeout(() => {
      stream.close();
      reject(new Error(`no HTTP/2 answer to ${String(headers[':method'] ?? 'GET')} ${String(headers[':path'])} within ${ms} ms`));
    }, ms);
    const chunks: Buffer[] = [];
    let responseHeaders: IncomingHttpHeaders = {};
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body: Buffer.concat(chunks) });
    });
    stream.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (body !== undefined) stream.end(body);
  });
}

/** Opens an HTTP/2 session to `url` and waits until it is connected. */
export function h2connect(url: string, options: Parameters<typeof connect>[1] = {}): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(url, options);
    session.once('connect', () => {
      session.off('error', reject);
      resolve(session);
    });
    session.once('error', reject);
  });
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a client command to completion (killed after `ms`); never rejects on a non-zero exit. */
export function runClient(command: string, args: readonly string[], ms = 20_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: ms, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(`${command} is not on PATH: install it (Debian: ${command === 'curl' ? 'curl' : 'nghttp2-client'}); .ci/run does`));
        return;
      }
      if (err !== null && err.killed) {
        reject(new Error(`${command} ${args.join(' ')} did not finish within ${ms} ms`));
        return;
      }
      resolve({ code: err === null ? 0 : Number(err.code ?? 1), stdout, stderr });
    });
  });
}
