import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import t from 'tap';
import { TEST_ADMIN_KEY, buildTestApp } from './helper.js';
import { requireTool } from './support/requirements.js';
import { toNdjson, type Line } from './fixtures/bulk/newsroom.js';

/**
 * The dashboard in a real browser: Debian's chromium (apt-get install chromium),
 * driven by playwright-core. `npm test` needs only `npm install`, so where chromium
 * is not installed the file is skipped with the reason printed; CI (`CI=true`, which
 * .ci/run sets after installing chromium) makes a missing browser a failure.
 */
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

requireTool(t, existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install -y chromium)`);

const api = await buildTestApp(t);
await api.app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(api.app.server.address() as { port: number }).port}`;
const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
t.teardown(() => browser.close());

const VERDICTS = ['true', 'mostly_true', 'mixed', 'mostly_false', 'false', 'misleading'];

/** Eight weeks of claims, more each week, with reviews of every verdict but one. */
async function newsroom() {
  const lines: Line[] = [{ type: 'source', ref: 's', data: { kind: 'article', title: 'Weekly roundup' } }];
  let n = 0;
  for (let week = 0; week < 8; week++) {
    for (let i = 0; i <= week; i++) {
      const ref = `c${n++}`;
      const said = new Date(Date.UTC(2026, 0, 5 + week * 7 + (i % 5), 12)).toISOString();
      lines.push({ type: 'claim', ref, data: { text: `Claim ${ref}` } });
      lines.push({ type: 'attribution', data: { claim_ref: ref, source_ref: 's', claimant_label: 'someone', said_at: said } });
      if (n % 3 !== 0) lines.push({ type: 'review', data: { claim_ref: ref, verdict: VERDICTS[n % VERDICTS.length] } });
    }
  }
  const res = await api.request({ method: 'POST', url: '/v1/bulk', headers: { 'content-type': 'application/x-ndjson' }, payload: toNdjson(lines) });
  if (res.statusCode !== 200) throw new Error(res.body);
}

/** Pixels of a PNG that are not (near) white, and the distinct saturated colours, counted by the browser itself. */
async function inkOf(png: Buffer): Promise<{ width: number; height: number; inked: number; colours: number }> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async (b64) => {
      // Runs in the browser; typed by hand, as this project compiles without the DOM library.
      type Img = { src: string; width: number; height: number; decode(): Promise<void> };
      type Context = { drawImage(img: Img, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
      type Canvas = { width: number; height: number; getContext(kind: '2d'): Context };
      const browser = globalThis as unknown as { Image: new () => Img; document: { createElement(name: 'canvas'): Canvas } };
      const img = new browser.Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = browser.document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const { data } = ctx.getImageData(0, 0, img.width, img.height);
      let inked = 0;
      const colours = new Map<string, number>();
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (r < 235 || g < 235 || b < 235) inked++;
        const key = `${r >> 4},${g >> 4},${b >> 4}`;
        if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colours.set(key, (colours.get(key) ?? 0) + 1);
      }
      // Colours that fill an area (a bar), not the fringes of anti-aliased text.
      const filled = [...colours.values()].filter((n) => n >= 300).length;
      return { width: img.width, height: img.height, inked, colours: filled };
    }, png.toString('base64'));
  } finally {
    await page.close();
  }
}

t.test('the dashboard draws claims over time and by verdict from the stats endpoints', async (t) => {
  await api.reset();
  await newsroom();
  const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });

  const res = await page.goto(`${base}/dashboard`);
  t.equal(res?.status(), 200, 'served without a key');
  t.match(res?.headers()['content-security-policy'], /script-src 'self'/);
  await page.fill('#key', TEST_ADMIN_KEY);
  await page.click('button[type=submit]');
  await page.waitForSelector('body[data-ready]');
  t.equal(await page.getAttribute('body', 'data-ready'), 'true', (await page.textContent('#status')) ?? '');

  // What is drawn is what the API counts.
  const weekly = (await api.get('/v1/stats/claims?group_by=week')).json();
  const drawn = await page.$$eval('#chart-time rect.bar', (bars) => bars.map((b) => [b.getAttribute('data-key'), Number(b.getAttribute('data-count')), Number(b.getAttribute('height'))]));
  t.same(
    drawn.map(([key, count]) => [key, count]),
    weekly.groups.map((g: { key: string; count: number }) => [g.key, g.count]),
    'one bar per week, with its count',
  );
  t.same(drawn.map(([, count]) => count), [1, 2, 3, 4, 5, 6, 7, 8]);
  const heights = drawn.map(([, , h]) => h as number);
  t.ok(heights.every((h, i) => i === 0 || h > heights[i - 1]), `taller bars for bigger counts: ${heights.join(', ')}`);

  const verdicts = (await api.get('/v1/stats/claims?group_by=verdict')).json();
  const verdictBars = await page.$$eval('#chart-verdict rect.bar', (bars) => bars.map((b) => [b.getAttribute('data-key'), Number(b.getAttribute('data-count'))]));
  t.same(verdictBars, verdicts.groups.map((g: { key: string | null; count: number }) => [String(g.key), g.count]), 'one bar per verdict');
  t.equal(await page.textContent('#totals .tile b'), '36', 'the claims total');

  // The screenshot: the charts are really painted, in several colours.
  mkdirSync('.tap', { recursive: true });
  const full = await page.screenshot({ fullPage: true });
  writeFileSync('.tap/dashboard.png', full);
  const time = await inkOf(await page.locator('#chart-time').screenshot());
  const verdict = await inkOf(await page.locator('#chart-verdict').screenshot());
  t.ok(time.inked / (time.width * time.height) > 0.05, `the time chart has ink: ${JSON.stringify(time)}`);
  t.equal(time.colours, 1, 'its bars are one colour');
  t.ok(verdict.inked / (verdict.width * verdict.height) > 0.03, `the verdict chart has ink: ${JSON.stringify(verdict)}`);
  t.equal(verdict.colours, 4, 'one colour per verdict drawn (4 verdicts with claims; "no verdict" is grey)');

  // Monthly buckets redraw on change.
  await page.selectOption('#group-by', 'month');
  await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('#chart-time rect.bar').length === 2);
  t.same(await page.$$eval('#chart-time rect.bar', (bars) => bars.map((b) => b.getAttribute('data-key'))), ['2026-01-01', '2026-02-01']);
  t.same(problems, [], 'no script errors, nothing blocked by the CSP');
  await page.close();
});

t.test('a refused key is said so, and nothing is drawn', async (t) => {
  const page = await browser.newPage();
  await page.goto(`${base}/dashboard`);
  await page.fill('#key', 'clk_not-a-key');
  await page.click('button[type=submit]');
  await page.waitForSelector('body[data-ready]');
  t.equal(await page.getAttribute('body', 'data-ready'), 'error');
  t.match(await page.textContent('#status'), /^The key was refused/);
  t.equal(await page.locator('#chart-time rect.bar').count(), 0);
  await page.close();
});

t.test('the page and its assets are public, the stats are not', async (t) => {
  for (const path of ['/dashboard', '/dashboard/app.js', '/dashboard/app.css']) {
    const res = await api.request({ method: 'GET', url: path, headers: { authorization: null as unknown as string } });
    t.equal(res.statusCode, 200, path);
    t.match(res.headers['content-security-policy'], /default-src 'none'/);
  }
  const res = await api.request({ method: 'GET', url: '/v1/stats/overview', headers: { authorization: null as unknown as string } });
  t.equal(res.statusCode, 401);
});
