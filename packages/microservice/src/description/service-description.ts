/**
 * The SDK's side of the description exchange (docs/protocol.md, "Service description"): the
 * answer to a gateway's `GET /_switchyard/description`, built by the SDK and never by a handler.
 */
import type { ServiceDescription } from '@switchyard/core';
import { errorAnswer, type Answer } from '../response.js';

/** The description an instance announced in HELLO, with its hash. */
export interface DescribedService {
  readonly description: ServiceDescription;
  readonly hash: string;
}

/**
 * 200 with the description as JSON and its hash in `x-switchyard-description-hash`. The gateway
 * checks that hash against the one it asked for, so an instance restarted with another
 * description is never cached under the old hash.
 */
export function descriptionAnswer(described: DescribedService, method: string, requestId: string): Answer {
  if (method !== 'GET') return errorAnswer(405, 'SY_SERVICE_METHOD_NOT_ALLOWED', `${method} is not allowed on the description`, requestId, { allow: 'GET' });
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'x-switchyard-description-hash': described.hash },
    body: Buffer.from(JSON.stringify(described.description), 'utf8'),
  };
}
