/**
 * An offline experiment: does a linear projection W of the sentence vectors, fitted on the
 * CheckThat! 2022 Task 2A training pairs, make `sentence` and `sentence_lead` better signals?
 * (bench/MATCHING.md, "Projection of sentence vectors (experiment)".)
 *
 *   MATCH_VECTOR_CACHE=/tmp/match-vectors.json npm run calibrate:match -- --rows /tmp/rows.json
 *   MATCH_VECTOR_CACHE=/tmp/match-vectors.json npx tsx bench/fit-sentence-projection.ts collect \
 *       --inputs /tmp/projection-inputs.json      # claims' and tweets' vectors, devtest rows
 *   npx tsx bench/fit-sentence-projection.ts --rows /tmp/rows.json --inputs /tmp/projection-inputs.json
 *   npx tsx bench/fit-sentence-projection.ts … --final NAME      # devtest for the one variant chosen
 *
 * `collect` loads the claims as `eval:match` does and keeps every claim's stored (packed)
 * vector by CheckThat! id, the vector of every train, dev and devtest tweet encoded as a match
 * encodes it (`cleanQueryText`, one text at a time), and the devtest rows (candidates and
 * signals, gathered as calibrate.ts gathers train and dev) for the final report only.
 *
 * The experiment fits, on the training tweets only, x = W·u for
 *   diagonal  W = diag(d), d from 1, penalty λ‖d − 1‖²;
 *   lowrank   W = I + A·Bᵀ (A, B 512 × r; A from 0, B seeded), penalty λ‖A·Bᵀ‖²;
 *   full      W from I, penalty λ‖W − I‖²;
 * by Adam on the softmax (InfoNCE) loss of a tweet's gold claims among its best lexical
 * candidates (hard negatives) and the other tweets' gold claims in its batch, on the cosine of
 * the projected vectors. Then every candidate's `sentence` is recomputed as the API would
 * compute it (projected vectors packed as stored ones, `similarity`), the leads by
 * `withCompetition`, the reranker refitted on train (`fitWeights`) with each training tweet's
 * `sentence` from a projection fitted without it (out of fold, see `run`), and dev reported
 * (`ranked`). λ is chosen by 5-fold cross-validation on train, not on dev alone.
 * Deterministic: seeded initialisation and batch order.
 * Plain TypeScript with hand-written gradients. devtest is read only with `--final`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/client.js';
import { cleanQueryText, similarity, withCompetition, type MatchSignals } from '../src/domain/matching.js';
import { SENTENCE_DIMENSIONS, SentenceEncoder, packVector, vectorFromBase64, vectorToBase64 } from '../src/domain/sentence-vectors.js';
import { scoredCandidates } from '../src/resources/claims/match.js';
import { fitWeights, ranked, refuseStaleRows, type QueryRows } from './calibrate.js';
import { loadBenchmark } from './eval-match.js';
import { loadQueries, type Split } from './eval-match-data.js';
import { rankingFigures, type Ranked } from './eval-match-metrics.js';

const D = SENTENCE_DIMENSIONS;

interface Labelled {
  id: string;
  label: 0 | 1;
  signals: MatchSignals;
}
type SavedRows = { gold: string[]; candidates: Labelled[] }[];

interface Inputs {
  /** CheckThat! claim id → packed vector (base64), as stored in claim_meanings. */
  claims: Record<string, string>;
  /** `${split}:${index in loadQueries(split)}` → the packed vector of the cleaned tweet. */
  tweets: Record<string, string>;
  devtest: SavedRows;
}

// ---------------------------------------------------------------- collect

async function collect(inputsFile: string): Promise<void> {
  const bench = await loadBenchmark(process.env.DATABASE_URL);
  try {
    const claims: Record<string, string> = {};
    const stored = rowsOf<{ id: string; vector: string }>(await bench.app.db.execute(sql`select claim_id::text as id, encode(vector, 'base64') as vector from claim_meanings`));
    for (const r of stored) claims[bench.vclaimOf.get(r.id) ?? r.id] = r.vector.replace(/\s/g, '');
    process.stderr.write(`${stored.length} claim vectors\n`);
    const devtest: SavedRows = [];
    for (const q of loadQueries('devtest')) {
      const candidates = await scoredCandidates(bench.app.db, q.text);
      devtest.push({
        gold: [...q.gold],
        candidates: candidates.map((c) => {
          const id = bench.vclaimOf.get(c.id) ?? c.id;
          return { id, label: q.gold.has(id) ? 1 : 0, signals: c.signals };
        }),
      });
    }
    process.stderr.write(`${devtest.length} devtest rows\n`);
    const encoder = new SentenceEncoder();
    const tweets: Record<string, string> = {};
    try {
      for (const split of ['train', 'dev', 'devtest'] as Split[]) {
        for (const [i, q] of loadQueries(split).entries()) {
          // One text at a time, as a match encodes it.
          const cleaned = cleanQueryText(q.text);
          const [v] = await encoder.encode([cleaned || q.text]);
          tweets[`${split}:${i}`] = vectorToBase64(v);
        }
        process.stderr.write(`${split} tweets encoded\n`);
      }
    } finally {
      await encoder.close();
    }
    writeFileSync(inputsFile, JSON.stringify({ claims, tweets, devtest } satisfies Inputs));
  } finally {
    await bench.close();
  }
}

// ---------------------------------------------------------------- vectors

/** A packed vector as a unit Float64Array. */
function unit(v: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(v);
  let n = 0;
  for (let i = 0; i < out.length; i++) n += out[i] * out[i];
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < out.length; i++) out[i] /= n;
  return out;
}

/** A seeded generator (mulberry32) and normal draws from it (Box–Muller). */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  return { next, normal };
}

// ---------------------------------------------------------------- projections

interface Projection {
  params: Float64Array;
  /** x = W·u into `out`. */
  forward(u: Float64Array, out: Float64Array): void;
  /** Adds ∂L/∂params given g = ∂L/∂x at input u. */
  backward(u: Float64Array, g: Float64Array, grad: Float64Array): void;
  /** Adds λ·‖W − I‖² to the gradient, returns it. */
  penalty(lambda: number, grad: Float64Array): number;
}

function diagonal(): Projection {
  const params = new Float64Array(D).fill(1);
  return {
    params,
    forward(u, out) {
      for (let i = 0; i < D; i++) out[i] = params[i] * u[i];
    },
    backward(u, g, grad) {
      for (let i = 0; i < D; i++) grad[i] += g[i] * u[i];
    },
    penalty(lambda, grad) {
      let p = 0;
      for (let i = 0; i < D; i++) {
        const e = params[i] - 1;
        p += e * e;
        grad[i] += 2 * lambda * e;
      }
      return lambda * p;
    },
  };
}

/** W = I + A·Bᵀ, A and B stored row-major (D × r) one after the other. */
function lowRank(r: number, seed: number): Projection {
  const params = new Float64Array(2 * D * r);
  const random = rng(seed);
  // A from 0 (W = I at the start); B random, so that Bᵀu has components of about 1/√r.
  for (let k = D * r; k < 2 * D * r; k++) params[k] = random.normal() / Math.sqrt(r);
  const h = new Float64Array(r);
  const t = new Float64Array(r);
  const gram = (offset: number) => {
    const G = new Float64Array(r * r);
    for (let i = 0; i < D; i++) {
      const row = offset + i * r;
      for (let j = 0; j < r; j++) for (let k = 0; k < r; k++) G[j * r + k] += params[row + j] * params[row + k];
    }
    return G;
  };
  return {
    params,
    forward(u, out) {
      h.fill(0);
      for (let i = 0; i < D; i++) {
        const ui = u[i];
        if (ui === 0) continue;
        const row = D * r + i * r;
        for (let j = 0; j < r; j++) h[j] += params[row + j] * ui;
      }
      for (let i = 0; i < D; i++) {
        let s = u[i];
        const row = i * r;
        for (let j = 0; j < r; j++) s += params[row + j] * h[j];
        out[i] = s;
      }
    },
    backward(u, g, grad) {
      h.fill(0);
      t.fill(0);
      for (let i = 0; i < D; i++) {
        const row = D * r + i * r;
        for (let j = 0; j < r; j++) h[j] += params[row + j] * u[i];
      }
      for (let i = 0; i < D; i++) {
        const gi = g[i];
        const row = i * r;
        for (let j = 0; j < r; j++) {
          grad[row + j] += gi * h[j];
          t[j] += params[row + j] * gi;
        }
      }
      for (let i = 0; i < D; i++) {
        const ui = u[i];
        const row = D * r + i * r;
        for (let j = 0; j < r; j++) grad[row + j] += ui * t[j];
      }
    },
    penalty(lambda, grad) {
      // ‖A·Bᵀ‖² = Σ (AᵀA)∘(BᵀB); ∂/∂A = 2·A·(BᵀB), ∂/∂B = 2·B·(AᵀA).
      const P = gram(0);
      const Q = gram(D * r);
      let p = 0;
      for (let k = 0; k < r * r; k++) p += P[k] * Q[k];
      for (let i = 0; i < D; i++) {
        for (let j = 0; j < r; j++) {
          let a = 0;
          let b = 0;
          for (let k = 0; k < r; k++) {
            a += params[i * r + k] * Q[k * r + j];
            b += params[D * r + i * r + k] * P[k * r + j];
          }
          grad[i * r + j] += 2 * lambda * a;
          grad[D * r + i * r + j] += 2 * lambda * b;
        }
      }
      return lambda * p;
    },
  };
}

function full(): Projection {
  const params = new Float64Array(D * D);
  for (let i = 0; i < D; i++) params[i * D + i] = 1;
  return {
    params,
    forward(u, out) {
      for (let i = 0; i < D; i++) {
        let s = 0;
        const row = i * D;
        for (let k = 0; k < D; k++) s += params[row + k] * u[k];
        out[i] = s;
      }
    },
    backward(u, g, grad) {
      for (let i = 0; i < D; i++) {
        const gi = g[i];
        if (gi === 0) continue;
        const row = i * D;
        for (let k = 0; k < D; k++) grad[row + k] += gi * u[k];
      }
    },
    penalty(lambda, grad) {
      let p = 0;
      for (let i = 0; i < D; i++)
        for (let k = 0; k < D; k++) {
          const e = params[i * D + k] - (i === k ? 1 : 0);
          p += e * e;
          grad[i * D + k] += 2 * lambda * e;
        }
      return lambda * p;
    },
  };
}

// ---------------------------------------------------------------- fitting

interface Example {
  /** Vector key of the tweet. */
  tweet: string;
  gold: string[];
  /** The best lexical candidates that are not gold (hard negatives). */
  negatives: string[];
}

interface Variant {
  name: string;
  kind: 'identity' | 'diagonal' | 'lowrank' | 'full';
  rank?: number;
  lambda: number;
  epochs: number;
  lr: number;
}

const HARD_NEGATIVES = 30;
const BATCH = 32;
/** Cosines times this are the softmax's logits (temperature 0.05). */
const SCALE = 20;

function makeProjection(v: Variant): Projection | null {
  if (v.kind === 'identity') return null;
  if (v.kind === 'diagonal') return diagonal();
  if (v.kind === 'lowrank') return lowRank(v.rank ?? 32, 7);
  return full();
}

/** The batch's mean softmax loss plus the penalty; adds its gradient to `grad`. */
function lossAndGradient(proj: Projection, lambda: number, batch: Example[], vectors: Map<string, Float64Array>, grad: Float64Array): number {
  // Forward once per distinct vector of the batch.
  const keys = new Set<string>();
  for (const e of batch) {
    keys.add(e.tweet);
    for (const k of [...e.gold, ...e.negatives]) keys.add(k);
  }
  const xs = new Map<string, { x: Float64Array; norm: number; g: Float64Array }>();
  for (const k of keys) {
    const x = new Float64Array(D);
    proj.forward(vectors.get(k)!, x);
    let nn = 0;
    for (let i = 0; i < D; i++) nn += x[i] * x[i];
    const norm = Math.sqrt(nn) || 1e-12;
    for (let i = 0; i < D; i++) x[i] /= norm;
    xs.set(k, { x, norm, g: new Float64Array(D) });
  }
  const batchGold = [...new Set(batch.flatMap((e) => e.gold))];
  let loss = 0;
  for (const e of batch) {
    const gold = new Set(e.gold);
    const pool = [...new Set([...e.gold, ...e.negatives, ...batchGold])];
    const q = xs.get(e.tweet)!;
    const cos = pool.map((k) => {
      const c = xs.get(k)!.x;
      let d = 0;
      for (let i = 0; i < D; i++) d += q.x[i] * c[i];
      return d;
    });
    const z = cos.map((c) => SCALE * c);
    const top = Math.max(...z);
    const ez = z.map((v2) => Math.exp(v2 - top));
    const all = ez.reduce((a, b) => a + b, 0);
    const pos = ez.reduce((a, b, i) => a + (gold.has(pool[i]) ? b : 0), 0);
    loss += Math.log(all) - Math.log(pos);
    pool.forEach((k, i) => {
      // ∂L/∂z = p − p(· | gold); ∂cos/∂x through the normalisation.
      const dz = ez[i] / all - (gold.has(k) ? ez[i] / pos : 0);
      if (dz === 0) return;
      const dc = (SCALE * dz) / batch.length;
      const c = xs.get(k)!;
      for (let d = 0; d < D; d++) {
        q.g[d] += (dc * (c.x[d] - cos[i] * q.x[d])) / q.norm;
        c.g[d] += (dc * (q.x[d] - cos[i] * c.x[d])) / c.norm;
      }
    });
  }
  for (const [k, { g }] of xs) proj.backward(vectors.get(k)!, g, grad);
  return loss / batch.length + proj.penalty(lambda, grad);
}

/** Compares the gradient with finite differences on random vectors (a self-check: `gradcheck`). */
function gradientCheck(): void {
  const random = rng(3);
  const vectors = new Map<string, Float64Array>();
  const vec = () => unit(Array.from({ length: D }, () => random.normal()));
  for (let i = 0; i < 12; i++) vectors.set(`k${i}`, vec());
  const batch: Example[] = [
    { tweet: 'k0', gold: ['k1'], negatives: ['k2', 'k3', 'k4'] },
    { tweet: 'k5', gold: ['k6', 'k7'], negatives: ['k8', 'k2'] },
    { tweet: 'k9', gold: ['k10'], negatives: ['k11', 'k1'] },
  ];
  for (const v of VARIANTS.slice(1).filter((x, i, a) => a.findIndex((y) => y.kind === x.kind) === i).concat([{ name: 'full', kind: 'full', lambda: 0.1, epochs: 0, lr: 0 }])) {
    const proj = makeProjection({ ...v, rank: 4 })!;
    // Move away from the identity so every term of the gradient is exercised.
    for (let k = 0; k < proj.params.length; k++) proj.params[k] += 0.05 * random.normal();
    const grad = new Float64Array(proj.params.length);
    lossAndGradient(proj, 0.1, batch, vectors, grad);
    let worst = 0;
    for (let t = 0; t < 20; t++) {
      const k = Math.floor(random.next() * proj.params.length);
      const keep = proj.params[k];
      const h = 1e-5;
      proj.params[k] = keep + h;
      const up = lossAndGradient(proj, 0.1, batch, vectors, new Float64Array(proj.params.length));
      proj.params[k] = keep - h;
      const down = lossAndGradient(proj, 0.1, batch, vectors, new Float64Array(proj.params.length));
      proj.params[k] = keep;
      worst = Math.max(worst, Math.abs((up - down) / (2 * h) - grad[k]) / Math.max(1e-6, Math.abs(grad[k])));
    }
    console.log(`${v.kind}: worst relative gradient error ${worst.toExponential(2)}`);
  }
}

function fitProjection(v: Variant, examples: Example[], vectors: Map<string, Float64Array>, log = false): Projection | null {
  const proj = makeProjection(v);
  if (!proj) return null;
  const n = proj.params.length;
  const grad = new Float64Array(n);
  const m = new Float64Array(n);
  const s = new Float64Array(n);
  const random = rng(11);
  let step = 0;
  const order = examples.map((_, i) => i);
  for (let epoch = 0; epoch < v.epochs; epoch++) {
    // Seeded Fisher–Yates shuffle.
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let epochLoss = 0;
    for (let start = 0; start < order.length; start += BATCH) {
      const batch = order.slice(start, start + BATCH).map((i) => examples[i]);
      grad.fill(0);
      const loss = lossAndGradient(proj, v.lambda, batch, vectors, grad);
      epochLoss += loss * batch.length;
      // Adam.
      step++;
      const b1 = 0.9;
      const b2 = 0.999;
      const c1 = 1 - b1 ** step;
      const c2 = 1 - b2 ** step;
      for (let k = 0; k < n; k++) {
        m[k] = b1 * m[k] + (1 - b1) * grad[k];
        s[k] = b2 * s[k] + (1 - b2) * grad[k] * grad[k];
        proj.params[k] -= (v.lr * (m[k] / c1)) / (Math.sqrt(s[k] / c2) + 1e-8);
      }
    }
    if (log) process.stderr.write(`  ${v.name} epoch ${epoch + 1}: loss ${(epochLoss / examples.length).toFixed(4)}\n`);
  }
  return proj;
}

// ---------------------------------------------------------------- evaluation

interface Query {
  tweet: string;
  rows: QueryRows;
}

/** Every candidate's `sentence` as the API would compute it with projected, packed vectors; the leads recomputed. */
function withProjection(queries: Query[], proj: Projection | null, vectors: Map<string, Float64Array>): QueryRows[] {
  const packed = new Map<string, Int8Array>();
  const x = new Float64Array(D);
  const pack = (k: string) => {
    let p = packed.get(k);
    if (!p) {
      const u = vectors.get(k);
      if (!u) throw new Error(`no vector for ${k}`);
      if (proj) proj.forward(u, x);
      p = packVector(unit(proj ? x : u));
      packed.set(k, p);
    }
    return p;
  };
  return queries.map(({ tweet, rows }) => {
    const q = pack(tweet);
    const signals = withCompetition(rows.candidates.map((c) => ({ ...c.signals, sentence: similarity(q, pack(`c:${c.id}`)) })));
    return { ...rows, candidates: rows.candidates.map((c, i) => ({ ...c, signals: signals[i] })) };
  });
}

/** MAP@5 of the candidates ranked by `sentence` alone: how well the signal itself separates. */
function sentenceOnly(rows: QueryRows[]): number {
  const r: Ranked[] = rows.map((q) => ({
    gold: q.gold,
    results: q.candidates
      .map((c) => ({ id: c.id, score: c.signals.sentence }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 5),
  }));
  return rankingFigures(r).map5;
}

const examplesOf = (queries: Query[]): Example[] =>
  queries.map(({ tweet, rows }) => ({
    tweet,
    gold: [...rows.gold].map((g) => `c:${g}`),
    negatives: rows.candidates
      .filter((c) => c.label === 0)
      .slice(0, HARD_NEGATIVES)
      .map((c) => `c:${c.id}`),
  }));

const FOLDS = 5;

/**
 * One variant end to end. A projection fitted on a tweet makes that tweet's `sentence` better
 * than it will be on a new text, so a reranker fitted on those signals would trust `sentence`
 * too much: the training rows the reranker sees have their `sentence` from a projection
 * fitted on the other four folds (out of fold). Cross-validation: the reranker fitted on four
 * folds' out-of-fold rows ranks the fifth's. Dev (or devtest): the projection fitted on every
 * training tweet, the reranker on every out-of-fold training row.
 */
function run(v: Variant, train: Query[], others: Query[][], vectors: Map<string, Float64Array>) {
  const outOfFold: QueryRows[] = new Array<QueryRows>(train.length);
  for (let f = 0; f < FOLDS; f++) {
    const proj = v.kind === 'identity' ? null : fitProjection(v, examplesOf(train.filter((_, i) => i % FOLDS !== f)), vectors);
    const held = train.map((q, i) => [q, i] as const).filter(([, i]) => i % FOLDS === f);
    withProjection(
      held.map(([q]) => q),
      proj,
      vectors,
    ).forEach((rows, j) => (outOfFold[held[j][1]] = rows));
  }
  // The score fitted on texts that all repeat a claim (no-claim weight 0), as when these figures
  // were first measured (bench/MATCHING.md): only the ranking is compared here.
  const cvRanked: Ranked[] = [];
  for (let f = 0; f < FOLDS; f++) {
    const fit = fitWeights(outOfFold.filter((_, i) => i % FOLDS !== f), 0);
    const held = outOfFold.filter((_, i) => i % FOLDS === f);
    cvRanked.push(...ranked(held, fit));
  }
  const proj = fitProjection(v, examplesOf(train), vectors, true);
  const fit = fitWeights(outOfFold, 0);
  const results = others.map((other) => {
    const rows = withProjection(other, proj, vectors);
    return { ...rankingFigures(ranked(rows, fit)), sentence: sentenceOnly(rows) };
  });
  return { cv: { ...rankingFigures(cvRanked), sentence: sentenceOnly(outOfFold) }, results, proj, fit };
}

const VARIANTS: Variant[] = [
  { name: 'identity (baseline)', kind: 'identity', lambda: 0, epochs: 0, lr: 0 },
  ...[0, 0.0001, 0.001, 0.01, 0.1].map((lambda): Variant => ({ name: `diagonal λ=${lambda}`, kind: 'diagonal', lambda, epochs: 20, lr: 0.01 })),
  ...[0.001, 0.01, 0.1].map((lambda): Variant => ({ name: `lowrank r=32 λ=${lambda}`, kind: 'lowrank', rank: 32, lambda, epochs: 6, lr: 0.002 })),
];

const f3 = (v: number) => v.toFixed(3);

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rows: { type: 'string', default: '/tmp/proj-rows.json' },
      inputs: { type: 'string', default: '/tmp/proj-inputs.json' },
      only: { type: 'string' },
      final: { type: 'string' },
      save: { type: 'string' },
    },
  });
  if (positionals[0] === 'collect') return collect(values.inputs);
  if (positionals[0] === 'gradcheck') return gradientCheck();
  const saved = JSON.parse(readFileSync(values.rows, 'utf8')) as Record<'train' | 'dev', SavedRows>;
  const inputs = JSON.parse(readFileSync(values.inputs, 'utf8')) as Inputs;
  const vectors = new Map<string, Float64Array>();
  for (const [id, b64] of Object.entries(inputs.claims)) vectors.set(`c:${id}`, unit(vectorFromBase64(b64)));
  for (const [k, b64] of Object.entries(inputs.tweets)) vectors.set(`q:${k}`, unit(vectorFromBase64(b64)));
  const queriesOf = (split: Split, rows: SavedRows): Query[] => {
    refuseStaleRows(rows, values.rows);
    if (rows.length !== loadQueries(split).length) throw new Error(`${split}: ${rows.length} rows for ${loadQueries(split).length} tweets`);
    return rows.map((q, i) => ({ tweet: `q:${split}:${i}`, rows: { gold: new Set(q.gold), candidates: q.candidates } }));
  };
  const train = queriesOf('train', saved.train);
  const dev = queriesOf('dev', saved.dev);
  // The identity must give back the signal the API computed.
  let differ = 0;
  let total = 0;
  withProjection([...train, ...dev], null, vectors).forEach((q, i) => {
    const before = [...train, ...dev][i].rows.candidates;
    q.candidates.forEach((c, j) => {
      total++;
      if (Math.abs(c.signals.sentence - before[j].signals.sentence) > 1e-9) differ++;
    });
  });
  console.log(`identity check: ${differ} of ${total} candidates' sentence differ from the API's`);

  const only = values.only?.split(',');
  const variants = only ? VARIANTS.filter((v) => only.some((o) => v.name === o || (o.endsWith('*') && v.name.startsWith(o.slice(0, -1))))) : VARIANTS;
  if (values.final) {
    const chosen = VARIANTS.find((v) => v.name === values.final);
    if (!chosen) throw new Error(`no variant ${values.final}`);
    const devtest = queriesOf('devtest', inputs.devtest);
    console.log('| variant | devtest MAP@5 | devtest P@1 | devtest sentence-only MAP@5 |\n|---|--:|--:|--:|');
    for (const v of [VARIANTS[0], chosen]) {
      const [r] = run(v, train, [devtest], vectors).results;
      console.log(`| ${v.name} | ${f3(r.map5)} | ${f3(r.p1)} | ${f3(r.sentence)} |`);
    }
    return;
  }
  console.log('| variant | train CV MAP@5 | train CV P@1 | CV sentence-only MAP@5 | dev MAP@5 | dev P@1 | dev sentence-only MAP@5 |\n|---|--:|--:|--:|--:|--:|--:|');
  for (const v of variants) {
    const started = performance.now();
    const { cv, results, proj, fit } = run(v, train, [dev], vectors);
    const [d] = results;
    if (values.save && proj) writeFileSync(`${values.save}-${v.kind}-${v.lambda}.json`, JSON.stringify({ params: Array.from(proj.params), fit }));
    console.log(
      `| ${v.name} | ${f3(cv.map5)} | ${f3(cv.p1)} | ${f3(cv.sentence)} | ${f3(d.map5)} | ${f3(d.p1)} | ${f3(d.sentence)} |  (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
