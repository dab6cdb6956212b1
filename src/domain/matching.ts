/**
 * Claim matching: "has this been claimed or checked before?" — the text side.
 *
 * Neither HTTP nor SQL lives here. The database finds candidates with its indexes
 * (full-text lexemes, trigrams); this module turns a query and a candidate into
 * three signals and combines them into one calibrated score:
 *
 *   trigram  – pg_trgm's similarity (shared / all distinct trigrams) of the two texts
 *              after normalising them: accents and case folded, punctuation dropped,
 *              English stop words removed, numbers written as words turned into digits.
 *              Robust to word order, small spelling differences and inflections.
 *   lexical  – Dice overlap of the English stems PostgreSQL indexes (the claim's
 *              `search` tsvector and `to_tsvector('english', query)`), number stems
 *              left out. Robust to inflection ("costs"/"cost") and stop words.
 *   numbers  – agreement of the quantities both texts mention, after normalising
 *              "240" / "two hundred forty" / "2.4 billion" / "2,400,000,000": +1 when
 *              they are the same set, −1 when they share none; 0 when either has none.
 *              A claim about 3 billion is not the claim about 2.4 billion.
 *
 *   score = σ(b + w_t·trigram + w_l·lexical + w_n·numbers),  σ(x) = 1 / (1 + e^−x)
 *
 * The weights are a logistic regression fitted on the labelled rewordings in
 * test/fixtures/matching (`npx tsx bench/calibrate.ts` refits them and reports
 * precision@1): for each rewording, its ten best candidates from the database
 * (among them the claim it rewords, near-miss distractors and generated claims),
 * labelled same / not the same, positives and negatives weighted equally. So a
 * score reads as the probability that the two texts assert the same thing at even
 * prior odds, and `DEFAULT_MIN_SCORE` = 0.5 is the "more likely than not" line.
 * For scale: identical texts score σ(−8.5 + 8.3 + 5.5 + 1.9) ≈ 1.00; texts sharing
 * 60 % of their trigrams and 70 % of their stems 0.58 without numbers, 0.90 with the
 * same numbers and 0.17 with different ones; at 50 % and 60 %, 0.26 / 0.70 / 0.05.
 */

export interface MatchWeights {
  bias: number;
  trigram: number;
  lexical: number;
  numbers: number;
}

export const MATCH_WEIGHTS: Readonly<MatchWeights> = { bias: -8.5, trigram: 8.3, lexical: 5.5, numbers: 1.9 };
export const DEFAULT_MIN_SCORE = 0.5;

/** PostgreSQL's English stop words (snowball `english.stop`), so both sides drop the same words. */
const STOP_WORDS = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself they them ' +
    'their theirs themselves what which who whom this that these those am is are was were be been being have has had having do does did doing ' +
    'a an the and but if or because as until while of at by for with about against between into through during before after above below to ' +
    'from up down in out on off over under again further then once here there when where why how all any both each few more most other some ' +
    'such no nor not only own same so than too very s t can will just don should now'
  ).split(' '),
);

const UNITS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
};
const TENS: Record<string, number> = { twenty: 20, thirty: 30, forty: 40, fourty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 };
const SCALES: Record<string, number> = {
  thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12,
  k: 1e3, m: 1e6, mn: 1e6, mln: 1e6, bn: 1e9, b: 1e9, tn: 1e12,
};
const SYMBOLS: Record<string, string> = { '%': 'percent', '€': 'euro', $: 'dollar', '£': 'pound', '¥': 'yen' };
/** Currency words in one form, so "€4" and "4 euros" share them. */
const CANONICAL_WORDS: Record<string, string> = { euros: 'euro', dollars: 'dollar', pounds: 'pound', kronor: 'krona' };
const SPECIAL_LETTERS: Record<string, string> = { ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', đ: 'd', ł: 'l', þ: 'th', ð: 'd', ı: 'i' };

/**
 * English stems of number words and units (as `to_tsvector('english', …)` makes them):
 * left out of the lexical signal, because the numbers signal compares quantities.
 */
const NUMBER_STEMS = new Set(
  'zero one two three four five six seven eight nine ten eleven twelv thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenti thirti forti fifti sixti seventi eighti nineti hundr thousand million billion trillion dozen half percent per cent bn mn k'.split(
    ' ',
  ),
);

/** Lower case, no accents (ä → a, ø → o), typographic punctuation made plain. */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[øæœßđłþðı]/g, (c) => SPECIAL_LETTERS[c] ?? c)
    .replace(/[\u2018\u2019\u201A\u2032]/g, "'")
    .replace(/[\u2010-\u2015\u2212]/g, '-');
}

/** A quantity as a canonical string: 240, 2400000000, 2.4. */
function canonicalNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 0 });
  return String(Number(value.toPrecision(6)));
}

/** "12,000" → 12000, "2.4" → 2.4, "1,5" → 1.5, "1.234.567" → 1234567. */
function parseDigits(raw: string): number {
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(raw)) return Number(raw.replace(/,/g, ''));
  if (/^\d{1,3}(\.\d{3}){2,}$/.test(raw)) return Number(raw.replace(/\./g, ''));
  if (/^\d+,\d{1,2}$/.test(raw)) return Number(raw.replace(',', '.'));
  return Number(raw.replace(/,/g, ''));
}

interface Token {
  kind: 'word' | 'number';
  text: string;
  value?: number;
}

function tokenize(folded: string): Token[] {
  const out: Token[] = [];
  const re = /(\d+(?:[.,]\d+)*)|([a-z]+(?:'[a-z]+)*)|([%€$£¥])/g;
  for (let m = re.exec(folded); m; m = re.exec(folded)) {
    if (m[1]) out.push({ kind: 'number', text: m[1], value: parseDigits(m[1]) });
    else if (m[2]) out.push({ kind: 'word', text: m[2].replace(/'s$/, '').replace(/'/g, '') });
    else out.push({ kind: 'word', text: SYMBOLS[m[3]] });
  }
  return out;
}

const ABBREVIATED_SCALES = new Set(['k', 'm', 'mn', 'mln', 'bn', 'b', 'tn']);

/**
 * Folds number phrases into single number tokens: "two hundred and forty" → 240,
 * "forty-six thousand" → 46000, "2.4 billion" / "2.4bn" → 2400000000, "a million" →
 * 1000000, "half a million" → 500000; and "per cent" → "percent".
 */
function foldNumbers(tokens: Token[]): Token[] {
  const out: Token[] = [];
  const wordAt = (k: number) => (tokens[k]?.kind === 'word' ? tokens[k].text : undefined);
  const isNumberWord = (w: string | undefined) => w !== undefined && (w in UNITS || w in TENS);
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i];
    if (t.text === 'per' && wordAt(i + 1) === 'cent') {
      out.push({ kind: 'word', text: 'percent' });
      i += 2;
      continue;
    }
    // "a million", "a hundred", "a dozen", "half a million"
    if (t.kind === 'word' && (t.text === 'a' || t.text === 'half')) {
      const j = t.text === 'half' && wordAt(i + 1) === 'a' ? i + 2 : i + 1;
      const w = wordAt(j);
      const base = w === 'hundred' ? 100 : w === 'dozen' ? 12 : w && !ABBREVIATED_SCALES.has(w) ? SCALES[w] : undefined;
      if (base) {
        out.push({ kind: 'number', text: '', value: t.text === 'half' ? base / 2 : base });
        i = j + 1;
        continue;
      }
    }
    if (t.kind !== 'number' && !isNumberWord(t.text)) {
      out.push(t);
      i++;
      continue;
    }
    // A number phrase: total = Σ group × scale, scales decreasing; group = hundreds, tens, units.
    let total = 0;
    let group = 0;
    let lastScale = Infinity;
    let j = i;
    const fromDigits = t.kind === 'number';
    if (fromDigits) {
      group = t.value!;
      j++;
    }
    for (; j < tokens.length; j++) {
      const u = tokens[j];
      if (u.kind === 'number') break; // "2 3" are two numbers
      const w = u.text;
      if (!fromDigits && w in UNITS && group % 10 === 0 && (UNITS[w] < 10 || group % 100 === 0) && (group > 0 || j === i || total > 0)) {
        if (j > i && group === 0 && total === 0) break;
        group += UNITS[w];
      } else if (!fromDigits && w in TENS && group % 100 === 0) {
        group += TENS[w];
      } else if (!fromDigits && w === 'point' && j > i && (UNITS[wordAt(j + 1) ?? ''] ?? 10) < 10) {
        // "two point four": decimals are read digit by digit
        let scale = 0.1;
        while ((UNITS[wordAt(j + 1) ?? ''] ?? 10) < 10) {
          group += UNITS[wordAt(j + 1)!] * scale;
          scale /= 10;
          j++;
        }
      } else if (!fromDigits && w === 'hundred' && group > 0 && group < 100) {
        group *= 100;
      } else if (w === 'dozen' && group > 0 && group < 100) {
        group *= 12;
      } else if (SCALES[w] && group > 0 && SCALES[w] < lastScale && (!ABBREVIATED_SCALES.has(w) || (fromDigits && j === i + 1))) {
        total += group * SCALES[w];
        lastScale = SCALES[w];
        group = 0;
      } else if (w === 'and' && !fromDigits && (group > 0 || total > 0) && isNumberWord(wordAt(j + 1)) && (group % 100 === 0)) {
        continue;
      } else {
        break;
      }
    }
    out.push({ kind: 'number', text: '', value: total + group });
    i = j;
  }
  return out;
}

export interface NormalisedText {
  /** Content words and canonical numbers, in order: what trigram similarity compares. */
  key: string;
  /** Distinct quantities mentioned, canonical. */
  numbers: string[];
}

/** The matching view of a text: folded, stop words out, numbers as canonical digits. */
export function normaliseForMatching(text: string): NormalisedText {
  const tokens = foldNumbers(tokenize(foldText(text)));
  const words: string[] = [];
  const numbers = new Set<string>();
  for (const t of tokens) {
    if (t.kind === 'number') {
      const n = canonicalNumber(t.value!);
      numbers.add(n);
      words.push(n);
    } else if (!STOP_WORDS.has(t.text) && t.text !== 'percent') {
      words.push(CANONICAL_WORDS[t.text] ?? t.text);
    }
  }
  return { key: words.join(' '), numbers: [...numbers] };
}

/**
 * The lexemes PostgreSQL's English parser makes of a quantity written in digits, so a
 * full-text query can look for it whatever its form: 2400000000 → "2400000000" and
 * "2.4" (as in "2.4 billion"); 12000 → "12000" and "12" (as in "12,000", which the
 * parser splits, or "12 thousand").
 */
export function numberSpellings(numbers: readonly string[]): string[] {
  const out = new Set<string>();
  for (const n of numbers) {
    out.add(n);
    const value = Number(n);
    for (const scale of [1e12, 1e9, 1e6, 1e3]) {
      if (value >= scale) {
        out.add(String(Number((value / scale).toPrecision(4))));
        break;
      }
    }
  }
  return [...out];
}

/** pg_trgm's trigrams: each alphanumeric word padded with two spaces before and one after. */
export function trigrams(key: string): Set<string> {
  const out = new Set<string>();
  for (const word of key.split(/[^a-z0-9]+/)) {
    if (!word) continue;
    const padded = `  ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) out.add(padded.slice(i, i + 3));
  }
  return out;
}

/** pg_trgm's `similarity()`: shared trigrams over all distinct trigrams. */
export function trigramSimilarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return shared / (a.size + b.size - shared);
}

/** Stems that carry meaning for the lexical signal (numbers are compared on their own). */
export function contentLexemes(lexemes: readonly string[]): Set<string> {
  return new Set(lexemes.filter((l) => !NUMBER_STEMS.has(l) && !/^[\d.,]+[a-z]{0,3}$/.test(l)));
}

export function diceOverlap(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const x of a) if (b.has(x)) shared++;
  return (2 * shared) / (a.size + b.size);
}

/** +1 same quantities, −1 none shared, in between by Jaccard; 0 when either side has none. */
export function numberAgreement(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const bs = new Set(b);
  const shared = a.filter((n) => bs.has(n)).length;
  const jaccard = shared / (new Set([...a, ...b]).size);
  return 2 * jaccard - 1;
}

export interface MatchSignals {
  trigram: number;
  lexical: number;
  numbers: number;
}

/** What is computed once per query and reused for every candidate. */
export interface PreparedQuery {
  normalised: NormalisedText;
  trigrams: Set<string>;
  lexemes: Set<string>;
}

export function prepareQuery(text: string, lexemes: readonly string[]): PreparedQuery {
  const normalised = normaliseForMatching(text);
  return { normalised, trigrams: trigrams(normalised.key), lexemes: contentLexemes(lexemes) };
}

export function matchSignals(query: PreparedQuery, candidateText: string, candidateLexemes: readonly string[]): MatchSignals {
  const normalised = normaliseForMatching(candidateText);
  return {
    trigram: trigramSimilarity(query.trigrams, trigrams(normalised.key)),
    lexical: diceOverlap(query.lexemes, contentLexemes(candidateLexemes)),
    numbers: numberAgreement(query.normalised.numbers, normalised.numbers),
  };
}

/** The calibrated score in [0, 1], rounded to 4 decimals. */
export function matchScore(signals: MatchSignals, weights: Readonly<MatchWeights> = MATCH_WEIGHTS): number {
  const x = weights.bias + weights.trigram * signals.trigram + weights.lexical * signals.lexical + weights.numbers * signals.numbers;
  return Math.round((1 / (1 + Math.exp(-x))) * 10_000) / 10_000;
}
