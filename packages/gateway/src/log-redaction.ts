/**
 * What the gateway's logs never hold: credentials in headers (Authorization, Proxy-Authorization,
 * Cookie, Set-Cookie), wherever a log line carries a headers object, and the values of
 * credential-like query parameters (`access_token`, `token`, `code`, `password`, `api_key`…) in
 * any logged URL or path. Long URLs are also cut, so a 414 does not write 8 KiB per line.
 */

export const REDACTED = '[redacted]';

/** Longest URL kept in a log line; the rest is replaced by `…`. */
export const MAX_LOGGED_URL_CHARS = 1_024;

const SECRET_HEADERS = ['authorization', 'cookie', '["set-cookie"]', '["proxy-authorization"]'];

/** pino `redact` paths: the secret headers at the top of a line, in `headers`, and one level below. */
export const REDACTED_LOG_PATHS: readonly string[] = Object.freeze(
  SECRET_HEADERS.flatMap((h) => {
    const member = h.startsWith('[') ? h : `.${h}`;
    return [h, `headers${member}`, `*.headers${member}`, `*${member}`];
  }),
);

// A parameter name, lower-cased with "-" read as "_", that ends in one of these words.
const SECRET_PARAM = /(?:^|_)(?:token|code|password|passwd|pwd|secret|key|apikey|signature|sig|auth|authorization|session|sessionid|credential|credentials|jwt)$/;

/** True when a query parameter's name says its value is a credential. */
export function isSecretParam(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    // A malformed escape: judge the raw text.
  }
  return SECRET_PARAM.test(decoded.toLowerCase().replaceAll('-', '_'));
}

/** `url` with credential-like query values replaced by `[redacted]` and cut to {@link MAX_LOGGED_URL_CHARS}. */
export function scrubUrl(url: unknown): unknown {
  if (typeof url !== 'string') return url;
  const q = url.indexOf('?');
  let out = url;
  if (q !== -1) {
    const params = url
      .slice(q + 1)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        const name = eq === -1 ? pair : pair.slice(0, eq);
        return eq !== -1 && isSecretParam(name) ? `${name}=${REDACTED}` : pair;
      });
    out = `${url.slice(0, q)}?${params.join('&')}`;
  }
  return out.length > MAX_LOGGED_URL_CHARS ? `${out.slice(0, MAX_LOGGED_URL_CHARS)}…` : out;
}
