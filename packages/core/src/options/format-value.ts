/**
 * The one rendering of a received value in an error message, "(got …)": short, and safe to log
 * (a string is cut at 60 characters, objects are named by kind, never printed).
 */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
