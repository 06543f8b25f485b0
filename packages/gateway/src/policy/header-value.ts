/**
 * Identity values (subject, tenant, scopes) come from a token and are written into the headers
 * an instance receives. A control character there (CR, LF, NUL…) could split or forge a header
 * wherever the value is written as HTTP again, so such a token is refused before dispatch.
 */

// Every C0 control except horizontal tab, and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** True when `value` holds no control character other than a tab. */
export function isSafeHeaderValue(value: string): boolean {
  return !CONTROL.test(value);
}
