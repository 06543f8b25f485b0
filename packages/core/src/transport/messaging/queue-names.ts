/**
 * The Messaging router transport's queue names (docs/messaging-transport.md, "Queue topology") and nothing else. Names are logical:
 * the backend adds its own key prefix (e.g. `switchyard:{gateway.control}` in Valkey).
 */

/** Fan-out: every instance writes HELLO, HEARTBEAT, GOODBYE; every gateway node reads all of them. */
export const GATEWAY_CONTROL_QUEUE = 'gateway.control';

/** Competing: RESPONSEs for one gateway node, read only by that node. */
export const gatewayResponsesQueue = (nodeId: string): string => `gateway.${nodeId}.responses`;

/** Competing: REQUESTs for one exact service version, shared by its instances that state no region. */
export const serviceRequestsQueue = (service: string, version: string): string => `service.${service}.${version}.requests`;

/**
 * The region an instance is in when it states none (the SDK's default `region`): such instances
 * take their REQUESTs from the version's queue, {@link serviceRequestsQueue}.
 */
export const UNPLACED_REGION = 'local';

/**
 * Competing: REQUESTs for one exact service version in one region, shared by that version's
 * instances in the region: `service.<name>.<version>@<region>.requests`, or the version's queue
 * for {@link UNPLACED_REGION} (and an empty region). `@` cannot occur in a semver version, so the
 * name parses back; the region is URI-encoded (a region is free text in HELLO, and a `{` or `}`
 * would end a Valkey hash tag).
 */
export const regionRequestsQueue = (service: string, version: string, region: string): string =>
  region === UNPLACED_REGION || region === '' ? serviceRequestsQueue(service, version) : `service.${service}.${version}@${encodeURIComponent(region)}.requests`;

const SERVICE_REQUESTS = /^service\.(.+?)\.(\d+\.\d+\.\d+[^@]*?)(?:@(.+))?\.requests$/;

/** The inverse of {@link regionRequestsQueue}: which service version (and region) a requests queue serves, or undefined. */
export function parseServiceRequestsQueue(name: string): { service: string; version: string; region: string } | undefined {
  const m = SERVICE_REQUESTS.exec(name);
  if (m === null) return undefined;
  let region = UNPLACED_REGION;
  if (m[3] !== undefined) {
    try {
      region = decodeURIComponent(m[3]);
    } catch {
      return undefined;
    }
  }
  return { service: m[1] as string, version: m[2] as string, region };
}

/** Fan-out: CANCEL and RESYNC for every instance of a service (addressed inside the frame). */
export const serviceControlQueue = (service: string): string => `service.${service}.control`;

const RESPONSES = /^gateway\.[A-Za-z0-9_.:-]+\.responses$/;

/** True when `name` is a gateway responses queue: an instance sends a RESPONSE nowhere else. */
export const isGatewayResponsesQueue = (name: string): boolean => RESPONSES.test(name);

/** Queue headers the instance side puts on control frames so a gateway that lost its state can address RESYNC. */
export const HEADER_SERVICE = 'sy-service';
export const HEADER_VERSION = 'sy-version';
export const HEADER_REGION = 'sy-region';
