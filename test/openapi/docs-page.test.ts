/**
 * `/docs` renders in a real browser: Debian's chromium, driven headless by playwright-core, loads
 * the page from a gateway with the echo service behind it and shows an echo operation. Every
 * request the page makes must go to the gateway itself (the UI comes from the installed package,
 * no CDN). Without /usr/bin/chromium the suite skips loudly, and fails under CI (.ci/run installs it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type BrowserContext } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '@switchyard/core';
import { createGateway, parseGatewayConfig, type Gateway } from '@switchyard/gateway';
import { createMicroserviceFromConfig, type Microservice } from '@switchyard/microservice';
import { registerEcho } from '../../examples/echo/echo-service.js';
import { eventually } from '../harness/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Ctx {
  gateway: Gateway;
  url: string;
  echo: Microservice;
  browser: BrowserContext;
  profile: string;
}

if (!existsSync(CHROMIUM)) {
  const message = `\n${'!'.repeat(72)}\n!! /docs browser test SKIPPED: ${CHROMIUM} not found (apt-get install chromium)\n${'!'.repeat(72)}\n`;
  if (process.env.CI !== undefined) throw new Error(`${CHROMIUM} is required in CI for the /docs test; .ci/run installs the Debian package chromium`);
  process.stderr.write(message);
  const skipped = suite('/docs in headless chromium (SKIPPED: no chromium)');
  skipped.skip('renders the echo service', () => undefined);
  skipped.run();
} else {
  const docs = suite<Ctx>('/docs in headless chromium', {} as Ctx);

  docs.before(async (ctx) => {
    const transport = { type: 'messaging', backend: 'memory', memory: { namespace: `docs-${randomUUID()}` } };
    ctx.gateway = await createGateway(await parseGatewayConfig({ http: { host: '127.0.0.1', port: 0 }, transports: [transport] }), { logger: silentLogger });
    ctx.url = await ctx.gateway.start();
    ctx.echo = await createMicroserviceFromConfig({ service: { name: 'echo', version: '1.0.0' }, transports: [transport] }, { logger: silentLogger });
    registerEcho(ctx.echo);
    await ctx.echo.start();
    await eventually(async () => {
      const doc = (await (await fetch(`${ctx.url}/openapi.json`)).json()) as { paths: Record<string, { get?: { summary?: string } }> };
      return doc.paths['/echo/stats']?.get?.summary !== undefined;
    }, { what: 'the echo description in /openapi.json' });
    ctx.profile = mkdtempSync(join(tmpdir(), 'sy-chromium-'));
    ctx.browser = await chromium.launchPersistentContext(ctx.profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  });

  docs.after(async (ctx) => {
    await ctx.browser?.close();
    if (ctx.profile !== undefined) rmSync(ctx.profile, { recursive: true, force: true });
    await ctx.echo?.stop();
    await ctx.gateway?.stop();
  });

  docs('the page renders the aggregated document and shows an operation of the echo service, loading nothing from elsewhere', async (ctx) => {
    const page = await ctx.browser.newPage();
    const foreign: string[] = [];
    const failed: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(ctx.url) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
    const res = await page.goto(`${ctx.url}/docs`, { waitUntil: 'load', timeout: 30_000 });
    assert.is(res?.status(), 200);
    const operation = page.locator('.opblock-summary', { hasText: '/echo/stats' }).first();
    await operation.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await operation.innerText(), /Counters of this instance/);
    await operation.click();
    await page.locator('.opblock-body', { hasText: 'requests answered and cancelled since start' }).first().waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(foreign, [], 'the page loads everything from the gateway');
    assert.equal(failed, [], 'no request of the page failed');
    await page.close();
  });

  docs.run();
}
