import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

import { VIEWS } from '../../../src/reports';
import { parseCsv } from '../../helpers/csv';
import { startSimulatedPortals } from './simulated-portal';
import type { SimulatedPortals } from './simulated-portal';

/**
 * The report pages in a real browser (Debian's chromium) on simulated portals that were
 * installed, synced and computed by the real app. One browser, one page, reused throughout.
 * UPDATE_SCREENSHOTS=1 also saves a screenshot of each view under docs/screenshots/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';

let env: SimulatedPortals;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  env = await startSimulatedPortals({ portals: 2, contacts: 400, deals: 120 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await env?.close();
});

const portalA = () => env.portalIds[0]!;
const portalB = () => env.portalIds[1]!;
const url = (p: string) => `${env.api.url}${p}`;

describe('report pages in a browser', () => {
  let link: string;

  test('a one-time link opens the overview and sets the session cookie', async () => {
    const minted = await env.ctx.reports.mintLinkForPortal(portalA());
    link = minted!.url;
    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe(`/reports/${portalA()}/overview`);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'kpi_bridge_report')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/reports' });
    expect(session.expires * 1000 - Date.now()).toBeGreaterThan(7.9 * 3_600_000);
  });

  test('every view loads without a console error and shows a chart beside a table', async () => {
    for (const view of VIEWS) {
      const response = await page.goto(url(`/reports/${portalA()}/${view}`));
      expect(response?.status()).toBe(200);
      expect(await page.locator('h1').textContent()).toBeTruthy();
      expect(await page.locator('section.report table').count()).toBeGreaterThan(0);
      expect(await page.locator('section.report figure svg').count()).toBeGreaterThan(0);
      if (SCREENSHOTS)
        await page.screenshot({
          path: path.join(__dirname, '../../../docs/screenshots', `${view}.png`),
          fullPage: true,
        });
    }
    expect(consoleErrors).toEqual([]);
  });

  test('pickers change the figures', async () => {
    await page.goto(url(`/reports/${portalA()}/pipeline`));
    const firstPeriod = () => page.locator('#t-velocity-trend tbody tr td').first().textContent();
    expect(await firstPeriod()).toMatch(/^\d{4}-\d{2}$/);
    await page.selectOption('select[name=unit]', 'quarter');
    await page.click('form.pickers button');
    await page.waitForURL(/unit=quarter/);
    expect(await firstPeriod()).toMatch(/^\d{4}-Q\d$/);

    await page.goto(url(`/reports/${portalA()}/overview`));
    const velocity = () => page.locator('#t-velocity tbody').innerText();
    const before = await velocity();
    const options = await page.locator('select[name=period] option').all();
    const periods = await Promise.all(options.map(async (o) => (await o.getAttribute('value')) ?? ''));
    // The newest periods differ from the oldest ones in a simulated year of deals.
    let changed = false;
    for (const p of periods.slice(1, 6)) {
      await page.selectOption('select[name=period]', p);
      await page.click('form.pickers button');
      await page.waitForURL(new RegExp(`period=${p}`));
      if ((await velocity()) !== before) {
        changed = true;
        break;
      }
    }
    expect(changed).toBe(true);
  });

  test('a drill-down list has as many records as its figure counts, each linking to HubSpot', async () => {
    await page.goto(url(`/reports/${portalA()}/overview?by=source`));
    const links = page.locator('#t-meetings tbody a[data-value]');
    const values = await Promise.all(
      (await links.all()).map(async (a) => Number(await a.getAttribute('data-value'))),
    );
    const i = values.findIndex((v) => v > 0);
    expect(i).toBeGreaterThanOrEqual(0);
    await links.nth(i).click();
    await page.waitForURL(/\/records\?/);
    const count = Number(await page.locator('#record-count').getAttribute('data-count'));
    expect(count).toBe(values[i]);
    expect(await page.locator('#records tbody tr').count()).toBe(values[i]);
    const href = await page.locator('#records tbody tr a').first().getAttribute('href');
    expect(href).toMatch(new RegExp(`^https://app\\.hubspot\\.com/contacts/${portalA()}/record/0-47/\\d+$`));
  });

  test('stage-to-stage conversion of the synced lifecycle history: the cohort link lists as many contacts as entered', async () => {
    await page.goto(url(`/reports/${portalA()}/lifecycle?unit=quarter`));
    const links = page.locator('#t-stage-conversion tbody a[href*="kind=lifecycle_cohort"]');
    const values = await Promise.all(
      (await links.all()).map(async (a) => Number(await a.getAttribute('data-value'))),
    );
    // Entered (a count) comes first in each row; the simulated portal moves contacts through stages.
    const i = values.findIndex((v) => Number.isInteger(v) && v > 0);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(await page.locator('#t-stage-conversion tbody td[data-null]').count()).toBeLessThan(
      await page.locator('#t-stage-conversion tbody td').count(),
    );
    await links.nth(i).click();
    await page.waitForURL(/kind=lifecycle_cohort/);
    expect(Number(await page.locator('#record-count').getAttribute('data-count'))).toBe(values[i]);
    const href = await page.locator('#records tbody tr a').first().getAttribute('href');
    expect(href).toMatch(new RegExp(`^https://app\\.hubspot\\.com/contacts/${portalA()}/record/0-1/\\d+$`));
  });

  test('a table downloads as CSV that parses back to the table', async () => {
    await page.goto(url(`/reports/${portalA()}/overview`));
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#t-meetings ~ a.csv').click(),
    ]);
    const text = await readFile(await download.path(), 'utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const rows = parseCsv(text.slice(1));
    expect(rows[0]).toEqual(['Period', 'Meetings booked', 'Change']);
    const shown = await page.locator('#t-meetings tbody tr').count();
    expect(rows.length - 1).toBe(shown);
    const firstShown = await page
      .locator('#t-meetings tbody tr td a[data-value]')
      .first()
      .getAttribute('data-value');
    expect(rows[1]![1]).toBe(firstShown);
  });

  test('the upload refuses a bad file with a reason per row and stores a good one, which reaches the figures', async () => {
    expect(consoleErrors).toEqual([]);
    await page.goto(url(`/reports/${portalA()}/overview`));
    const latestDirect = async () =>
      Number(
        await page
          .locator('#t-brand tbody tr')
          .last()
          .locator('td')
          .nth(1)
          .locator('[data-value]')
          .getAttribute('data-value'),
      );
    const before = await latestDirect();
    await page.goto(url(`/reports/${portalA()}/upload`));
    const form = page.locator('form[data-kind=traffic]');
    await form.locator('input[type=file]').setInputFiles({
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('day,source,visits\n2026-13-01,DIRECT_TRAFFIC,5\nnot,a,row,at all\n'),
    });
    await form.locator('button').click();
    await page.waitForSelector('#upload-outcome');
    expect(await page.locator('#upload-outcome').getAttribute('data-outcome')).toBe('refused');
    expect(await page.locator('#upload-errors li').allInnerTexts()).toEqual([
      expect.stringMatching(/^line 2: /),
      expect.stringMatching(/^line 3: expected 3 fields/),
    ]);

    const runsBefore = await env.ctx.db
      .selectFrom('kpi_runs')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('portal_id', '=', portalA())
      .executeTakeFirstOrThrow();
    // Direct-traffic visits for each of the last 20 days (replacing the synced ones): the current month has some.
    const days = Array.from({ length: 20 }, (_, i) =>
      new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10),
    );
    const good = ['day,source,visits', ...days.map((d) => `${d},DIRECT_TRAFFIC,100000`)].join('\n');
    const form2 = page.locator('form[data-kind=traffic]');
    await form2
      .locator('input[type=file]')
      .setInputFiles({ name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await form2.locator('button').click();
    await page.waitForSelector('#upload-outcome[data-outcome=accepted]');
    // The refused upload answered 422, which the browser logs; nothing else did.
    expect(consoleErrors.every((e) => e.includes('status of 422'))).toBe(true);
    consoleErrors.length = 0;

    // The upload asked for a KPI run; once it is done the overview shows the visits.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const done = await env.ctx.db
        .selectFrom('kpi_runs')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('portal_id', '=', portalA())
        .where('status', '=', 'succeeded')
        .executeTakeFirstOrThrow();
      if (Number(done.n) > Number(runsBefore.n)) break;
      if (Date.now() > deadline) throw new Error('no KPI run after the upload');
      await new Promise((r) => setTimeout(r, 250));
    }
    await page.goto(url(`/reports/${portalA()}/overview`));
    const after = await latestDirect();
    expect(after).not.toBe(before);
    expect(after).toBeGreaterThanOrEqual(100_000);
  });

  test('a session of one portal gets 404 for every page of another', async () => {
    // Everything before this test ran without a console error; from here on, 404s are the point.
    expect(consoleErrors).toEqual([]);
    for (const p of [
      `/reports/${portalB()}/overview`,
      `/reports/${portalB()}/records?kind=won`,
      `/reports/${portalB()}/csv/overview/meetings`,
    ]) {
      const response = await page.goto(url(p));
      expect(response?.status()).toBe(404);
      expect(await page.locator('body').getAttribute('data-status')).toBe('not-found');
    }
  });

  test('a used link shows how to get a new one', async () => {
    const response = await page.goto(link);
    expect(response?.status()).toBe(410);
    expect(await page.locator('body').innerText()).toMatch(/kpi-bridge report-link --portal/);
  });
});
