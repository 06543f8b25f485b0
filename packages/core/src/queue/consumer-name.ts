/**
 * Consumer names are unique per consumer across processes (`<host>-<pid>-<random>`): a server
 * that cannot tell replicas apart cannot fence their leases: two replicas with one name would
 * settle each other's deliveries.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

const HOST = hostname().replace(/[^A-Za-z0-9_.-]/g, '_') || 'host';

/** A fresh consumer name; `prefix` replaces the host part when given. */
export function newConsumerName(prefix?: string): string {
  return `${prefix ?? HOST}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

const SUFFIX = /^\d+-[0-9a-f]{12}$/;

/** True when `name` is a consumer name {@link newConsumerName} made with `prefix` (exactly that prefix, not a longer one). */
export function isConsumerNameOf(name: string, prefix: string): boolean {
  return name.startsWith(`${prefix}-`) && SUFFIX.test(name.slice(prefix.length + 1));
}
