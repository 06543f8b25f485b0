/** What the gateway config tests share: the smallest valid config, and the problems a rejected config lists. */
import * as assert from 'uvu/assert';

export const minimal = { transports: [{ type: 'messaging', backend: 'memory' }] };

/** The problems of the SY_GATEWAY_INVALID_CONFIG that `fn` rejects with; fails when it resolves. */
export async function problemsOf(fn: () => Promise<unknown>): Promise<string[]> {
  try {
    await fn();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'SY_GATEWAY_INVALID_CONFIG');
    return [...(err as { problems: string[] }).problems];
  }
  assert.unreachable('config should have been rejected');
  return [];
}
