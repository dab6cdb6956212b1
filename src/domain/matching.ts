/**
 * Claim matching: "has this been claimed or checked before?" — the text side.
 *
 * Neither HTTP nor SQL lives here. The database finds candidates from its term index
 * (English stems weighted BM25-style, collection statistics kept by triggers) and hands
 * back each candidate's stems with their positions and document frequencies; this module
 * cleans the query, turns each (query, candidate) pair into signals and combines them into
 * one calibrated probability.
 *
 * The signals (all computed on PostgreSQL's English stems, so "costs" meets "cost"):
 *   text      BM25 of the query against the claim's text (k1 1.2, b 0.75, idf from the collection);
 *   context   BM25 against the claim's text and its context (the titles and the opening lines of
 *             the sources the claim is attributed to: a fact-check's headline and lede often word
 *             the claim differently);
 *   relative  `context` over the best `context` among the candidates (at least COMPETITION_FLOOR's):
 *             how clearly this one leads;
 *   coverage  the share of the claim's own information (idf-weighted stems) found in the query:
 *             a tweet that quotes the claim among other words covers it fully, whatever its length;
 *   phrases   the share of the claim's adjacent stem pairs found adjacent in the query;
 *   numbers   agreement of the quantities both mention: 1 they agree (one may give only part of
 *             the other's), −1 each gives one the other contradicts, 0 when they share no kind
 *             of quantity (see domain/numbers.ts);
 *   meaning   the cosine of the query's and the claim's (with its context) mean word vectors
 *             (domain/word-vectors.ts), each word weighted by how rare it is in English: words
 *             that differ but mean much the same ("jab", "vaccine") count a little;
 *   meaning_lead  `meaning` minus the best other candidate's (at least COMPETITION_FLOOR's);
 *   sentence  the cosine of the query's and the claim's sentence vectors (domain/sentence-vectors.ts,
 *             the Universal Sentence Encoder): close when both say the same thing, in whatever words;
 *             the strongest signal, as the tweets that repeat a claim often share few of its words;
 *   sentence_lead  `sentence` minus the best other candidate's (at least COMPETITION_FLOOR's);
 *   time      how soon after the text was published (as the caller says, or as its signature's date
 *             does) a source the claim is attributed to or a review of it was (`timeProximity`):
 *             a claim is said, reported and checked within days of the texts that repeat it while
 *             it circulates. 0 when either has no date.
 *
 *   rank = w · signals                       (fitted on the CheckThat! 2022 2A training tweets)
 *   score = σ(a + u·(1 − max time) + b·rank + c·lead)
 *                                            lead = rank minus the best other candidate's rank
 *
 * Both stages are logistic regressions fitted by `npm run calibrate:match` (bench/calibrate.ts)
 * on the training split only: each training tweet against its candidates, labelled by whether
 * the candidate is the claim the tweet repeats; the score also on every training tweet with its
 * claim taken out of its candidates, counting a quarter each, because a text that repeats no
 * claim the collection holds still has a best candidate. So `score` is an estimate of the
 * probability that the candidate asserts what the text asserts, for texts of which about one in
 * five repeats none, and DEFAULT_MIN_SCORE = 0.5 is "more likely than not". A contradicted quantity then caps the score (QUANTITY_MISMATCH_CAP): the
 * training tweets rarely differ from their claim in a number alone, so the fitted weight
 * cannot be trusted to say what every reader knows, that a claim about 47 % is not the
 * claim about 70 %.
 */
import { MONTH_INDEX } from './calendar.js';
import { compareQuantities, readQuantities, type Quantity } from './numbers.js';
import { DIMENSIONS, wordVectors } from './word-vectors.js';

export interface MatchWeights {
  text: number;
  context: number;
  relative: number;
  coverage: number;
  phrases: number;
  numbers: number;
  meaning: number;
  meaning_lead: number;
  sentence: number;
  sentence_lead: number;
  time: number;
}

export interface CompetitionFloor {
  /** The least best `context` a candidate's `relative` is taken against. */
  context: number;
  /** The least best other `meaning` a candidate's `meaning_lead` is taken against. */
  meaning: number;
  /** The least best other `sentence` a candidate's `sentence_lead` is taken against. */
  sentence: number;
  /** The least best other rank a candidate's lead is taken against. */
  rank: number;
}

export interface ScoreCalibration {
  bias: number;
  /** Added in full when no candidate has `time` (the text has no time, or none was published near it), less the nearer the nearest was: × (1 − the highest `time`). */
  undated: number;
  rank: number;
  lead: number;
}

/** Fitted by bench/calibrate.ts on the training split; see bench/MATCHING.md. */
export const MATCH_WEIGHTS: Readonly<MatchWeights> = {
  text: 0.027,
  context: 0.079,
  relative: 8.914,
  coverage: -0.226,
  phrases: -1.489,
  numbers: 0.908,
  meaning: -0.983,
  meaning_lead: 5.03,
  sentence: 0.071,
  sentence_lead: 11.08,
  time: 2.662,
};
export const SCORE_CALIBRATION: Readonly<ScoreCalibration> = { bias: -6.761, undated: 0.582, rank: 0.553, lead: 0.427 };
/**
 * What a training tweet with its claim taken out of its candidates counted when SCORE_CALIBRATION
 * was fitted, against 1 for the tweet as it is: a prior of one text in five that repeats no claim.
 * Of the weights tried (0.1, 0.25, 0.5, 1), the highest that keeps the development tweets'
 * precision ≥ 0.9 and recall ≥ 0.85 at DEFAULT_MIN_SCORE; it halves the texts with no claim that
 * still get one at that score (bench/MATCHING.md).
 */
export const NO_CLAIM_WEIGHT = 0.25;
/**
 * The least a candidate is measured against: `relative`, `meaning_lead` and the score's lead
 * compare a candidate with the best other, but never with less than what the best other scored
 * for 99 % of the training tweets (each with 100 candidates, bench/calibrate.ts), 90 % for the
 * rank (see RANK_FLOOR_SHARE there). A text that
 * shares a word or two with a lone claim of a small collection otherwise leads by the whole of
 * that claim's signals, as if that were evidence (bench/MATCHING.md).
 */
export const COMPETITION_FLOOR: Readonly<CompetitionFloor> = { context: 11.787, meaning: 0.612, sentence: 0.362, rank: 1.841 };
export const DEFAULT_MIN_SCORE = 0.5;
/** The highest score a claim whose quantities the text contradicts can reach. */
export const QUANTITY_MISMATCH_CAP = 0.2;

const K1 = 1.2;
const B = 0.75;

/**
 * A text as it reaches matching from social media, made plain: the trailing
 * "— Name (@handle) Month D, YYYY" signature of an embedded tweet, links and
 * pic.twitter.com references dropped; #HashTags and @handles split into their words
 * ("#AustralianFires" → "Australian Fires": names and topics are often only there);
 * emoji and HTML-escaped ampersands gone.
 */
export function cleanQueryText(text: string): string {
  return text
    .replace(SIGNATURE, ' ')
    .replace(/pic\.twitter\.com\/\S+/gi, ' ')
    .replace(/(?:https?:\/\/|www\.)\S+/gi, ' ')
    .replace(/[#@](\w+)/g, (_, word: string) => ` ${splitCompound(word)} `)
    .replace(/\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u200d|\ufe0f/gu, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** An embedded tweet's trailing "— Name (@handle) Month D, YYYY". */
const SIGNATURE = /\s*[—–]\s*([^—–\n]{0,100}?)\(@(\w+)\)\s+([A-Z][a-z]+)\.? (\d{1,2}), (\d{4})\s*$/u;

/**
 * When a text that ends with an embedded tweet's signature was posted: the signature's date,
 * at midnight UTC (a signature gives no time of day). Undefined without a signature, or when
 * its date is not a real one.
 */
export function signatureDate(text: string): Date | undefined {
  const m = SIGNATURE.exec(text);
  const month = m ? MONTH_INDEX[m[3].toLowerCase()] : undefined;
  if (!m || month === undefined) return undefined;
  const [day, year] = [Number(m[4]), Number(m[5])];
  if (year < 1900) return undefined; // Date.UTC would read 0099 as 1999
  const date = new Date(Date.UTC(year, month, day));
  return date.getUTCDate() === day ? date : undefined;
}

/** A source published up to this many days before the text counts as published with it (time zones, a text dated late). */
export const TIME_BEFORE_DAYS = 3;
/** Days after the text over which a source's proximity falls by a factor e. */
const TIME_DECAY_DAYS = 30;

/**
 * The `time` signal from the days between the text and the dated record of the claim nearest
 * after it: a source it is attributed to or a review of it (`days`, negative for one published
 * before; undefined when either has no date). 1 for one published up to TIME_BEFORE_DAYS before
 * the text, falling by e every TIME_DECAY_DAYS after it, 0 for those published earlier. A claim
 * said and checked long before the text gets nothing here; when another candidate was published
 * near the text, that one gains and the rest score lower. On the CheckThat! training tweets, 83 %
 * of the claims they repeat were checked from 3 days before to 30 days after the tweet, against
 * 9 % of the other top-five candidates; that benchmark's tweets are those its fact-checks embed,
 * so it rewards time more than everyday use will (bench/MATCHING.md).
 */
export function timeProximity(days: number | undefined): number {
  if (days === undefined || days < -TIME_BEFORE_DAYS) return 0;
  return round4(Math.exp(-Math.max(0, days) / TIME_DECAY_DAYS));
}

/**
 * The words of a tweet's signature that say something about what it repeats, for the word
 * signals only (never as quantities): who posted it, often the claimant ("Donald J. Trump
 * realDonaldTrump"), and the month and year, often those the claim names ("a photograph
 * published in December 2019"). Measured on the CheckThat! training tweets: BM25 with them
 * ranks the right claim better than without (bench/MATCHING.md).
 */
export function signatureWords(text: string): string {
  const m = SIGNATURE.exec(text);
  return m ? `${m[1].replace(/[#@](\w+)/g, (_, word: string) => splitCompound(word)).trim()} ${splitCompound(m[2])} ${m[3]} ${m[5]}` : '';
}

/** "AustralianFires" → "Australian Fires", "COVID19Vaccine" → "COVID 19 Vaccine", "joe_biden" → "joe biden". */
function splitCompound(word: string): string {
  return word
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([A-Za-z])(\d)/g, '$1 $2')
    .replace(/(\d)([A-Za-z])/g, '$1 $2')
    .replace(/_/g, ' ');
}

/** Stems with their positions, as PostgreSQL's `tsvector` has them. */
export type Stems = Map<string, number[]>;

/** Parses the text form of a tsvector: `'cost':3 'tunnel':2,5`. */
export function parseTsvector(text: string): Stems {
  const stems: Stems = new Map();
  for (const m of text.matchAll(/'((?:[^']|'')+)'(?::([0-9A-D,]+))?/g)) {
    const positions = (m[2] ?? '')
      .split(',')
      .filter(Boolean)
      .map((p) => parseInt(p, 10));
    stems.set(m[1].replace(/''/g, "'"), positions);
  }
  return stems;
}

/**
 * Stems of numbers and their units ("70", "2.4", "seventi", "billion", "percent", "dollar"): left out of the word
 * signals, so that "seventy percent" and "70 %" weigh the same there; quantities are
 * compared by the numbers signal, which reads them whatever their spelling.
 */
const NUMBER_STEMS = new Set(
  'zero one two three four five six seven eight nine ten eleven twelv thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenti thirti forti fifti sixti seventi eighti nineti hundr thousand million billion trillion dozen half percent per cent bn mn k m dollar euro pound yen yuan franc rupe krona kronor krone kroner usd eur gbp sek'.split(
    ' ',
  ),
);
/** A year is a word here, as the numbers signal does not read it: "in 2019" names a time, not an amount. */
export const isNumberStem = (stem: string) => NUMBER_STEMS.has(stem) || (/^[$€£¥]?\d[\d.,]*[a-z]{0,3}$/.test(stem) && !/^(?:19|20)\d\d$/.test(stem));

/** The stems the word signals compare: number stems out. */
export function wordStems(stems: Stems): Stems {
  const out: Stems = new Map();
  for (const [stem, positions] of stems) if (!isNumberStem(stem)) out.set(stem, positions);
  return out;
}

/** What the collection says about stems: how many claims, how long on average, how many contain each stem. */
export interface Collection {
  claims: number;
  averageLength: number;
  df(stem: string): number;
}

export const idf = (collection: Collection, stem: string) => {
  const df = collection.df(stem);
  return Math.log(1 + (collection.claims - df + 0.5) / (df + 0.5));
};

const tf = (positions: number[]) => Math.max(positions.length, 1);

function bm25(query: Stems, doc: Stems, docLength: number, collection: Collection): number {
  let score = 0;
  for (const stem of query.keys()) {
    const positions = doc.get(stem);
    if (!positions) continue;
    const f = tf(positions);
    score += (idf(collection, stem) * f * (K1 + 1)) / (f + K1 * (1 - B + (B * docLength) / Math.max(collection.averageLength, 1)));
  }
  return score;
}

const lengthOf = (stems: Stems) => {
  let n = 0;
  for (const p of stems.values()) n += tf(p);
  return n;
};

/** Adjacent stem pairs in text order (stop words, which the parser drops, do not break a pair). */
function phrases(stems: Stems): Set<string> {
  const byPosition: [number, string][] = [];
  for (const [stem, positions] of stems) for (const p of positions) byPosition.push([p, stem]);
  byPosition.sort((a, b) => a[0] - b[0]);
  const out = new Set<string>();
  for (let i = 1; i < byPosition.length; i++) out.add(`${byPosition[i - 1][1]} ${byPosition[i][1]}`);
  return out;
}

export type MatchSignals = MatchWeights;

/** What is computed once per query and reused for every candidate. */
export interface PreparedQuery {
  stems: Stems;
  phrases: Set<string>;
  quantities: Quantity[];
  meaning: Float64Array;
}

/** `searchedText` is the cleaned text with its signature's words; quantities are read from the cleaned text only. */
export function prepareQuery(cleanedText: string, searchedText: string, stems: Stems): PreparedQuery {
  const words = wordStems(stems);
  return { stems: words, phrases: phrases(words), quantities: readQuantities(cleanedText), meaning: meanVector(searchedText) };
}

export interface Candidate {
  text: string;
  stems: Stems;
  /** Stems of the claim's context (its sources' titles and opening lines); empty when it has none. */
  context: Stems;
  /** The context as text. */
  contextText: string;
  /** The cosine of the query's and the claim's sentence vectors (domain/sentence-vectors.ts). */
  sentence: number;
  /** Days from the text to the claim's source or review published nearest after it (see timeProximity); undefined when either has no date. */
  days?: number;
}

/** The estimated share of running English text that the word of frequency rank `r` makes (Zipf's law). */
const zipf = (r: number) => 1 / ((r + 1) * Math.log(1.78 * 100_000));
/** Smooth inverse frequency: common words count for little, rare ones fully (Arora et al., 2017). */
const SIF = 1e-4;

/** Lower-cased words, digits out (quantities are the numbers signal's), a trailing 's dropped. */
function meaningWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’]\p{L}+)?/gu) ?? []).filter((w) => !/^\d/.test(w)).map((w) => w.replace(/['’]s$/, ''));
}

/** The rarity-weighted sum of a text's word vectors (words without a vector add nothing). */
export function meanVector(text: string): Float64Array {
  const vectors = wordVectors();
  const sum = new Float64Array(DIMENSIONS);
  for (const word of meaningWords(text)) {
    const v = vectors.vector(word);
    if (!v) continue;
    const k = SIF / (SIF + zipf(vectors.rank(word)!));
    for (let d = 0; d < DIMENSIONS; d++) sum[d] += k * v[d];
  }
  return sum;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let d = 0; d < a.length; d++) {
    dot += a[d] * b[d];
    aa += a[d] * a[d];
    bb += b[d] * b[d];
  }
  return aa && bb ? dot / Math.sqrt(aa * bb) : 0;
}

const round4 = (v: number) => Math.round(v * 10_000) / 10_000;

/** The cosine of two vectors to 4 decimals, as signals report it. */
export const similarity = (a: ArrayLike<number>, b: ArrayLike<number>) => round4(cosine(a, b));

/** The signals of each candidate; `relative` needs them all, so they are computed together. */
export function matchSignals(query: PreparedQuery, candidates: Candidate[], collection: Collection): MatchSignals[] {
  const signals = candidates.map((candidate) => {
    const c = { text: candidate.text, stems: wordStems(candidate.stems), context: wordStems(candidate.context) };
    const combined: Stems = new Map(c.stems);
    for (const [stem, positions] of c.context) combined.set(stem, [...(combined.get(stem) ?? []), ...(positions.length ? positions : [0])]);
    let covered = 0;
    let information = 0;
    for (const stem of c.stems.keys()) {
      const w = idf(collection, stem);
      information += w;
      if (query.stems.has(stem)) covered += w;
    }
    const own = phrases(c.stems);
    let shared = 0;
    for (const p of own) if (query.phrases.has(p)) shared++;
    return {
      text: bm25(query.stems, c.stems, lengthOf(c.stems), collection),
      context: bm25(query.stems, combined, lengthOf(combined), collection),
      relative: 0,
      coverage: information ? covered / information : 0,
      phrases: own.size ? shared / own.size : 0,
      numbers: compareQuantities(query.quantities, readQuantities(c.text)),
      meaning: similarity(query.meaning, meanVector(`${candidate.text} ${candidate.contextText}`)),
      meaning_lead: 0,
      sentence: candidate.sentence,
      sentence_lead: 0,
      time: timeProximity(candidate.days),
    };
  });
  return withCompetition(signals);
}

/** The floors of the signals that compare a candidate with the others. */
export type SignalFloor = Pick<CompetitionFloor, 'context' | 'meaning' | 'sentence'>;

/**
 * Sets the signals that compare a candidate with the others (`relative`, `meaning_lead`,
 * `sentence_lead`) from those that do not; the fitting script uses it to score a text's
 * candidates without its gold claim.
 */
export function withCompetition(signals: MatchSignals[], floor: Readonly<SignalFloor> = COMPETITION_FLOOR): MatchSignals[] {
  const best = Math.max(floor.context, ...signals.map((s) => s.context));
  const meaningLeads = leadsOf(
    signals.map((s) => s.meaning),
    floor.meaning,
  );
  const sentenceLeads = leadsOf(
    signals.map((s) => s.sentence),
    floor.sentence,
  );
  return signals.map((s, i) => ({
    ...s,
    relative: best > 0 ? s.context / best : 0,
    meaning_lead: meaningLeads[i],
    sentence_lead: round4(sentenceLeads[i]),
  }));
}



export function rankOf(s: MatchSignals, w: Readonly<MatchWeights> = MATCH_WEIGHTS): number {
  return (
    w.text * s.text +
    w.context * s.context +
    w.relative * s.relative +
    w.coverage * s.coverage +
    w.phrases * s.phrases +
    w.numbers * s.numbers +
    w.meaning * s.meaning +
    w.meaning_lead * s.meaning_lead +
    w.sentence * s.sentence +
    w.sentence_lead * s.sentence_lead +
    w.time * s.time
  );
}

/**
 * Calibrated scores in [0, 1] (4 decimals) for a query's candidates, from their ranks: the
 * lead over the best other candidate counts, as a claim far ahead of every other is more
 * likely the one than a claim among several alike. When no candidate has `time` (the text has
 * no time, or none of its candidates was published near it), the right claim ranks lower by
 * what time would have added, and the score makes up for it (`undated`), in proportion as the
 * nearest candidate was far: a date no claim was published near scores as no date, and a
 * candidate published months later moves the scores by as little as its `time`.
 */
export function matchScores(
  signals: MatchSignals[],
  weights: Readonly<MatchWeights> = MATCH_WEIGHTS,
  calibration: Readonly<ScoreCalibration> = SCORE_CALIBRATION,
  rankFloor = COMPETITION_FLOOR.rank,
): number[] {
  const ranks = signals.map((s) => rankOf(s, weights));
  const leads = leadsOf(ranks, rankFloor, competing(signals));
  const bias = calibration.bias + calibration.undated * undatedShare(signals);
  return ranks.map((r, i) => {
    const p = 1 / (1 + Math.exp(-(bias + calibration.rank * r + calibration.lead * leads[i])));
    const capped = signals[i].numbers < 0 ? Math.min(p, QUANTITY_MISMATCH_CAP) : p;
    return Math.round(capped * 10_000) / 10_000;
  });
}

/** How far the text is from having a time some candidate was published near: 1 − the highest `time`. */
export const undatedShare = (signals: MatchSignals[]) => 1 - Math.max(0, ...signals.map((s) => s.time));

/**
 * Whether each candidate competes for the score's lead: one whose quantities the text
 * contradicts ("3 billion" for a text that says "2.4 billion") cannot be the claim it repeats,
 * so the claim it differs from only in that number is not scored as one among several alike.
 * The signals that compare candidates (`relative`, the meaning and sentence leads) still count
 * it: excluded there too, the ranking on the training tweets lost 4 to 8 of 997, and either
 * alone lost at most one (bench/MATCHING.md).
 */
export const competing = (signals: readonly MatchSignals[]): boolean[] => signals.map((s) => s.numbers >= 0);

/**
 * Each value minus the best of the others (the first's lead is positive, everyone else's
 * negative); the best other counts as at least `floor` (0 by default: the rank of a claim with
 * nothing in common), so a candidate without rivals is not far ahead of them for that alone.
 * With `competes`, a competing value is measured against the competing others only.
 */
export function leadsOf(ranks: number[], floor = 0, competes?: readonly boolean[]): number[] {
  const all = bestTwo(ranks, floor);
  const rivals = competes ? bestTwo(ranks.filter((_, i) => competes[i]), floor) : all;
  return ranks.map((r, i) => {
    const { first, second } = competes?.[i] ? rivals : all;
    return r - (r === first ? second : first);
  });
}

function bestTwo(values: number[], floor: number): { first: number; second: number } {
  let first = floor;
  let second = floor;
  for (const r of values) {
    if (r > first) [first, second] = [r, first];
    else if (r > second) second = r;
  }
  return { first, second };
}
