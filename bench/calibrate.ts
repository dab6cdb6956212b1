/**
 * Fits claim matching's weights (src/domain/matching.ts) on the CheckThat! 2022 Task 2A
 * training tweets, and reports on the development tweets:
 *
 *   npm run calibrate:match                 # embedded PGlite
 *   DATABASE_URL=postgres://…/postgres npm run calibrate:match   # a fresh database on that server
 *
 * It loads the verified claims as `npm run eval:match` does (through POST /v1/bulk), runs the
 * very candidate search and signals of the API (scoredCandidates) for every training and
 * development tweet, and labels each candidate: is it the claim the tweet repeats?
 *
 *   stage 1, the ranking: a logistic regression on the signals of every candidate of every
 *            training tweet (its weights without the intercept are MATCH_WEIGHTS);
 *   stage 2, the score: a logistic regression on (rank, lead over the best other candidate)
 *            of the same rows (SCORE_CALIBRATION), so a score is a probability.
 *
 * Stage 2 also sees every training tweet a second time with its gold claims taken out of its
 * candidates (`withoutGold`): every candidate then wrong however far the best leads, which is
 * what a text repeating no claim the collection holds looks like. Those rows count
 * NO_CLAIM_WEIGHT each (src/domain/matching.ts; `--no-claim-weight W` to try another), so the score is a probability
 * for texts of which about one in five repeats nothing the collection holds, not only for
 * texts that all repeat a claim (bench/MATCHING.md, "Texts with no claim to find"). It reports
 * how often such a text still gets a candidate at the default min_score.
 *
 *   npm run calibrate:match -- --rows /tmp/rows.json [--no-claim-weight 0.25]
 *                           # keeps the collected rows in that file; later runs refit from it
 *
 * Deterministic: the same data gives the same weights. It prints them as TypeScript to paste
 * into src/domain/matching.ts, with MAP@5, P@1, precision and recall at the default
 * min_score and the reliability table for train and dev. The held-out devtest split is
 * never read here.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_MIN_SCORE, NO_CLAIM_WEIGHT, competing, leadsOf, matchScores, rankOf, undatedShare, withCompetition, type CompetitionFloor, type MatchSignals, type MatchWeights, type ScoreCalibration, type SignalFloor } from '../src/domain/matching.js';
import { scoredCandidates } from '../src/resources/claims/match.js';
import { loadBenchmark, withoutGold } from './eval-match.js';
import { loadQueries, type Split } from './eval-match-data.js';
import { atThreshold, calibrationError, mixedCalibrationError, noMatchRate, rankingFigures, reliability, reliabilityTable, type Ranked } from './eval-match-metrics.js';

const SIGNALS: (keyof MatchSignals)[] = ['text', 'context', 'relative', 'coverage', 'phrases', 'numbers', 'meaning', 'meaning_lead', 'sentence', 'sentence_lead', 'time'];

interface Labelled {
  id: string;
  label: 0 | 1;
  signals: MatchSignals;
}

/** Rows collected before a signal was added would rank as NaN: refused, rather than fitted into nonsense. */
export function refuseStaleRows(qs: readonly { candidates: readonly Labelled[] }[], file: string): void {
  const lacking = SIGNALS.filter((k) => qs.some((q) => q.candidates.some((c) => typeof c.signals[k] !== 'number')));
  if (lacking.length) throw new Error(`${file} was collected without ${lacking.join(', ')}: delete it and collect the rows again`);
}

export interface QueryRows {
  gold: Set<string>;
  candidates: Labelled[];
}

/** Newton's method on the L2-regularised log-likelihood (intercept not penalised), each row counting `weights[n]` (1 by default). */
export function fitLogistic(xs: number[][], ys: number[], l2 = 1, weights: number[] = []): number[] {
  const d = xs[0].length + 1;
  let w = new Array<number>(d).fill(0);
  for (let iter = 0; iter < 100; iter++) {
    const g = new Array<number>(d).fill(0);
    const H = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    xs.forEach((x, n) => {
      const f = [1, ...x];
      const p = 1 / (1 + Math.exp(-f.reduce((s, v, i) => s + v * w[i], 0)));
      const k = weights[n] ?? 1;
      for (let i = 0; i < d; i++) {
        g[i] += k * (p - ys[n]) * f[i];
        for (let j = 0; j < d; j++) H[i][j] += k * p * (1 - p) * f[i] * f[j];
      }
    });
    for (let i = 1; i < d; i++) {
      g[i] += l2 * w[i];
      H[i][i] += l2;
    }
    for (let i = 0; i < d; i++) H[i][i] += 1e-9;
    const step = solve(H, g);
    // Damped, so a nearly separable set cannot blow up.
    const scale = Math.min(1, 4 / Math.max(...step.map(Math.abs)));
    w = w.map((v, i) => v - step[i] * scale);
    if (Math.max(...step.map(Math.abs)) < 1e-9) break;
  }
  return w;
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

const round = (v: number) => Math.round(v * 1000) / 1000;

type Floor = SignalFloor;

/** The same text with its gold claims taken out of its candidates (see `withoutGold` in eval-match.ts). */
const noGold = (q: QueryRows, floor?: Floor): QueryRows => ({ gold: new Set(), candidates: withoutGold(q.candidates, q.gold, floor) });

/** Whether any candidate has `time`. */
const timed = (q: QueryRows) => q.candidates.some((c) => c.signals.time > 0);

/** The same text without a time (`published_at: null`, or no signature): no candidate has `time`. */
export const undated = (q: QueryRows): QueryRows => ({ ...q, candidates: q.candidates.map((c) => ({ ...c, signals: { ...c.signals, time: 0 } })) });

/** The signals comparing candidates recomputed with these floors. */
const withFloor = (q: QueryRows, floor: Floor): QueryRows => {
  const signals = withCompetition(
    q.candidates.map((c) => c.signals),
    floor,
  );
  return { ...q, candidates: q.candidates.map((c, i) => ({ ...c, signals: signals[i] })) };
};

/** The value below which 1 % of `values` lie. */
const lowPercentile = (values: number[], share = 0.01) => round([...values].sort((a, b) => a - b)[Math.floor(share * (values.length - 1))] ?? 0);
const second = (values: number[]) => [...values].sort((a, b) => b - a)[1] ?? 0;

/**
 * The rank floor is what the best other candidate reached for 90 % of the training tweets: the
 * lead a claim gets for want of rivals in a small collection must stay small, and the
 * sentence lead gives the runner-up of a tweet with a clear answer a low rank, so what 99 %
 * of them reach (as for the other floors) is too little to bound that lead. It changes no
 * figure on dev (bench/MATCHING.md).
 */
const RANK_FLOOR_SHARE = 0.1;

export interface Fit {
  weights: MatchWeights;
  calibration: ScoreCalibration;
  floor: CompetitionFloor;
}

/**
 * COMPETITION_FLOOR first, from the training tweets (the best `context`, the second best `sentence` and the second best
 * `meaning` and rank that 99 % of them reach), then the two stages on signals computed with it: the
 * ranking on the tweets as they are, the score on those and on the same tweets with their gold claims
 * taken out, counting `noClaimWeight` each (0: the score as fitted before 2026-12-07).
 *
 * Both stages see every tweet twice, with its date and without (`undated`): a text without a
 * time is what most callers send. Its right claim ranks lower by what `time` would have added,
 * which the score's `undated` term makes up for, in proportion as the nearest candidate was far
 * (1 − the highest `time`). The rank floor is taken over both alike.
 */
export function fitWeights(train: QueryRows[], noClaimWeight = NO_CLAIM_WEIGHT, rankFloorShare = RANK_FLOOR_SHARE): Fit {
  const floor: Floor = {
    context: lowPercentile(train.map((q) => Math.max(0, ...q.candidates.map((c) => c.signals.context)))),
    meaning: lowPercentile(train.map((q) => second(q.candidates.map((c) => c.signals.meaning)))),
    sentence: lowPercentile(train.map((q) => second(q.candidates.map((c) => c.signals.sentence)))),
  };
  train = train.map((q) => withFloor(q, floor));
  // The ranking is fitted on texts that repeat a claim: which candidate it is. Each tweet
  // counts with its date and without, so the words weigh what they weigh for a text without
  // one (and for a claim checked long before its text), not only for the benchmark's tweets,
  // whose claims were checked days after them.
  const both = [...train, ...train.filter(timed).map(undated)];
  const rows = both.flatMap((q) => q.candidates);
  const stage1 = fitLogistic(
    rows.map((r) => SIGNALS.map((k) => r.signals[k])),
    rows.map((r) => r.label),
  );
  const weights = Object.fromEntries(SIGNALS.map((k, i) => [k, round(stage1[i + 1])])) as unknown as MatchWeights;
  const ranksOf = (q: QueryRows) => q.candidates.map((c) => rankOf(c.signals, weights));
  // The best other rank as the lead measures it: among the candidates that compete.
  const rivalRanks = (q: QueryRows) => {
    const competes = competing(q.candidates.map((c) => c.signals));
    return ranksOf(q).filter((_, i) => competes[i]);
  };
  const rankFloor = lowPercentile(both.filter((q) => q.gold.size > 0).map((q) => second(rivalRanks(q))), rankFloorShare);
  // The score also on texts that repeat none: whether the best candidate is one at all.
  const xs: number[][] = [];
  const ys: number[] = [];
  const counts: number[] = [];
  const scored = noClaimWeight > 0 ? [...both, ...both.map((q) => noGold(q, floor))] : both;
  for (const q of scored) {
    const ranks = ranksOf(q);
    const leads = leadsOf(ranks, rankFloor, competing(q.candidates.map((c) => c.signals)));
    q.candidates.forEach((c, i) => {
      xs.push([undatedShare(q.candidates.map((c) => c.signals)), ranks[i], leads[i]]);
      ys.push(c.label);
      counts.push(q.gold.size > 0 ? 1 : noClaimWeight);
    });
  }
  const stage2 = fitLogistic(xs, ys, 0.1, counts);
  return {
    weights,
    calibration: { bias: round(stage2[0]), undated: round(stage2[1]), rank: round(stage2[2]), lead: round(stage2[3]) },
    floor: { ...floor, rank: rankFloor },
  };
}

/** The top 5 a caller would see with these weights. */
export function ranked(queries: QueryRows[], { weights, calibration, floor }: Fit): Ranked[] {
  return queries.map((q) => {
    const scores = matchScores(
      withFloor(q, floor).candidates.map((c) => c.signals),
      weights,
      calibration,
      floor.rank,
    );
    const results = q.candidates.map((c, i) => ({ id: c.id, score: scores[i] })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    return { gold: q.gold, results: results.slice(0, 5) };
  });
}

export function report(name: string, all: Ranked[], noMatch: Ranked[], noClaimWeight: number): string {
  const r = rankingFigures(all);
  const at = atThreshold(all, DEFAULT_MIN_SCORE);
  const bins = reliability(all);
  return [
    `${name}: MAP@5 ${r.map5.toFixed(3)}, P@1 ${r.p1.toFixed(3)}, recall@5 ${r.recall5.toFixed(3)}; at min_score ${DEFAULT_MIN_SCORE}: precision ${at.precision.toFixed(3)}, recall ${at.recall.toFixed(3)}; calibration error ${calibrationError(bins).toFixed(3)} (${mixedCalibrationError(all, noMatch, noClaimWeight).toFixed(3)} with the texts without gold beside them, counting ${noClaimWeight} each); without gold, best ≥ ${DEFAULT_MIN_SCORE}: ${noMatchRate(noMatch, DEFAULT_MIN_SCORE).toFixed(3)}`,
    reliabilityTable(bins),
  ].join('\n');
}

async function main() {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, 'no-claim-weight': { type: 'string', default: String(NO_CLAIM_WEIGHT) } } });
  const noClaimWeight = Number(values['no-claim-weight']);
  if (!(noClaimWeight >= 0)) throw new Error('--no-claim-weight must be a number ≥ 0');
  // Collecting the rows is most of the time; `--rows FILE` keeps them to refit from (same data, same weights).
  if (values.rows && existsSync(values.rows)) {
    const saved = JSON.parse(readFileSync(values.rows, 'utf8')) as Record<'train' | 'dev', { gold: string[]; candidates: Labelled[] }[]>;
    // The signals comparing candidates are recomputed, so rows saved before a change to them still serve.
    const revive = (qs: { gold: string[]; candidates: Labelled[] }[]) => {
      refuseStaleRows(qs, values.rows!);
      return qs.map((q) => {
        const signals = withCompetition(q.candidates.map((c) => c.signals));
        return { gold: new Set(q.gold), candidates: q.candidates.map((c, i) => ({ ...c, signals: signals[i] })) };
      });
    };
    fitAndReport(revive(saved.train), revive(saved.dev), noClaimWeight);
    return;
  }
  const bench = await loadBenchmark(process.env.DATABASE_URL);
  process.stderr.write(`verified claims loaded in ${bench.loadSeconds.toFixed(0)} s, encoded in ${bench.encodeSeconds.toFixed(0)} s\n`);
  const { vclaimOf } = bench;
  const collect = async (split: Split): Promise<QueryRows[]> => {
    const out: QueryRows[] = [];
    const queries = loadQueries(split);
    for (const [i, q] of queries.entries()) {
      if (i % 100 === 0) process.stderr.write(`${split}: ${i}/${queries.length}\n`);
      const candidates = await scoredCandidates(bench.app.db, q.text);
      out.push({
        gold: q.gold,
        candidates: candidates.map((c) => {
          const id = vclaimOf.get(c.id) ?? c.id;
          return { id, label: q.gold.has(id) ? 1 : 0, signals: c.signals };
        }),
      });
    }
    return out;
  };
  try {
    const train = await collect('train');
    const dev = await collect('dev');
    if (values.rows) {
      const plain = (qs: QueryRows[]) => qs.map((q) => ({ gold: [...q.gold], candidates: q.candidates }));
      writeFileSync(values.rows, JSON.stringify({ train: plain(train), dev: plain(dev) }));
    }
    fitAndReport(train, dev, noClaimWeight);
  } finally {
    await bench.close();
  }
}

function fitAndReport(train: QueryRows[], dev: QueryRows[], noClaimWeight: number) {
  const missing = (qs: QueryRows[]) => qs.filter((q) => !q.candidates.some((c) => c.label === 1)).length;
  console.log(`candidates: the gold claim is missing for ${missing(train)}/${train.length} training and ${missing(dev)}/${dev.length} development tweets`);
  const fit = fitWeights(train, noClaimWeight);
  const ts = (v: object) => JSON.stringify(v).replace(/"/g, '').replace(/,/g, ', ').replace(/:/g, ': ');
  console.log(`\nexport const COMPETITION_FLOOR: Readonly<CompetitionFloor> = ${ts(fit.floor)};`);
  console.log(`export const MATCH_WEIGHTS: Readonly<MatchWeights> = ${ts(fit.weights)};`);
  console.log(`export const SCORE_CALIBRATION: Readonly<ScoreCalibration> = ${ts(fit.calibration)};\n`);
  const noMatch = (qs: QueryRows[]) => ranked(qs.map((q) => noGold(q, fit.floor)), fit);
  console.log(report('train (fitted on)', ranked(train, fit), noMatch(train), noClaimWeight));
  console.log(report('\ndev', ranked(dev, fit), noMatch(dev), noClaimWeight));
  const timeless = dev.map(undated);
  console.log(report('\ndev without time (published_at: null)', ranked(timeless, fit), noMatch(timeless), noClaimWeight));
  // A claim that resurfaces: the text is dated, but the claim it repeats was checked long before.
  const resurfaced = dev.map((q) => ({ ...q, candidates: q.candidates.map((c) => (c.label ? { ...c, signals: { ...c.signals, time: 0 } } : c)) }));
  console.log(report('\ndev, each claim as if checked long before the tweet (its time 0, the others as they are)', ranked(resurfaced, fit), noMatch(resurfaced), noClaimWeight));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
