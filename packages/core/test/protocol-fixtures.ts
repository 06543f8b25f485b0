/** Valid frames of every type, built as a sender would (makeFrame), shared by the protocol tests. */
import { ManualClock } from '../src/clock.js';
import { computeEndpointsHash } from '../src/protocol/endpoints-hash.js';
import type { EndpointDescriptor, Frame } from '../src/protocol/frames.js';
import * as assert from 'uvu/assert';
import { decodeFrame, encodeFrame } from '../src/protocol/frame-codec.js';
import { makeFrame } from '../src/protocol/make-frame.js';

export const clock = new ManualClock(1_700_000_000_000);

export const endpoints: EndpointDescriptor[] = [
  { method: 'GET', path: '/invoices/{id}', timeoutMs: 2000, requiringClaims: [{ claim: 'scope', value: 'billing:read' }], streaming: false },
  { method: 'POST', path: '/invoices', requiringClaims: [], streaming: false },
  { method: 'GET', path: '/files/{path...}', requiringClaims: [{ claim: 'sub' }], streaming: true },
];

export function frames(body: Uint8Array = new Uint8Array([1, 2, 3])): Frame[] {
  const hello = makeFrame(
    'HELLO',
    {
      instance: { service: 'billing', version: '1.4.2', region: 'eu-west-1', instanceId: 'billing-a1', address: 'messaging:service.billing.1.4.2.requests' },
      endpoints,
      endpointsHash: computeEndpointsHash(endpoints),
    },
    { clock },
  );
  const request = makeFrame(
    'REQUEST',
    {
      method: 'POST',
      path: '/invoices',
      query: 'a=1&b=%20',
      headers: { 'content-type': 'application/octet-stream', 'x-request-id': 'r-1' },
      body,
      deadline: clock.now() + 30_000,
      replyTo: 'gateway.gw-1.responses',
      identity: { anonymous: false, subject: 'u-1', tenant: 't-1', scopes: ['billing:read'], claims: { sub: 'u-1', n: 3, nested: { ok: true } } },
    },
    { clock },
  );
  return [
    hello,
    makeFrame('HEARTBEAT', { instanceId: 'billing-a1', seq: 7, status: 'healthy', inFlight: 2, endpointsHash: computeEndpointsHash(endpoints) }, { clock }),
    makeFrame('GOODBYE', { instanceId: 'billing-a1' }, { clock }),
    makeFrame('RESYNC', { instanceId: 'billing-a1' }, { clock }),
    request,
    makeFrame('RESPONSE', { status: 201, headers: { 'content-type': 'application/json' }, body, instanceId: 'billing-a1' }, { clock, id: request.id }),
    makeFrame('CANCEL', { reason: 'timeout' }, { clock, id: request.id }),
    makeFrame('DRAIN', { instanceId: 'billing-a1', reason: 'node maintenance', requestedBy: 'olivia' }, { clock }),
    makeFrame('DRAIN', { instanceId: 'billing-a1' }, { clock }),
    makeFrame('UNDRAIN', { instanceId: 'billing-a1', requestedBy: 'olivia' }, { clock }),
  ];
}

/** Every single-byte corruption and every truncation of each frame's encoding decodes or throws SY_PROTOCOL_INVALID_FRAME, nothing else. */
export function assertCorruptionsRejectedCleanly(list: readonly Frame[]): void {
  for (const frame of list) {
    const bytes = encodeFrame(frame);
    for (let i = 0; i < bytes.length; i++) {
      const corrupt = Uint8Array.from(bytes);
      corrupt[i] = (corrupt[i] as number) ^ (1 + (i % 255));
      for (const candidate of [corrupt, bytes.subarray(0, i)]) {
        try {
          decodeFrame(candidate);
        } catch (err) {
          assert.is((err as { code?: unknown }).code, 'SY_PROTOCOL_INVALID_FRAME', `corruption at ${i} of ${frame.type} threw ${String(err)}`);
        }
      }
    }
  }
}

/** Decodes `bytes`, failing unless it throws SY_PROTOCOL_INVALID_FRAME; returns the reason. */
export function rejection(bytes: Uint8Array): string {
  try {
    decodeFrame(bytes);
  } catch (err) {
    assert.is((err as { code?: unknown }).code, 'SY_PROTOCOL_INVALID_FRAME', `unexpected error: ${String(err)}`);
    return (err as { reason: string }).reason;
  }
  assert.unreachable('decodeFrame should have rejected the bytes');
  return '';
}

/** The frame with its body (if any) as a plain Uint8Array, so frames compare by content whatever the view type. */
export function plain(frame: Frame): unknown {
  if (frame.type !== 'REQUEST' && frame.type !== 'RESPONSE') return frame;
  return { ...frame, payload: { ...frame.payload, body: new Uint8Array(frame.payload.body) } };
}
