/**
 * Fits and checks the claim-matching score (src/domain/matching.ts) on the labelled
 * rewordings in test/fixtures/matching/rewordings.json:
 *
 *   npx tsx bench/calibrate.ts            # embedded database, in memory
 *   DATABASE_URL=… npx tsx bench/calibrate.ts   # an empty PostgreSQL database you give it
 *   DATABASE_URL=…/claimledger_bench npx tsx bench/calibrate.ts --among-bench   # among the bench's million claims, rolled back
 *
 * It stores the fixture claims, the near-miss distractors and 5,000 generated claims
 * (bench/corpus.ts), runs the real candidate search for every rewording, and records
 * each candidate's three signals with a label (is it the claim that was reworded?).
 * A logistic regression on those rows gives the weights; the script prints them with
 * precision@1 for the weights in the code, for the fitted ones, and for a two-fold
 * cross-validation (fit on half of the claims, measure on the other half), plus the
 * highest score any unrelated text reaches.
 */
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { openPostgres, pgliteExtensions, wrapPglite, type Database } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { DEFAULT_MIN_SCORE, MATCH_WEIGHTS, matchScore, type MatchSignals } from '../src/domain/matching.js';
import { scoredCandidates } from '../src/resources/claims/match.js';
import { Corpus } from './corpus.js';

export interface Fixture {
  claims: { id: string; text: string }[];
  distractors: string[];
  rewordings: { claim: string; text: string }[];
  unrelated: string[];
}

export const loadFixture = (): Fixture =>
  JSON.parse(readFileSync(new URL('../test/fixtures/matching/rewordings.json', import.meta.url), 'utf8')) as Fixture;

interface Row {
  query: number;
  claim: string;
  label: 0 | 1;
  x: MatchSignals;
}

type Weights = { bias: number; trigram: number; lexical: number; numbers: number };

function fit(rows: Row[], l2 = 1): Weights {
  // Newton's method on the L2-regularised log-likelihood; four parameters. Positives and
  // negatives weigh the same in total (a 50 % prior), so 0.5 is the balanced decision line.
  const positives = rows.filter((r) => r.label === 1).length;
  const classWeight = (r: Row) => (r.label === 1 ? (rows.length - positives) / Math.max(positives, 1) : 1);
  let w = [0, 0, 0, 0];
  const feats = (r: Row) => [1, r.x.trigram, r.x.lexical, r.x.numbers];
  for (let iter = 0; iter < 50; iter++) {
    const g = [0, 0, 0, 0];
    const H = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
    for (const r of rows) {
      const f = feats(r);
      const p = 1 / (1 + Math.exp(-f.reduce((s, v, i) => s + v * w[i], 0)));
      const cw = classWeight(r);
      for (let i = 0; i < 4; i++) {
        g[i] += cw * (p - r.label) * f[i];
        for (let j = 0; j < 4; j++) H[i][j] += cw * p * (1 - p) * f[i] * f[j];
      }
    }
    for (let i = 1; i < 4; i++) {
      g[i] += l2 * w[i];
      H[i][i] += l2;
    }
    for (let i = 0; i < 4; i++) H[i][i] += 1e-9;
    const raw = solve(H, g);
    // Damped: at most 2 units per coordinate per iteration, so a nearly separable set cannot blow up.
    const scale = Math.min(1, 2 / Math.max(...raw.map(Math.abs)));
    const step = raw.map((v) => v * scale);
    w = w.map((v, i) => v - step[i]);
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  return { bias: w[0], trigram: w[1], lexical: w[2], numbers: w[3] };
}

function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const k = M[r][c] / M[c][c];
      for (let k2 = c; k2 <= n; k2++) M[r][k2] -= k * M[c][k2];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

/** Share of queries whose best-scoring candidate is the reworded claim. */
function precisionAt1(rows: Row[], weights: Weights, queries: Set<number>): { p: number; misses: number[] } {
  const best = new Map<number, { score: number; label: number }>();
  for (const r of rows) {
    if (!queries.has(r.query)) continue;
    const score = matchScore(r.x, weights);
    const b = best.get(r.query);
    if (!b || score > b.score) best.set(r.query, { score, label: r.label });
  }
  const misses = [...queries].filter((q) => best.get(q)?.label !== 1);
  return { p: (queries.size - misses.length) / queries.size, misses };
}

async function openDatabase(): Promise<Database> {
  if (process.env.DATABASE_URL) return openPostgres({ url: process.env.DATABASE_URL });
  return wrapPglite(await PGlite.create({ extensions: pgliteExtensions }));
}

/**
 * `--among-bench`: the fixture claims hidden among the million claims of the bench
 * database (DATABASE_URL), inside a transaction that is rolled back: precision@1 and
 * latency of matching at full scale, with the planner statistics of the big table.
 */
async function amongBench(fixture: Fixture) {
  const database = openPostgres({ url: process.env.DATABASE_URL! });
  let report = '';
  try {
    await database.db.transaction(async (tx) => {
      const idOf = new Map<string, string>();
      for (const c of fixture.claims) {
        const id = crypto.randomUUID();
        await tx.execute(sql`insert into claims (id, text, language) values (${id}::uuid, ${c.text}, 'en')`);
        idOf.set(c.id, id);
      }
      for (const d of fixture.distractors) await tx.execute(sql`insert into claims (id, text, language) values (gen_random_uuid(), ${d}, 'en')`);
      const [{ n }] = ((await tx.execute(sql`select count(*)::int as n from claims`)) as unknown as { rows: { n: number }[] }).rows;
      let hits = 0;
      const times: number[] = [];
      for (const r of fixture.rewordings) {
        const started = performance.now();
        const scored = await scoredCandidates(tx as unknown as Database['db'], r.text);
        times.push(performance.now() - started);
        if (scored[0]?.id === idOf.get(r.claim)) hits++;
        else if (process.argv.includes('--verbose')) {
          const at = scored.findIndex((c) => c.id === idOf.get(r.claim));
          console.log(`  miss: "${r.text}" → ${at < 0 ? 'not a candidate' : `#${at + 1} (${scored[at].score} vs ${scored[0].score}: ${scored[0].text})`}`);
        }
      }
      let unrelatedAbove = 0;
      for (const text of fixture.unrelated) if (((await scoredCandidates(tx as unknown as Database['db'], text))[0]?.score ?? 0) >= DEFAULT_MIN_SCORE) unrelatedAbove++;
      times.sort((a, b) => a - b);
      report =
        `among ${n.toLocaleString('en-US')} claims: precision@1 ${(hits / fixture.rewordings.length).toFixed(3)} (${hits}/${fixture.rewordings.length}); ` +
        `unrelated texts with a result above ${DEFAULT_MIN_SCORE}: ${unrelatedAbove}/${fixture.unrelated.length}; ` +
        `match query time p50 ${times[Math.floor(times.length / 2)].toFixed(1)} ms, p95 ${times[Math.floor(times.length * 0.95)].toFixed(1)} ms (in process, no HTTP)`;
      throw new Error('rollback');
    });
  } catch (err) {
    if ((err as Error).message !== 'rollback') throw err;
  } finally {
    await database.close();
  }
  console.log(report);
}

async function main() {
  const fixture = loadFixture();
  if (process.argv.includes('--among-bench')) return amongBench(fixture);
  const database = await openDatabase();
  await runMigrations(database);
  const db = database.db;
  const idOf = new Map<string, string>();
  const insert = async (text: string) => {
    const id = crypto.randomUUID();
    await db.execute(sql`insert into claims (id, text, language) values (${id}::uuid, ${text}, 'en')`);
    return id;
  };
  for (const c of fixture.claims) idOf.set(c.id, await insert(c.text));
  for (const d of fixture.distractors) await insert(d);
  const corpus = new Corpus(2);
  const generated = Array.from({ length: 5000 }, () => corpus.claim().text);
  for (let i = 0; i < generated.length; i += 500) {
    const chunk = generated.slice(i, i + 500);
    await db.execute(sql`insert into claims (id, text, language) select gen_random_uuid(), t, 'en' from unnest(${sql.param(chunk)}::text[]) t`);
  }
  await db.execute(sql`analyze claims`);

  const rows: Row[] = [];
  let missingPositive = 0;
  for (const [qi, r] of fixture.rewordings.entries()) {
    const candidates = await scoredCandidates(db, r.text);
    const target = idOf.get(r.claim)!;
    if (!candidates.some((c) => c.id === target)) missingPositive++;
    for (const c of candidates) rows.push({ query: qi, claim: r.claim, label: c.id === target ? 1 : 0, x: c.signals });
  }
  let unrelatedMax = 0;
  const unrelatedRows: Row[] = [];
  for (const [ui, text] of fixture.unrelated.entries()) {
    for (const c of await scoredCandidates(db, text)) unrelatedRows.push({ query: -1 - ui, claim: '', label: 0, x: c.signals });
  }

  const bad = [...rows, ...unrelatedRows].filter((r) => ![r.x.trigram, r.x.lexical, r.x.numbers].every(Number.isFinite));
  if (bad.length) console.log('rows with non-finite signals:', bad.length, JSON.stringify(bad[0]));
  const all = new Set(fixture.rewordings.map((_, i) => i));
  const current = precisionAt1(rows, MATCH_WEIGHTS, all);
  // The population the score is calibrated on: each query's ten best candidates (what a
  // caller sees), not the long tail of weak ones, which would drown the positives.
  const top = (list: Row[], k = 10) => {
    const byQuery = new Map<number, Row[]>();
    for (const r of list) byQuery.set(r.query, [...(byQuery.get(r.query) ?? []), r]);
    return [...byQuery.values()].flatMap((rs) => rs.sort((a, b) => matchScore(b.x) - matchScore(a.x)).slice(0, k));
  };
  const fitted = fit(top([...rows, ...unrelatedRows]));
  const round = (w: Weights) => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Math.round(v * 10) / 10])) as Weights;
  const fittedP = precisionAt1(rows, fitted, all);

  // Two-fold cross-validation by claim: rewordings of a claim are all in one half.
  const claimIds = fixture.claims.map((c) => c.id);
  const half = new Set(claimIds.filter((_, i) => i % 2 === 0));
  const folds = [0, 1].map((k) => {
    const trainQ = new Set([...all].filter((q) => half.has(fixture.rewordings[q].claim) === (k === 0)));
    const testQ = new Set([...all].filter((q) => !trainQ.has(q)));
    const w = fit(top([...rows.filter((r) => trainQ.has(r.query)), ...unrelatedRows]));
    return precisionAt1(rows, w, testQ).p * testQ.size;
  });
  for (const r of unrelatedRows) unrelatedMax = Math.max(unrelatedMax, matchScore(r.x));
  const recall = (w: Weights) => rows.filter((r) => r.label === 1 && matchScore(r.x, w) >= DEFAULT_MIN_SCORE).length / fixture.rewordings.length;
  const wrongAbove = (w: Weights) => {
    let n = 0;
    for (const q of all) {
      const best = rows.filter((r) => r.query === q).sort((a, b) => matchScore(b.x, w) - matchScore(a.x, w))[0];
      if (best && best.label === 0 && matchScore(best.x, w) >= DEFAULT_MIN_SCORE) n++;
    }
    return n;
  };

  console.log(`rewordings: ${fixture.rewordings.length}; claims: ${fixture.claims.length}; distractors: ${fixture.distractors.length}; generated: ${generated.length}`);
  console.log(`rewordings whose claim is not among the candidates: ${missingPositive}`);
  console.log(`weights in the code: ${JSON.stringify(MATCH_WEIGHTS)} -> precision@1 ${current.p.toFixed(3)}`);
  console.log(`fitted weights:      ${JSON.stringify(round(fitted))} -> precision@1 ${fittedP.p.toFixed(3)}`);
  console.log(`at min_score ${DEFAULT_MIN_SCORE}: reworded claim returned for ${(recall(MATCH_WEIGHTS) * 100).toFixed(1)} % of rewordings (fitted: ${(recall(fitted) * 100).toFixed(1)} %); a wrong first result above it for ${wrongAbove(MATCH_WEIGHTS)} (fitted: ${wrongAbove(fitted)})`);
  console.log(`two-fold cross-validated precision@1: ${((folds[0] + folds[1]) / all.size).toFixed(3)}`);
  console.log(`highest score of an unrelated text (weights in the code): ${unrelatedMax.toFixed(3)}`);
  for (const q of current.misses) {
    const r = fixture.rewordings[q];
    const best = rows.filter((x) => x.query === q).sort((a, b) => matchScore(b.x) - matchScore(a.x))[0];
    const truth = rows.find((x) => x.query === q && x.label === 1);
    console.log(`  miss: "${r.text}" -> best ${best ? matchScore(best.x) : '-'} ${JSON.stringify(best?.x)}; true ${truth ? matchScore(truth.x) : 'not a candidate'} ${JSON.stringify(truth?.x)}`);
  }
  await database.close();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message.slice(0, 2000) : err);
  process.exit(1);
});
