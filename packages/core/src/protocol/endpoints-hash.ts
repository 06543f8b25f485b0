/**
 * The `endpointsHash` of HELLO and HEARTBEAT: a digest of an instance's endpoint set, so a gateway
 * notices from a HEARTBEAT that the endpoints it holds are not the instance's current ones and
 * asks for a RESYNC (docs/protocol.md, HEARTBEAT and RESYNC).
 */
import { createHash } from 'node:crypto';
import type { EndpointDescriptor } from './frames.js';

/**
 * SHA-256 (hex) of a canonical form of `endpoints`: each endpoint as a JSON array of its fields
 * in a fixed order, claims sorted, the lines sorted. Order-independent (neither endpoint nor claim
 * order changes it); any change to a method, path, timeout, claim, streaming flag or body limit does.
 */
export function computeEndpointsHash(endpoints: readonly EndpointDescriptor[]): string {
  const lines = endpoints.map((e) => {
    const claims = e.requiringClaims
      .map((c) => JSON.stringify(c.value === undefined ? [c.claim] : [c.claim, c.value]))
      .sort();
    const fields: unknown[] = [e.method, e.path, e.timeoutMs ?? null, claims, e.streaming];
    // Added only when set, so the hash of an endpoint set that uses neither is what it always was.
    if (e.streamingBodies !== undefined || e.maxBodyBytes !== undefined) fields.push(e.streamingBodies ?? null, e.maxBodyBytes ?? null);
    return JSON.stringify(fields);
  });
  lines.sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
