/**
 * A loopback TCP proxy for fault tests: put it between a client and a server, then cut every
 * live connection, or refuse new ones for a while, without touching either side.
 */
import { createServer, connect, type Socket } from 'node:net';

export interface TcpProxy {
  /** The proxy's own loopback port: point clients here. */
  readonly port: number;
  /** Destroys every current connection (both sides). New connections are still accepted. */
  cut(): void;
  /** Replies (server to client data) of current connections are dropped until the next cut(): a request is served, its reply never arrives. */
  holdReplies(): void;
  /** New connections are accepted and closed at once (refused) until resume(). */
  pause(): void;
  resume(): void;
  /** Number of live proxied connections. */
  connections(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const live = new Set<Socket>();
  let paused = false;
  let holding = false;
  const server = createServer((client) => {
    if (paused) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: targetHost, port: targetPort });
    live.add(client);
    live.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!holding) client.write(chunk);
    });
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const cut = (): void => {
    for (const s of live) s.destroy();
    live.clear();
    holding = false;
  };
  return {
    port,
    cut,
    holdReplies: () => {
      holding = true;
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    connections: () => live.size / 2,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}
