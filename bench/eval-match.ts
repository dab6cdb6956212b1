/**
 * Claim matching on real text: the CLEF CheckThat! 2022 Task 2A benchmark through the HTTP API.
 *
 *   npm run eval:match                                   # embedded PGlite, in memory
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run eval:match
 *                                                        # a fresh database on that server, dropped after
 *   npm run eval:match -- --splits dev,devtest --verbose
 *   npm run eval:match -- --splits test          # any set of queries: test-queries.tsv, test-qrels.tsv beside the claims
 *
 * It loads the 14,231 verified claims into a fresh, migrated database through `POST /v1/bulk`
 * (see `bulkLines` for what each claim becomes), sends every query tweet of the chosen splits
 * to `POST /v1/claims/match` with `limit: 5, min_score: 0`, and prints MAP@5, P@1 and
 * recall@5 beside a plain BM25 over the same texts computed in the same run
 * (bench/eval-match-bm25.ts), then precision and recall at the default `min_score` and the
 * reliability of the score, and how often a text whose gold claims are taken out of the candidates
 * (a text with no claim to find) still gets a candidate at the default `min_score`. `devtest` is held out: report it, never tune on it.
 * Each split runs twice: as the tweets come (their signatures date them, so the `time` signal
 * counts) and with `published_at: null` (ranked by their words alone, as a text without a date is).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openPostgres, pgliteExtensions, rowsOf, wrapPglite, type Database } from '../src/db/client.js';
import { DEFAULT_MIN_SCORE, NO_CLAIM_WEIGHT, matchScores, withCompetition, type MatchSignals, type SignalFloor } from '../src/domain/matching.js';
import { SentenceEncoder } from '../src/domain/sentence-vectors.js';
import { scoredCandidates } from '../src/resources/claims/match.js';
import { encodeQueuedClaims, storeMeanings } from '../src/resources/claims/meanings.js';
import { Bm25 } from './eval-match-bm25.js';
import { loadQueries, loadVerifiedClaims, type Split, type VerifiedClaim } from './eval-match-data.js';
import { atThreshold, calibrationError, mixedCalibrationError, noMatchRate, rankingFigures, reliability, reliabilityTable, type Ranked } from './eval-match-metrics.js';

const KEY = 'clk_eval-match-admin-key-not-a-secret-000000000000';

/**
 * What a verified claim becomes in the API: the fact-checked statement is the claim's text.
 * The fact-check article (its headline, author and date, and as its text the subtitle, the
 * article's opening line) is the source in which the claim is reported, attributed with
 * `kind: reported, stance: reports`: headline and subtitle are the fact-checker's wording of
 * the claim, not the claim, so they are context, not text.
 */
export function bulkLines(claims: VerifiedClaim[]): string[] {
  const sources: string[] = [];
  const claimLines: string[] = [];
  const attributions: string[] = [];
  for (const c of claims) {
    claimLines.push(JSON.stringify({ type: 'claim', ref: c.id, data: { text: c.text, language: 'en' } }));
    if (!c.title) continue;
    const published = c.date ? new Date(`${c.date} UTC`) : null;
    const source = {
      kind: 'article',
      title: c.title,
      publisher: 'Snopes',
      authors: c.author ? [c.author] : [],
      ...(c.url ? { url: c.url } : {}),
      ...(c.subtitle ? { text: c.subtitle } : {}),
      ...(published && !Number.isNaN(published.getTime()) ? { published_at: published.toISOString() } : {}),
    };
    sources.push(JSON.stringify({ type: 'source', ref: `source:${c.id}`, data: source }));
    attributions.push(
      JSON.stringify({ type: 'attribution', data: { claim_ref: c.id, source_ref: `source:${c.id}`, claimant_label: 'Snopes', kind: 'reported', stance: 'reports' } }),
    );
  }
  // Lines of a kind together: the bulk path writes a run of them with one INSERT.
  return [...sources, ...claimLines, ...attributions];
}

/** The texts the API reads for a claim (its text and its context), for the baseline to rank the same words. */
export const indexedText = (c: VerifiedClaim) => `${c.text} ${c.title} ${c.subtitle}`;

export async function openFreshDatabase(serverUrl?: string): Promise<Database> {
  if (!serverUrl) return wrapPglite(await PGlite.create({ extensions: pgliteExtensions }));
  const name = `claimledger_eval_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = openPostgres({ url: url.toString(), statementTimeoutMs: 600_000 });
  return {
    ...database,
    async close() {
      await database.close();
      const a = new pg.Client({ connectionString: serverUrl });
      await a.connect();
      await a.query(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}

/**
 * Encoding the 14,231 claims takes minutes of CPU (more on a busy machine), and the vector of
 * a text is always the same: with MATCH_VECTOR_CACHE set to a file, vectors are kept there by
 * the md5 of their claim's text after a run and stored for the claims of the next run whose
 * text they were made from, exactly as the encoder would have. Claims not in it are encoded.
 */
const VECTOR_CACHE = process.env.MATCH_VECTOR_CACHE;

/** Stores the cached vectors of the claims whose text they were made from; returns how many. */
async function useCachedVectors(db: Database['db']): Promise<number> {
  if (!VECTOR_CACHE || !existsSync(VECTOR_CACHE)) return 0;
  const cache = JSON.parse(readFileSync(VECTOR_CACHE, 'utf8')) as Record<string, string>;
  const claims = rowsOf<{ id: string; md5: string }>(await db.execute(sql`select id, md5(text) as md5 from claims`));
  return storeMeanings(
    db,
    claims.filter((c) => cache[c.md5]).map((c) => ({ id: c.id, vector: cache[c.md5] })),
  );
}

async function keepVectors(db: Database['db']): Promise<void> {
  if (!VECTOR_CACHE) return;
  const rows = rowsOf<{ md5: string; vector: string }>(
    await db.execute(sql`select md5(c.text) as md5, encode(m.vector, 'base64') as vector from claim_meanings m join claims c on c.id = m.claim_id`),
  );
  writeFileSync(VECTOR_CACHE, JSON.stringify(Object.fromEntries(rows.map((r) => [r.md5, r.vector]))));
}

/** Builds the app on a fresh database and loads the verified claims through `POST /v1/bulk`; returns claim id → vclaim id. */
export async function loadBenchmark(serverUrl?: string) {
  const database = await openFreshDatabase(serverUrl);
  const app = await buildApp({
    config: loadConfig({ CLAIMLEDGER_ADMIN_KEY: KEY, LOG_LEVEL: 'warn', CLAIMLEDGER_RATE_LIMIT: '1000000' }),
    database,
    migrate: true,
  });
  const claims = loadVerifiedClaims();
  const started = performance.now();
  const response = await app.inject({
    method: 'POST',
    url: '/v1/bulk',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
    payload: bulkLines(claims).join('\n'),
  });
  if (response.statusCode !== 200) throw new Error(`bulk load failed: ${response.statusCode} ${response.body.slice(0, 1000)}`);
  const results = (response.json() as { results: { ref?: string; id?: string; type: string }[] }).results;
  const vclaimOf = new Map<string, string>();
  for (const r of results) if (r.type === 'claim' && r.ref && r.id) vclaimOf.set(r.id, r.ref);
  const loadSeconds = (performance.now() - started) / 1000;
  // A server encodes the claims' sentence vectors in the background as they arrive; a match
  // before that encodes its candidates on the spot (same answers, slower). Measured here as a
  // server would be once it has caught up.
  const encodingStarted = performance.now();
  const cached = await useCachedVectors(app.db);
  const encoder = new SentenceEncoder();
  try {
    while ((await encodeQueuedClaims(app.db, encoder)) > 0) if (process.stderr.isTTY) process.stderr.write('.');
  } finally {
    await encoder.close();
  }
  await keepVectors(app.db);
  const encodeSeconds = (performance.now() - encodingStarted) / 1000;
  if (cached > 0) process.stderr.write(`${cached} sentence vectors read from ${VECTOR_CACHE}\n`);
  /** `timeless`: with `published_at: null`, as a text without a date is matched. */
  const match = async (text: string, timeless = false) => {
    const t0 = performance.now();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/claims/match',
      headers: { authorization: `Bearer ${KEY}` },
      payload: { text, limit: 5, min_score: 0, ...(timeless ? { published_at: null } : {}) },
    });
    const ms = performance.now() - t0;
    if (res.statusCode !== 200) throw new Error(`match failed: ${res.statusCode} ${res.body.slice(0, 500)}`);
    const data = (res.json() as { data: { id: string; score: number }[] }).data;
    return { ms, results: data.map((d) => ({ id: vclaimOf.get(d.id) ?? d.id, score: d.score })) };
  };
  return {
    app,
    database,
    claims,
    vclaimOf,
    loadSeconds,
    encodeSeconds,
    match,
    async close() {
      await app.close();
      await database.close();
    },
  };
}

/**
 * A text's candidates with its gold claims taken out and the signals that compare candidates
 * recomputed: what the API would answer if the collection did not hold the claim the text
 * repeats. Its best candidate is a wrong answer however far it leads the rest.
 */
export function withoutGold<C extends { id: string; signals: MatchSignals }>(candidates: C[], gold: Set<string>, floor?: SignalFloor): C[] {
  const rest = candidates.filter((c) => !gold.has(c.id));
  const signals = withCompetition(
    rest.map((c) => c.signals),
    floor,
  );
  return rest.map((c, i) => ({ ...c, signals: signals[i] }));
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const f3 = (v: number) => v.toFixed(3);

async function main() {
  const { values } = parseArgs({ options: { splits: { type: 'string', default: 'dev,devtest' }, verbose: { type: 'boolean', default: false } } });
  const splits = values.splits.split(',') as Split[];
  const bench = await loadBenchmark(process.env.DATABASE_URL);
  const backend = process.env.DATABASE_URL ? 'PostgreSQL server' : 'PGlite';
  console.log(`CheckThat! 2022 2A: ${bench.claims.length} verified claims loaded through POST /v1/bulk in ${bench.loadSeconds.toFixed(1)} s, their sentence vectors encoded in ${bench.encodeSeconds.toFixed(1)} s (${backend})`);
  const bm25 = new Bm25(bench.claims.map((c) => ({ id: c.id, text: indexedText(c) })));
  try {
    // Each split twice: as the texts come (a tweet's signature dates it, and `time` counts) and
    // with `published_at: null`, as a text without a date is matched.
    for (const [split, timeless] of splits.flatMap((split) => [false, true].map((timeless) => [split, timeless] as const))) {
      const queries = loadQueries(split);
      const api: Ranked[] = [];
      const base: Ranked[] = [];
      const noMatch: Ranked[] = [];
      const times: number[] = [];
      for (const q of queries) {
        const { ms, results } = await bench.match(q.text, timeless);
        const rest = withoutGold(
          (await scoredCandidates(bench.app.db, q.text, timeless ? { publishedAt: null } : {})).map((c) => ({ id: bench.vclaimOf.get(c.id) ?? c.id, signals: c.signals })),
          q.gold,
        );
        const scores = matchScores(rest.map((c) => c.signals));
        noMatch.push({ gold: new Set(), results: rest.map((c, i) => ({ id: c.id, score: scores[i] })).sort((a, b) => b.score - a.score) });
        times.push(ms);
        api.push({ gold: q.gold, results });
        base.push({ gold: q.gold, results: bm25.search(q.text, 5) });
        if (values.verbose && !q.gold.has(results[0]?.id ?? '')) {
          console.log(`  miss ${q.id}: ${q.text.slice(0, 140).replace(/\s+/g, ' ')}\n    gold ${[...q.gold].join(', ')} at #${results.findIndex((r) => q.gold.has(r.id)) + 1 || '-'}; first ${results[0]?.id} (${results[0]?.score})`);
        }
      }
      times.sort((a, b) => a - b);
      const a = rankingFigures(api);
      const b = rankingFigures(base);
      const at = atThreshold(api, DEFAULT_MIN_SCORE);
      const bins = reliability(api);
      console.log(`\n## ${split} (${a.queries} queries)${timeless ? ', without time (published_at: null)' : ''}`);
      console.log('| | MAP@5 | P@1 | recall@5 |\n|---|--:|--:|--:|');
      console.log(`| POST /v1/claims/match | ${f3(a.map5)} | ${f3(a.p1)} | ${f3(a.recall5)} |`);
      console.log(`| BM25 baseline (same texts, same run) | ${f3(b.map5)} | ${f3(b.p1)} | ${f3(b.recall5)} |`);
      console.log(`| difference | ${(a.map5 - b.map5 >= 0 ? '+' : '') + f3(a.map5 - b.map5)} | ${(a.p1 - b.p1 >= 0 ? '+' : '') + f3(a.p1 - b.p1)} | ${(a.recall5 - b.recall5 >= 0 ? '+' : '') + f3(a.recall5 - b.recall5)} |`);
      console.log(`\nAt the default min_score ${DEFAULT_MIN_SCORE}: precision ${f3(at.precision)}, recall ${f3(at.recall)} (${at.returned} results returned).`);
      console.log(
        `The same ${noMatch.length} texts with their gold claims taken out of the candidates (no claim to find): best candidate at ≥ ${DEFAULT_MIN_SCORE} for ${f3(noMatchRate(noMatch, DEFAULT_MIN_SCORE))} of them.`,
      );
      console.log(`Match latency (in-process HTTP, one client): p50 ${pct(times, 0.5).toFixed(1)} ms, p95 ${pct(times, 0.95).toFixed(1)} ms.`);
      console.log(`\nReliability of the top-5 scores (expected calibration error ${f3(calibrationError(bins))}):\n${reliabilityTable(bins)}`);
      console.log(
        `\nThe same with the texts without their claims beside them, each counting ${NO_CLAIM_WEIGHT} (the mix the score assumes): expected calibration error ${f3(mixedCalibrationError(api, noMatch, NO_CLAIM_WEIGHT))}.`,
      );
    }
  } finally {
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
