/**
 * The `/docs` page: Swagger UI from the installed `swagger-ui-dist` package (no CDN, so it works
 * without internet), showing the main document with a selector for each service version. The
 * page has no inline script: its settings travel as JSON that `/docs/init.js` reads.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Files of swagger-ui-dist the page loads, by the name it is served under (`/docs/<name>`). */
const ASSETS: Readonly<Record<string, string>> = Object.freeze({
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
});

const INIT_SCRIPT = `window.addEventListener('load', function () {
  var config = JSON.parse(document.getElementById('docs-config').textContent);
  window.ui = SwaggerUIBundle({
    urls: config.urls,
    'urls.primaryName': config.urls[0].name,
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout'
  });
});
`;

export interface DocsAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

export class DocsPage {
  private readonly dir: string;
  private readonly cache = new Map<string, Promise<DocsAsset>>();

  constructor() {
    this.dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  }

  /** The HTML page listing `urls` (the main document first). */
  html(urls: ReadonlyArray<{ readonly name: string; readonly url: string }>): string {
    // `<` escaped so no document name can close the script element.
    const config = JSON.stringify({ urls }).replace(/</g, '\\u003c');
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Switchyard API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script id="docs-config" type="application/json">${config}</script>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;
  }

  /** A static file of the page by its name, or undefined for any other name. */
  asset(name: string): Promise<DocsAsset> | undefined {
    if (name === 'init.js') return Promise.resolve({ contentType: 'text/javascript; charset=utf-8', body: Buffer.from(INIT_SCRIPT) });
    const contentType = ASSETS[name];
    if (contentType === undefined) return undefined;
    let cached = this.cache.get(name);
    if (cached === undefined) {
      cached = readFile(join(this.dir, name)).then((body) => ({ contentType, body }));
      cached.catch(() => this.cache.delete(name));
      this.cache.set(name, cached);
    }
    return cached;
  }
}
