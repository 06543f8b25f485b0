/** The module hooks of loaded-modules.mjs: each resolved URL is posted to the process's main thread. */
let port;

export function initialize(data) {
  port = data.port;
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  port.postMessage(resolved.url);
  return resolved;
}
