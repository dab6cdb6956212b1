/**
 * `npm run bench:extract` — how long claim extraction takes.
 *
 * 1. Loading the wink English model, once per process (a fresh process, so
 *    this is the real cold cost a server pays at start).
 * 2. warmUp(), which a server runs when it starts listening.
 * 3. The domain function on a 5,000-word article (the labelled articles of
 *    test/fixtures/extraction/ laid end to end, then repeated up to 5,000
 *    words): the first call, then 30 more (min, median, p90).
 *    `--no-warm-up` skips 2, to show what a cold first call costs.
 * 4. How it scales: 1,000 to 30,000 words.
 * 5. With `--http`: POST /v1/extract through the app on an in-memory PGlite,
 *    claimant matching included; the extraction itself runs on the app's
 *    worker threads, so this includes handing the text to one and back.
 *
 * The machine is shared; `os.loadavg()` is printed so a slow run can be told
 * from a slow extractor.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { extractClaims, loadLanguageModel, warmUp } from '../src/domain/extract/index.js';

const DIR = new URL('../test/fixtures/extraction/', import.meta.url).pathname;
const articles = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => readFileSync(join(DIR, f), 'utf8'));

const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

function articleOf(words: number): string {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < words; i++) {
    const next = articles[i % articles.length] as string;
    parts.push(next);
    n += wordCount(next);
  }
  return parts.join('\n\n');
}

function time<T>(fn: () => T): [number, T] {
  const started = performance.now();
  const result = fn();
  return [performance.now() - started, result];
}

const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { min: sorted[0] as number, median: at(0.5), p90: at(0.9) };
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')}\n`);

const [loadMs] = time(() => loadLanguageModel());
console.log(`model load (wink-eng-lite-web-model, once per process): ${ms(loadMs)}`);

const article = articleOf(5000);
// A server calls warmUp() when it starts listening; `--no-warm-up` shows what the first request would cost without it.
if (!process.argv.includes('--no-warm-up')) {
  const [warmUpMs] = time(() => warmUp());
  console.log(`warm-up at start (warmUp(): model already loaded, rules JIT-compiled on a short text): ${ms(warmUpMs)}`);
}
const [firstMs, first] = time(() => extractClaims(article));
const warm: number[] = [];
for (let i = 0; i < 30; i++) warm.push(time(() => extractClaims(article))[0]);
const w = stats(warm);
console.log(`\n5,000-word article (${wordCount(article)} words, ${article.length} characters, ${first.candidates.length} candidates)`);
console.log(`  first call${process.argv.includes('--no-warm-up') ? ' (cold, no warm-up)' : ' after warm-up'}: ${ms(firstMs)}`);
console.log(`  30 further calls: min ${ms(w.min)}, median ${ms(w.median)}, p90 ${ms(w.p90)}  (target: < 300 ms)`);

console.log('\nscaling (median of 5 warm calls)');
for (const words of [1000, 5000, 10000, 30000]) {
  const text = articleOf(words);
  extractClaims(text);
  const samples = Array.from({ length: 5 }, () => time(() => extractClaims(text))[0]);
  const s = stats(samples);
  console.log(`  ${String(wordCount(text)).padStart(6)} words, ${String(text.length).padStart(7)} chars: median ${ms(s.median)} (${(s.median / (wordCount(text) / 1000)).toFixed(1)} ms per 1,000 words)`);
}

if (process.argv.includes('--http')) {
  const { PGlite } = await import('@electric-sql/pglite');
  const { pgliteExtensions, wrapPglite } = await import('../src/db/client.js');
  const { runMigrations } = await import('../src/db/migrate.js');
  const { buildApp } = await import('../src/app.js');
  const { loadConfig } = await import('../src/config.js');
  const database = wrapPglite(await PGlite.create({ extensions: pgliteExtensions }));
  await runMigrations(database);
  const key = 'bench-extract-admin-key-0123456789';
  // A limit far above any time measured here: this measures speed, and a shared machine may be slow.
  const config = loadConfig({ CLAIMLEDGER_ADMIN_KEY: key, CLAIMLEDGER_EXTRACT_TIMEOUT_MS: '120000' });
  const app = await buildApp({ config, database, migrate: false, logger: false });
  const post = () =>
    app.inject({ method: 'POST', url: '/v1/extract', payload: { text: article }, headers: { authorization: `Bearer ${key}` } });
  const res = await post();
  if (res.statusCode !== 200) throw new Error(`POST /v1/extract answered ${res.statusCode}: ${res.body}`);
  const samples: number[] = [];
  for (let i = 0; i < 15; i++) {
    const started = performance.now();
    await post();
    samples.push(performance.now() - started);
  }
  const h = stats(samples);
  console.log(`\nPOST /v1/extract, 5,000 words, PGlite, claimant matching included: min ${ms(h.min)}, median ${ms(h.median)}, p90 ${ms(h.p90)}`);
  await app.close();
  await database.close();
}
