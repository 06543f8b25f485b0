/** Builders for routing tests: control frames as an instance would send them. */
import { ManualClock } from '../src/clock.js';
import { computeEndpointsHash } from '../src/protocol/endpoints-hash.js';
import type { EndpointDescriptor, GoodbyeFrame, HeartbeatFrame, HelloFrame, HttpMethod, InstanceStatus } from '../src/protocol/frames.js';
import type { WireFormat } from '../src/protocol/limits.js';
import { makeFrame } from '../src/protocol/make-frame.js';
import { RoutingState } from '../src/routing/routing-state.js';
import { TransportType, type InstanceLink } from '../src/transport/types.js';

export const link: InstanceLink = { transport: TransportType.Messaging, address: 'gateway.control' };

export function ep(method: HttpMethod, path: string, extra: Partial<EndpointDescriptor> = {}): EndpointDescriptor {
  return { method, path, requiringClaims: [], streaming: false, ...extra };
}

export interface InstanceSpec {
  id: string;
  service?: string;
  version?: string;
  region?: string;
  endpoints?: EndpointDescriptor[];
  /** The HELLO's wireFormats; absent as an older SDK sends it. */
  wireFormats?: WireFormat[];
}

export function setup(options: { defaultVersions?: Record<string, string> } = {}): { clock: ManualClock; state: RoutingState } {
  const clock = new ManualClock(1_700_000_000_000);
  return { clock, state: new RoutingState({ clock, ...options }) };
}

export function hello(clock: ManualClock, spec: InstanceSpec): HelloFrame {
  const endpoints = spec.endpoints ?? [ep('GET', '/items/{id}'), ep('POST', '/items')];
  return makeFrame(
    'HELLO',
    {
      instance: {
        service: spec.service ?? 'items',
        version: spec.version ?? '1.0.0',
        region: spec.region ?? 'eu-west-1',
        instanceId: spec.id,
        address: `messaging:service.${spec.service ?? 'items'}.${spec.version ?? '1.0.0'}.requests`,
      },
      endpoints,
      endpointsHash: computeEndpointsHash(endpoints),
      ...(spec.wireFormats === undefined ? {} : { wireFormats: spec.wireFormats }),
    },
    { clock },
  );
}

export function heartbeat(
  clock: ManualClock,
  hi: HelloFrame,
  seq: number,
  status: InstanceStatus = 'healthy',
  extra: { inFlight?: number; endpointsHash?: string; instanceId?: string } = {},
): HeartbeatFrame {
  return makeFrame(
    'HEARTBEAT',
    {
      instanceId: extra.instanceId ?? hi.payload.instance.instanceId,
      seq,
      status,
      inFlight: extra.inFlight ?? 0,
      endpointsHash: extra.endpointsHash ?? hi.payload.endpointsHash,
    },
    { clock },
  );
}

export function goodbye(clock: ManualClock, instanceId: string): GoodbyeFrame {
  return makeFrame('GOODBYE', { instanceId }, { clock });
}

/** Registers instances and returns their HELLO frames by id. */
export function register(clock: ManualClock, state: RoutingState, ...specs: InstanceSpec[]): Record<string, HelloFrame> {
  const out: Record<string, HelloFrame> = {};
  for (const spec of specs) {
    const frame = hello(clock, spec);
    state.applyControl(frame, link);
    out[spec.id] = frame;
  }
  return out;
}
