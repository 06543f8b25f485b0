/**
 * Queue names of streamed exchanges over Messaging (docs/messaging-transport.md, "Streamed
 * bodies"). Each gateway node reads its own `gateway.<nodeId>.streams` (response chunks and the
 * request body's CREDITs), each instance its own `instance.<instanceId>.streams` (request chunks
 * and the response body's CREDITs). Each is read by its one process as a tail queue, which trims
 * what it has read, so what a queue holds is bounded by the windows of the exchanges in flight.
 */

/** Where the gateway node that owns `responsesQueue` (`gateway.<nodeId>.responses`) takes body frames. */
export function gatewayStreamsQueue(responsesQueue: string): string {
  return `${responsesQueue.slice(0, -'.responses'.length)}.streams`;
}

/** Where an instance takes body frames. */
export const instanceStreamsQueue = (instanceId: string): string => `instance.${instanceId}.streams`;

const INSTANCE_STREAMS = /^instance\.[\x21-\x7e]{1,128}\.streams$/;

/** True for an instance streams queue: the only place a gateway sends a request body or a CREDIT. */
export const isInstanceStreamsQueue = (name: string): boolean => INSTANCE_STREAMS.test(name);

/** True for a streams queue of either side (a gateway node's or an instance's). */
export const isStreamsQueue = (name: string): boolean => name.endsWith('.streams') && (name.startsWith('gateway.') || name.startsWith('instance.'));
