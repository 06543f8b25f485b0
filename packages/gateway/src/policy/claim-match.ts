/**
 * Compares one JWT claim, of any JSON type, with the text an endpoint's `requiringClaims` asks
 * for, without ever throwing: a claim's value comes from the token, so it may be an object, an
 * array of objects, or an object with its own `toString`, and none of these may turn a
 * 403 into a 500.
 *
 * - a string matches when it equals the value or holds it as a space-separated word (`scope`);
 * - a number or boolean matches when its JSON text equals the value (`42`, `true`);
 * - an array matches when one of its string, number or boolean elements matches;
 * - an object or null never matches a value.
 */
export function claimMatches(actual: unknown, expected: string): boolean {
  if (Array.isArray(actual)) {
    for (const element of actual as readonly unknown[]) if (primitiveEquals(element, expected)) return true;
    return false;
  }
  if (typeof actual === 'string') return actual === expected || actual.split(' ').includes(expected);
  return primitiveEquals(actual, expected);
}

function primitiveEquals(value: unknown, expected: string): boolean {
  switch (typeof value) {
    case 'string':
      return value === expected;
    case 'number':
    case 'boolean':
      return String(value) === expected;
    default:
      return false;
  }
}
