/**
 * The answer every echo in bench:http gives (the direct server, the echo service, the reference
 * workers): JSON of method, path, query, headers and body.
 */
export function echoBody(method, url, headers, body, instanceId) {
  const q = url.indexOf('?');
  return JSON.stringify({
    method,
    path: q === -1 ? url : url.slice(0, q),
    query: Object.fromEntries(new URLSearchParams(q === -1 ? '' : url.slice(q + 1))),
    headers,
    body,
    identity: null,
    instanceId,
  });
}
