/**
 * What a HELLO may register (docs/protocol.md, "Registration policy"). Checked before the routing
 * state changes, so a refused HELLO changes nothing:
 *   - an instance id already registered keeps its service, version and endpoints (claims
 *     included): a HELLO that changes them is refused (`instance-changed`); the instance must say
 *     GOODBYE (or go stale) first, or come back under a new id;
 *   - a new instance of a service version that has live instances must declare exactly their
 *     endpoints; different endpoints or claims are refused, never merged (`endpoints-differ`);
 *   - at most `maxInstancesPerService` instances per service (`too-many-instances`) and
 *     `maxEndpoints` distinct endpoint declarations in the whole state (`too-many-endpoints`).
 * Endpoints are compared by a hash the gateway computes from the declared endpoints, not by the
 * hash the HELLO claims.
 */
import { InvalidArgumentError, RegistrationRefusedError } from '../errors.js';
import { computeEndpointsHash } from '../protocol/endpoints-hash.js';
import type { EndpointDescriptor, HelloPayload } from '../protocol/frames.js';

export interface RegistrationLimits {
  /** Instances one service may register at once. @default 512 */
  readonly maxInstancesPerService: number;
  /** Distinct (service, version, endpoint) declarations the gateway holds. @default 10000 */
  readonly maxEndpoints: number;
}

export const REGISTRATION_DEFAULTS: RegistrationLimits = Object.freeze({ maxInstancesPerService: 512, maxEndpoints: 10_000 });

/** What the policy reads of the routing state. */
export interface RegistrationView {
  /** The registration of `instanceId`, if any. */
  registered(instanceId: string): { readonly service: string; readonly version: string; readonly endpoints: readonly EndpointDescriptor[] } | undefined;
  /** The endpoints of one live instance of `service@version` other than `instanceId`, or undefined when it has none. */
  liveEndpoints(service: string, version: string, instanceId: string): readonly EndpointDescriptor[] | undefined;
  /** Instances of `service` registered now. */
  instancesOf(service: string): number;
  /** Distinct endpoint declarations registered now. */
  endpointCount(): number;
}

/** Fills defaults and checks the limits; throws SY_INVALID_ARGUMENT naming `path.<limit>`. */
export function resolveRegistrationLimits(input: Partial<RegistrationLimits> = {}, path = 'registration'): RegistrationLimits {
  const limits = { ...REGISTRATION_DEFAULTS, ...input };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw InvalidArgumentError.format(`${path}.${key}`, 'an integer ≥ 1', value);
  }
  return Object.freeze(limits);
}

/** The refusal of `hello`, or undefined when it may be applied. */
export function checkRegistration(view: RegistrationView, hello: HelloPayload, limits: RegistrationLimits): RegistrationRefusedError | undefined {
  const { instanceId, service, version } = hello.instance;
  const refuse = (why: RegistrationRefusedError['why'], detail: string): RegistrationRefusedError =>
    new RegistrationRefusedError(why, instanceId, service, version, detail);
  const declared = computeEndpointsHash(hello.endpoints);
  const previous = view.registered(instanceId);
  if (previous !== undefined) {
    if (previous.service !== service || previous.version !== version) {
      return refuse('instance-changed', `the instance is registered as ${previous.service} ${previous.version}; it must say GOODBYE before it registers as something else`);
    }
    if (computeEndpointsHash(previous.endpoints) !== declared) {
      return refuse('instance-changed', 'it declares endpoints or claims other than those it registered with; it must say GOODBYE (or come back under a new instance id) to change them');
    }
    return undefined;
  }
  const live = view.liveEndpoints(service, version, instanceId);
  if (live !== undefined && computeEndpointsHash(live) !== declared) {
    return refuse('endpoints-differ', `live instances of ${service} ${version} declare other endpoints or claims; one version serves one endpoint set (deploy the change as a new version)`);
  }
  if (view.instancesOf(service) >= limits.maxInstancesPerService) {
    return refuse('too-many-instances', `${service} already has ${limits.maxInstancesPerService} instances, the limit (routing.maxInstancesPerService)`);
  }
  if (live === undefined && view.endpointCount() + hello.endpoints.length > limits.maxEndpoints) {
    return refuse('too-many-endpoints', `its ${hello.endpoints.length} endpoints would take the gateway past its limit of ${limits.maxEndpoints} (routing.maxEndpoints)`);
  }
  return undefined;
}
