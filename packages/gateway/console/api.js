// The admin API as the console uses it: the token goes in the Authorization header, never in a
// cookie, and every request goes to this gateway (same origin).

const PREFIX = '/_switchyard/admin/';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function call(token, method, path, body) {
  const res = await fetch(PREFIX + path, {
    method,
    credentials: 'omit',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed = {};
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ApiError(res.status, 'BAD_BODY', `${method} ${path} answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) throw new ApiError(res.status, parsed.error?.code ?? 'HTTP', parsed.error?.message ?? `HTTP ${res.status}`);
  return parsed;
}

/** The query string for the dead-letter filter. */
export function filterQuery(filter, now) {
  const q = new URLSearchParams({ limit: '200' });
  if (filter.queue) q.set('queue', filter.queue);
  if (filter.reason) q.set('reason', filter.reason);
  if (filter.sinceMs) q.set('since', String(now - filter.sinceMs));
  return q.toString();
}

/** The body fields of the same filter, for redrive and purge. */
export function filterBody(filter, now) {
  return {
    ...(filter.queue ? { queue: filter.queue } : {}),
    ...(filter.reason ? { reason: filter.reason } : {}),
    ...(filter.sinceMs ? { since: now - filter.sinceMs } : {}),
  };
}
