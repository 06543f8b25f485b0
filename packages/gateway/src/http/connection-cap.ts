/**
 * A cap on the connections one client address holds open at once: past it, a new connection is
 * closed as soon as it is accepted, before a byte is parsed, so one client cannot take every
 * socket the process can hold. Behind a load balancer every connection comes from the balancer's
 * few addresses; set the cap above its connection pool, or 0 for none.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export class ConnectionsPerClient {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts a connection from `address`; false (and not counted) when the address is at the cap. */
  tryOpen(address: string): boolean {
    const n = this.open.get(address) ?? 0;
    if (n >= this.max) return false;
    this.open.set(address, n + 1);
    return true;
  }

  closed(address: string): void {
    const n = (this.open.get(address) ?? 1) - 1;
    if (n <= 0) this.open.delete(address);
    else this.open.set(address, n);
  }

  countOf(address: string): number {
    return this.open.get(address) ?? 0;
  }
}

/** Applies a cap of `max` connections per client address to `server`; 0 means no cap. */
export function capConnectionsPerClient(server: Server, max: number): ConnectionsPerClient | undefined {
  if (max === 0) return undefined;
  const cap = new ConnectionsPerClient(max);
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (!cap.tryOpen(address)) {
      socket.destroy();
      return;
    }
    socket.once('close', () => cap.closed(address));
  });
  return cap;
}
