/** Ranking and calibration measures for claim matching, shared by the evaluation and the fitting script. */

export interface Ranked {
  /** Gold claim ids of the query. */
  gold: Set<string>;
  /** Returned ids with scores, best first. */
  results: { id: string; score: number }[];
}

/** Average precision over the top `k`, divided by min(|gold|, k), as the CheckThat! scorer does. */
export function averagePrecision(r: Ranked, k = 5): number {
  let hits = 0;
  let sum = 0;
  r.results.slice(0, k).forEach((x, i) => {
    if (r.gold.has(x.id)) {
      hits++;
      sum += hits / (i + 1);
    }
  });
  return sum / Math.min(r.gold.size, k);
}

export interface RankingFigures {
  queries: number;
  map5: number;
  p1: number;
  recall5: number;
}

export function rankingFigures(all: Ranked[]): RankingFigures {
  const n = all.length;
  const mean = (f: (r: Ranked) => number) => all.reduce((s, r) => s + f(r), 0) / Math.max(n, 1);
  return {
    queries: n,
    map5: mean((r) => averagePrecision(r, 5)),
    p1: mean((r) => (r.results[0] && r.gold.has(r.results[0].id) ? 1 : 0)),
    recall5: mean((r) => r.results.slice(0, 5).filter((x) => r.gold.has(x.id)).length / r.gold.size),
  };
}

export interface ThresholdFigures {
  threshold: number;
  precision: number;
  recall: number;
  returned: number;
}

/**
 * Each query's gold claims are the positives (found or not), the rest of its top 5 the
 * negatives: precision of what scores at least `threshold`, recall over every gold claim.
 */
export function atThreshold(all: Ranked[], threshold: number): ThresholdFigures {
  let tp = 0;
  let returned = 0;
  let positives = 0;
  for (const r of all) {
    positives += r.gold.size;
    for (const x of r.results.slice(0, 5)) {
      if (x.score < threshold) continue;
      returned++;
      if (r.gold.has(x.id)) tp++;
    }
  }
  return { threshold, precision: returned ? tp / returned : 1, recall: tp / Math.max(positives, 1), returned };
}

export interface ReliabilityBin {
  from: number;
  to: number;
  count: number;
  meanScore: number;
  observed: number;
}

/**
 * Scores of every top-5 result against how often such a result is a gold claim. Each set of
 * texts counts with its weight: texts with no claim to find beside those with one, say, in the
 * proportion the score assumes (NO_CLAIM_WEIGHT); `count` is then a weighted count.
 */
export function reliability(all: Ranked[] | [Ranked[], number][], edges = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001]): ReliabilityBin[] {
  const sets: [Ranked[], number][] = Array.isArray(all[0]) ? (all as [Ranked[], number][]) : [[all as Ranked[], 1]];
  const bins = edges.slice(0, -1).map((from, i) => ({ from, to: Math.min(edges[i + 1], 1), count: 0, sum: 0, hits: 0 }));
  for (const [texts, weight] of sets) {
    for (const r of texts) {
      for (const x of r.results.slice(0, 5)) {
        const b = bins.find((bin, i) => x.score >= bin.from && x.score < edges[i + 1]);
        if (!b) continue;
        b.count += weight;
        b.sum += weight * x.score;
        if (r.gold.has(x.id)) b.hits += weight;
      }
    }
  }
  return bins.map((b) => ({ from: b.from, to: b.to, count: b.count, meanScore: b.count ? b.sum / b.count : NaN, observed: b.count ? b.hits / b.count : NaN }));
}

/**
 * The calibration error on the mix the score assumes: texts that repeat a claim, and beside them
 * texts with no claim to find, each counting `noClaimWeight`.
 */
export function mixedCalibrationError(withClaim: Ranked[], noClaim: Ranked[], noClaimWeight: number): number {
  return calibrationError(
    reliability([
      [withClaim, 1],
      [noClaim, noClaimWeight],
    ]),
  );
}

/** Expected calibration error: the count-weighted gap between mean score and observed rate. */
export function calibrationError(bins: ReliabilityBin[]): number {
  const total = bins.reduce((s, b) => s + b.count, 0);
  return bins.reduce((s, b) => s + (b.count ? (b.count / total) * Math.abs(b.meanScore - b.observed) : 0), 0);
}

export function reliabilityTable(bins: ReliabilityBin[]): string {
  const lines = ['| score | results | mean score | share that is the gold claim |', '|---|--:|--:|--:|'];
  for (const b of bins) {
    lines.push(`| ${b.from.toFixed(1)}–${b.to.toFixed(1)} | ${b.count} | ${b.count ? b.meanScore.toFixed(3) : '–'} | ${b.count ? b.observed.toFixed(3) : '–'} |`);
  }
  return lines.join('\n');
}

/**
 * The share of texts with no claim to find (`Ranked` with an empty gold set, such as a
 * benchmark text with its gold claims taken out) whose best result scores at least `threshold`:
 * the false-positive rate on texts that repeat nothing the collection holds.
 */
export function noMatchRate(all: Ranked[], threshold: number): number {
  return all.filter((r) => (r.results[0]?.score ?? 0) >= threshold).length / Math.max(all.length, 1);
}
