/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe the client's connection to the gateway, not the
 * request, so an instance never sees them: the fixed list below, every `Proxy-*` header, and
 * every header the client named in `Connection` (`Connection: close, x-secret` removes
 * `x-secret` too).
 */

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/** True for a header that is hop-by-hop by definition; `name` must be lower-case. */
export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-');
}

/**
 * The lower-case header names listed in a `Connection` value (comma-separated tokens, any case),
 * or undefined when there is none besides `close`/`keep-alive`, which are hop-by-hop already.
 */
export function connectionNamedHeaders(connection: string | string[] | undefined): ReadonlySet<string> | undefined {
  if (connection === undefined) return undefined;
  const text = Array.isArray(connection) ? connection.join(',') : connection;
  let names: Set<string> | undefined;
  for (const token of text.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || HOP_BY_HOP.has(name)) continue;
    (names ??= new Set()).add(name);
  }
  return names;
}
