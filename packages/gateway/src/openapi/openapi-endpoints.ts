/**
 * The gateway's OpenAPI paths (docs/operations.md, "OpenAPI and /docs"): `/openapi.json`,
 * `/openapi.yaml`, `/openapi/{service}/{version}.json` (and `.yaml`), `/docs` and its assets.
 * They take precedence over service endpoints, like the operations endpoints. The description
 * exchange's reserved path is answered 404 here, so no client request can reach an instance's
 * description through a catch-all route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DESCRIPTION_PATH, type Logger } from '@switchyard/core';
import type { DocsPage } from './docs-page.js';
import type { OpenApiDocumentSet, ServedDocument } from './openapi-documents.js';

/** The paths the gateway serves its OpenAPI documents and docs page on (ahead of service routes). */
export const OPENAPI_PATHS = Object.freeze({
  json: '/openapi.json',
  yaml: '/openapi.yaml',
  versionPrefix: '/openapi/',
  docs: '/docs',
});

const VERSION_DOC = /^\/openapi\/([^/]+)\/([^/]+)\.(json|yaml)$/;

/** Returns the request-path hook: true when `path` was one of these paths and has been answered. */
export function openApiEndpoints(
  documents: OpenApiDocumentSet,
  page: DocsPage,
  logger: Logger,
): (path: string, req: IncomingMessage, res: ServerResponse) => boolean {
  const failed = (res: ServerResponse) => (err: unknown) => {
    logger.error({ err: (err as Error).message }, 'OpenAPI document could not be served');
    send(res, 500, 'application/json; charset=utf-8', JSON.stringify({ error: { code: 'SY_GATEWAY_INTERNAL', message: 'the OpenAPI document could not be built' } }));
  };
  return (path, req, res) => {
    if (isReserved(path)) {
      send(res, 404, 'application/json; charset=utf-8', JSON.stringify({ error: { code: 'SY_GATEWAY_NOT_FOUND', message: 'no endpoint matches this path' } }));
      return true;
    }
    const isDocs = path === OPENAPI_PATHS.docs || path.startsWith(`${OPENAPI_PATHS.docs}/`);
    if (path !== OPENAPI_PATHS.json && path !== OPENAPI_PATHS.yaml && !path.startsWith(OPENAPI_PATHS.versionPrefix) && !isDocs) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'application/json; charset=utf-8', JSON.stringify({ error: { code: 'SY_GATEWAY_METHOD_NOT_ALLOWED', message: 'OpenAPI and docs paths answer GET only' } }), { allow: 'GET, HEAD' });
      return true;
    }
    if (path === OPENAPI_PATHS.json || path === OPENAPI_PATHS.yaml) {
      documents.main().then((doc) => sendDocument(res, doc, path.endsWith('.yaml')), failed(res));
      return true;
    }
    const m = VERSION_DOC.exec(path);
    if (m !== null) {
      const [, service, version, format] = m as unknown as [string, string, string, string];
      documents.version(decodeURIComponent(service), decodeURIComponent(version)).then((doc) => {
        if (doc === undefined) send(res, 404, 'application/json; charset=utf-8', JSON.stringify({ error: { code: 'SY_GATEWAY_NOT_FOUND', message: `no registered version ${version} of service ${service}` } }));
        else sendDocument(res, doc, format === 'yaml');
      }, failed(res));
      return true;
    }
    if (path === OPENAPI_PATHS.docs || path === `${OPENAPI_PATHS.docs}/`) {
      documents.versionKeys().then((keys) => {
        const urls = [{ name: 'all services', url: OPENAPI_PATHS.json }, ...keys.map((k) => ({ name: k, url: `${OPENAPI_PATHS.versionPrefix}${k.split('/').map(encodeURIComponent).join('/')}.json` }))];
        send(res, 200, 'text/html; charset=utf-8', page.html(urls));
      }, failed(res));
      return true;
    }
    const asset = isDocs ? page.asset(path.slice(OPENAPI_PATHS.docs.length + 1)) : undefined;
    if (asset === undefined) return false;
    asset.then((a) => send(res, 200, a.contentType, a.body, { 'cache-control': 'public, max-age=3600' }), failed(res));
    return true;
  };
}

/**
 * The reserved description path, also when spelled with percent-encoded characters
 * (`/_switchyard/%64escription`): the edge normalises dot segments and slashes but leaves
 * escapes, and route matching decodes them, so a catch-all would otherwise forward it.
 */
function isReserved(path: string): boolean {
  const within = (p: string): boolean => p === DESCRIPTION_PATH || p.startsWith(`${DESCRIPTION_PATH}/`);
  if (within(path)) return true;
  if (!path.includes('%')) return false;
  try {
    return within(decodeURIComponent(path));
  } catch {
    return false;
  }
}

function sendDocument(res: ServerResponse, doc: ServedDocument, yaml: boolean): void {
  if (yaml) send(res, 200, 'application/yaml; charset=utf-8', doc.yaml);
  else send(res, 200, 'application/json; charset=utf-8', doc.json);
}

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, extra?: Readonly<Record<string, string>>): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'cache-control': 'no-store',
    ...extra,
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
