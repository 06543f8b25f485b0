/**
 * Serves the operator console: one HTML page and its bundle, built by `npm run build:console`
 * into the package's `console-dist/` and read from disk once. The page loads nothing from another
 * host (its Content-Security-Policy allows this gateway only) and holds no data itself: it asks
 * the admin API with the token the operator enters, so the page needs no access of its own.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@switchyard/core';

export const CONSOLE_PATH = '/_switchyard/console';

/** Where the build puts the bundle: `<package>/console-dist/`, two levels above this file in src/ and in dist/. */
export const CONSOLE_DIST = new URL('../../console-dist/', import.meta.url);

const ASSETS: Readonly<Record<string, { file: string; type: string }>> = Object.freeze({
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
});

const SECURITY_HEADERS = Object.freeze({
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
});

/** Returns the request-path hook for the console's paths. */
export function consoleAssets(logger: Logger, dist: URL = CONSOLE_DIST): (path: string, req: IncomingMessage, res: ServerResponse) => boolean {
  const cache = new Map<string, Promise<Buffer>>();
  const load = (file: string): Promise<Buffer> => {
    let p = cache.get(file);
    if (p === undefined) {
      p = readFile(new URL(file, dist));
      // A missing bundle is not cached, so building it while the gateway runs is enough.
      p.catch(() => cache.delete(file));
      cache.set(file, p);
    }
    return p;
  };
  return (path, req, res) => {
    if (path !== CONSOLE_PATH && !path.startsWith(`${CONSOLE_PATH}/`)) return false;
    const asset = ASSETS[path.slice(CONSOLE_PATH.length)];
    if (asset === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(asset === undefined ? 404 : 405, { 'content-type': 'text/plain; charset=utf-8', ...(asset === undefined ? {} : { allow: 'GET, HEAD' }) });
      res.end(asset === undefined ? 'not found\n' : 'the console answers GET only\n');
      return true;
    }
    load(asset.file).then(
      (body) => {
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'content-length': String(body.byteLength) });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        logger.error({ err: (err as Error).message, file: asset.file }, 'console bundle missing: run `npm run build:console`');
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('the console is not built: run `npm run build:console` (part of `npm run build`)\n');
      },
    );
    return true;
  };
}
