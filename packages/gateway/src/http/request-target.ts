/**
 * Reads a request target (the URL of the request line) into the path that is matched and
 * forwarded and the raw query, or says why it is refused, before anything is dispatched:
 *
 * - longer than `maxRequestTargetBytes` → 414;
 * - absolute form (`http://host/path`, `https://…`) → reduced to its path and query (RFC 9112
 *   §3.2.2 asks servers to accept it); the authority is ignored;
 * - anything else that does not start with `/` (authority form, `*`, other schemes) → 400;
 * - a fragment (`#`), a backslash, `%2F`/`%5C` (an encoded slash or backslash), `%00` or a `%`
 *   not followed by two hex digits → 400: each means a different path to some other parser;
 * - dot segments (`.`, `..`, also written `%2e`) are removed as RFC 3986 §5.2.4 says, and a `..`
 *   that would climb above the root → 400;
 * - empty segments (`//`) are collapsed; a trailing `/` is kept.
 *
 * `/echo/../vault/secret` therefore becomes `/vault/secret`: it is matched, authorized and
 * forwarded as that path, never as an `/echo/…` request. The query is only length-checked.
 */

export interface RequestTargetLimits {
  /** Longest request target (path + `?` + query), in bytes. */
  readonly maxRequestTargetBytes: number;
}

export type RequestTarget =
  | { readonly kind: 'ok'; readonly path: string; readonly query: string }
  | { readonly kind: 'too-long'; readonly length: number }
  | { readonly kind: 'malformed'; readonly reason: string };

/**
 * What makes a path need more than the fast path: `%` (maybe `%2e`, `%2f`), `\`, `//`, or a
 * segment starting with `.`; a dot inside a segment (`a.txt`) needs nothing.
 */
const NEEDS_CARE = /[%\\]|\/\/|\/\./;
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;
const ENCODED_SLASH_OR_NUL = /%(?:2f|5c|00)/i;
const BAD_PERCENT = /%(?![0-9a-f]{2})/i;
const DOT = /^(?:\.|%2e)$/i;
const DOT_DOT = /^(?:\.|%2e){2}$/i;

export function readRequestTarget(url: string | undefined, limits: RequestTargetLimits): RequestTarget {
  const raw = url ?? '/';
  // Node keeps the request line as latin1 text: one character per byte.
  if (raw.length > limits.maxRequestTargetBytes) return { kind: 'too-long', length: raw.length };
  let target = raw;
  if (target.charCodeAt(0) !== 47 /* / */) {
    const absolute = ABSOLUTE_FORM.exec(target);
    if (absolute === null) return { kind: 'malformed', reason: 'the request target is neither a path starting with "/" nor an http(s) absolute URL' };
    target = target.slice(absolute[0].length);
    if (target === '' || target.charCodeAt(0) === 63 /* ? */) target = `/${target}`;
  }
  if (target.includes('#')) return { kind: 'malformed', reason: 'the request target carries a fragment ("#")' };
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q + 1);
  if (!NEEDS_CARE.test(rawPath)) return { kind: 'ok', path: rawPath, query };
  if (rawPath.includes('\\')) return { kind: 'malformed', reason: 'the path contains a backslash' };
  if (ENCODED_SLASH_OR_NUL.test(rawPath)) return { kind: 'malformed', reason: 'the path contains an encoded slash, backslash or NUL (%2F, %5C, %00)' };
  if (BAD_PERCENT.test(rawPath)) return { kind: 'malformed', reason: 'the path contains a "%" that is not followed by two hex digits' };
  const path = normalisePath(rawPath);
  return path === undefined ? { kind: 'malformed', reason: 'the path climbs above the root with ".."' } : { kind: 'ok', path, query };
}

/** Removes dot and empty segments; undefined when `..` would leave the root. */
function normalisePath(path: string): string | undefined {
  const segments = path.split('/');
  const out: string[] = [];
  const last = segments.length - 1;
  // segments[0] is the empty text before the leading "/".
  for (let i = 1; i <= last; i++) {
    const segment = segments[i] as string;
    if (DOT.test(segment)) continue;
    if (DOT_DOT.test(segment)) {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    if (segment !== '') out.push(segment);
  }
  const lastSegment = segments[last] as string;
  // "/a/" keeps its slash; so does "/a/." or "/a/b/.." (they name the directory "/a/").
  const trailingSlash = out.length > 0 && (lastSegment === '' || DOT.test(lastSegment) || DOT_DOT.test(lastSegment));
  return `/${out.join('/')}${trailingSlash ? '/' : ''}`;
}
