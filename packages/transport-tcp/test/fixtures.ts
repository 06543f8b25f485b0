/** Shared builders for the transport tests: HELLOs, requests, and a recording GatewayTransportEvents. */
import {
  computeEndpointsHash,
  type ControlFrame,
  type DispatchTarget,
  type EndpointDescriptor,
  type GatewayTransportEvents,
  type HelloPayload,
  type InstanceLink,
  type RequestPayload,
  type TransportType,
} from '@switchyard/core';

export const endpoints: EndpointDescriptor[] = [
  { method: 'POST', path: '/echo', requiringClaims: [], streaming: false },
  { method: 'GET', path: '/slow', requiringClaims: [], streaming: false },
];

export function helloFor(instanceId: string, service = 'echo'): HelloPayload {
  return {
    instance: { service, version: '1.0.0', region: 'local', instanceId, address: 'pending' },
    endpoints,
    endpointsHash: computeEndpointsHash(endpoints),
  };
}

export function requestTo(path: string, body: string | Uint8Array = '', deadlineInMs = 10_000): Omit<RequestPayload, 'replyTo'> {
  return {
    method: path === '/slow' ? 'GET' : 'POST',
    path,
    query: '',
    headers: {},
    body: typeof body === 'string' ? Buffer.from(body) : body,
    deadline: Date.now() + deadlineInMs,
    identity: null,
  };
}

/** Records control frames and lost instances; `links` maps instanceId → the link of its last HELLO. */
export class RecordingEvents implements GatewayTransportEvents {
  readonly frames: Array<{ frame: ControlFrame; link: InstanceLink }> = [];
  readonly lostInstances: Array<{ instanceId: string; reason: string }> = [];
  readonly links = new Map<string, InstanceLink>();

  control(frame: ControlFrame, link: InstanceLink): void {
    this.frames.push({ frame, link });
    if (frame.type === 'HELLO') this.links.set(frame.payload.instance.instanceId, link);
  }

  lost(instanceId: string, reason: string): void {
    this.lostInstances.push({ instanceId, reason });
  }

  hellos(instanceId: string): number {
    return this.frames.filter((f) => f.frame.type === 'HELLO' && f.frame.payload.instance.instanceId === instanceId).length;
  }

  target(instanceId: string, transport: TransportType): DispatchTarget {
    const link = this.links.get(instanceId);
    if (link === undefined) throw new Error(`no HELLO from ${instanceId} yet`);
    if (link.transport !== transport) throw new Error(`${instanceId} registered over ${link.transport}, not ${transport}`);
    return { instanceId, service: 'echo', version: '1.0.0', link };
  }
}

/** A Logger that keeps every entry, for tests that wait on a logged reason. */
export class RecordingLogger {
  readonly entries: Array<{ level: string; message: string; fields: Readonly<Record<string, unknown>> }> = [];
  debug(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.entries.push({ level: 'debug', message, fields });
  }
  info(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.entries.push({ level: 'info', message, fields });
  }
  warn(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.entries.push({ level: 'warn', message, fields });
  }
  error(fields: Readonly<Record<string, unknown>>, message: string): void {
    this.entries.push({ level: 'error', message, fields });
  }
  count(message: string): number {
    return this.entries.filter((e) => e.message === message).length;
  }
}
