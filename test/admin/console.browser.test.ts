/**
 * The operator console in a real browser (Debian's chromium driven by playwright-core) against a
 * gateway and an echo instance over a real Valkey: the echo is listed healthy, a poisoned message
 * shows up as a dead letter with its reason, the operator replays it from the page, a viewer sees
 * no action controls and is refused by the API, and no request leaves the gateway's host.
 * With SWITCHYARD_UPDATE_SCREENSHOTS=1 it also writes the screenshots of docs/operations.md.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildConsole } from '../../packages/gateway/scripts/build-console.mjs';
import { repoRoot } from '../harness/process.js';
import { startValkey } from '../harness/valkey.js';
import { eventually } from '../harness/wait.js';
import { ECHO_REQUESTS, OPERATOR_TOKEN, startAdminFixture, VIEWER_TOKEN, type AdminFixture } from './admin-fixture.js';

const CHROMIUM = process.env.SWITCHYARD_TEST_CHROMIUM ?? '/usr/bin/chromium';
const requireBrowser = process.env.CI === 'true' || process.env.SWITCHYARD_REQUIRE_BROWSER === '1';
const screenshotDir = process.env.SWITCHYARD_UPDATE_SCREENSHOTS === '1' ? join(repoRoot, 'docs/images') : join(repoRoot, '.tmp/console-screenshots');

interface Ctx {
  fx: AdminFixture;
  browser: BrowserContext;
  profile: string;
  hosts: Set<string>;
}

const test = suite<Ctx>('operator console in a browser');
const server = await startValkey();
const hasBrowser = existsSync(CHROMIUM);
if (!hasBrowser && requireBrowser) throw new Error(`chromium is not at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) or set SWITCHYARD_TEST_CHROMIUM`);

if (server === null || !hasBrowser) {
  const why = server === null ? 'needs a Valkey-compatible server (see the banner above)' : `needs chromium at ${CHROMIUM} (apt-get install chromium)`;
  process.stderr.write(`\n\x1b[31m*** SKIPPED: the console browser test ${why}\x1b[0m\n\n`);
  test.skip(why, () => undefined);
} else {
  test.before(async (ctx) => {
    await buildConsole();
    ctx.fx = await startAdminFixture(server.url);
    ctx.profile = mkdtempSync(join(tmpdir(), 'sy-chromium-'));
    ctx.browser = await chromium.launchPersistentContext(ctx.profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1360, height: 1000 },
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    ctx.hosts = new Set();
    ctx.browser.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol !== 'data:' && u.protocol !== 'blob:') ctx.hosts.add(u.host);
    });
    mkdirSync(screenshotDir, { recursive: true });
  });
  test.after(async (ctx) => {
    await ctx.browser?.close();
    await ctx.fx?.stop();
    if (ctx.profile !== undefined) rmSync(ctx.profile, { recursive: true, force: true });
    await server.stop();
  });

  const open = async (ctx: Ctx, token: string): Promise<Page> => {
    const page = await ctx.browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${ctx.fx.url}/_switchyard/console#token=${token}`);
    return page;
  };

  test('the page lists the echo instance as healthy', async (ctx) => {
    for (let i = 0; i < 5; i++) await (await fetch(`${ctx.fx.url}/echo/stats`)).arrayBuffer();
    const page = await open(ctx, OPERATOR_TOKEN);
    const row = page.locator(`[data-testid=instances] tr[data-instance="${ctx.fx.echo.instanceId}"]`);
    await row.waitFor();
    assert.is(await row.locator('[data-testid=health]').innerText(), 'healthy');
    assert.match(await row.innerText(), /echo\s+1\.0\.0/);
    assert.match(await page.locator('[data-testid=me]').innerText(), /olivia · operator/);
    assert.not.match(page.url(), /token=/, 'the token is taken out of the address bar');
    await page.locator('[data-testid=routes] tbody tr').first().waitFor();
    await page.screenshot({ path: join(screenshotDir, 'console-overview.png'), fullPage: true });
    // Clicking a header sorts by it; clicking again reverses.
    const queueNames = (): Promise<string[]> => page.locator('[data-testid=queues] tbody tr td:first-child').allInnerTexts();
    const ascending = await queueNames();
    assert.equal(ascending, [...ascending].sort(), 'sorted by queue name at first');
    await page.locator('[data-testid=queues] th button', { hasText: 'Queue' }).click();
    assert.equal(await queueNames(), [...ascending].reverse());
    await page.close();
  });

  test('the operator drains the echo from the page, the instance itself reports draining, and Undrain brings it back', async (ctx) => {
    const page = await open(ctx, OPERATOR_TOKEN);
    const row = page.locator(`[data-testid=instances] tr[data-instance="${ctx.fx.echo.instanceId}"]`);
    await row.locator('[data-testid=drain]').click();
    await page.locator('.notice', { hasText: 'it takes no new requests from any gateway' }).waitFor();
    await row.locator('[data-testid=undrain]').waitFor();
    assert.is(await row.locator('[data-testid=health]').innerText(), 'draining · drained');
    await eventually(() => ctx.fx.echo.status().drained, { within: 5_000, what: 'the echo drained by the DRAIN frame' });
    await row.locator('[data-testid=undrain]').click();
    await page.locator('.notice', { hasText: 'undrained: it takes requests again' }).waitFor();
    await row.locator('[data-testid=drain]').waitFor();
    assert.is(await row.locator('[data-testid=health]').innerText(), 'healthy');
    assert.is(ctx.fx.echo.status().drained, false);
    const res = await fetch(`${ctx.fx.url}/echo/after-undrain`);
    assert.is(res.status, 200, 'the undrained echo serves again');
    await res.arrayBuffer();
    await page.close();
  });

  test('a viewer sees no action controls, and the API answers 403 to the viewer\'s actions', async (ctx) => {
    await ctx.fx.poison('{"v":1,"type":"REQUEST" truncated');
    const page = await open(ctx, VIEWER_TOKEN);
    await page.locator('[data-testid=me]').waitFor();
    // The viewer sees the dead letter and its reason, but nothing to act on it with.
    await page.locator('[data-testid=dead-letters] tbody tr [data-testid=reason]').first().waitFor({ timeout: 15_000 });
    assert.match(await page.locator('[data-testid=me]').innerText(), /victor · viewer \(read-only\)/);
    await page.locator('[data-testid=queues]').waitFor();
    for (const control of ['dead-letter-actions', 'replay-selected', 'replay-all', 'purge', 'select', 'drain', 'undrain', 'resync']) {
      assert.is(await page.locator(`[data-testid=${control}]`).count(), 0, `a viewer sees no ${control}`);
    }
    await page.screenshot({ path: join(screenshotDir, 'console-viewer.png'), fullPage: true });
    // A string, so the test's TypeScript transform adds no helpers the page does not have.
    const statuses = await page.evaluate(`Promise.all([
      ['dead-letters/redrive', { ratePerSecond: 10 }],
      ['dead-letters/purge', { reason: 'decode' }],
      ['resync', {}],
    ].map(([path, body]) => fetch('/_switchyard/admin/' + path, {
      method: 'POST',
      headers: { authorization: 'Bearer ${VIEWER_TOKEN}', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.status)))`);
    assert.equal(statuses, [403, 403, 403]);
    await page.close();
  });

  test('a poisoned message appears as a dead letter with its reason; the operator replays it and it leaves the list', async (ctx) => {
    const page = await open(ctx, OPERATOR_TOKEN);
    await ctx.fx.poison('a second poison \u0001');
    const rows = page.locator('[data-testid=dead-letters] tbody tr');
    await eventually(async () => (await rows.count()) === 2, { within: 15_000, what: "the viewer's poison and this one listed" });
    const row = rows.first();
    const id = await row.getAttribute('data-id');
    assert.ok(id, 'the row names its id');
    assert.is(await row.locator('[data-testid=reason]').innerText(), 'decode-error');
    await row.locator('button.link').click();
    await page.locator('[data-testid=dead-letter-detail]').waitFor();
    assert.match(await page.locator('[data-testid=dead-letter-detail]').innerText(), new RegExp(`Source queue\\s+${ECHO_REQUESTS.replace(/\./g, '\\.')}`));
    await page.screenshot({ path: join(screenshotDir, 'console-dead-letters.png'), fullPage: true });

    // Replayed, the poison would fail again and come back under a new id: stop the echo first so
    // it waits in the queue, and the list is left empty.
    await ctx.fx.echo.stop();
    const queue = ctx.fx.factory.queue(ECHO_REQUESTS);
    const before = await queue.deadLetters.count();
    await row.locator('[data-testid=select]').check();
    await page.locator('[data-testid=replay-selected]').click();
    await page.locator(`[data-testid=dead-letters] tr[data-id="${id}"]`).waitFor({ state: 'detached' });
    assert.is(await queue.deadLetters.count(), before - 1, 'that dead letter is gone from Valkey, the other stays');
    assert.is((await queue.stats()).depth, 1, 'it is back in its queue');
    await page.close();
  });

  test('no console request goes to a host other than the gateway', async (ctx) => {
    const gatewayHost = new URL(ctx.fx.url).host;
    await eventually(() => ctx.hosts.size > 0, { what: 'requests recorded' });
    assert.equal([...ctx.hosts], [gatewayHost]);
  });
}

test.run();
