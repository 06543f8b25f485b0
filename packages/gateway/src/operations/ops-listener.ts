/**
 * The separate operations listener (`ops.port`): health, metrics and the routing view, all
 * public, on an address the client load balancer does not expose. It answers nothing else (404)
 * and has the same header and request deadlines as the client listener.
 */
import { createServer, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClientError } from '../http/client-error.js';
import { answerNotFound, type OperationsHook } from './endpoints.js';

export class OpsListener {
  private readonly server: Server;
  private baseUrl = '';

  constructor(
    private readonly host: string,
    private readonly port: number,
    hook: OperationsHook,
    options: ServerOptions,
  ) {
    this.server = createServer(options, (req, res) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      if (!hook(q === -1 ? url : url.slice(0, q), req, res)) answerNotFound(res);
    });
    this.server.on('clientError', answerClientError);
  }

  /** Listens; resolves with the base URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
    return this.baseUrl;
  }

  url(): string {
    return this.baseUrl;
  }

  /** Stops listening and closes every connection (scrapes are short; nothing to drain). */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
