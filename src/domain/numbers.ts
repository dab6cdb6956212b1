/**
 * The one reader of numbers in text, shared by claim matching, claim quantities and
 * extraction: "2.4 billion euros", "€2.4bn", "90%", "12,000 homes", "80 000", "1.234.567",
 * "a hundred thousand", "two and a half million", "a dozen", "two-thirds", "one in five",
 * "twice", ranges ("10 to 20 %", "between 5 and 7 million") and hedges ("approximately
 * 800,000", "more than 150", "nearly half"). Each quantity keeps the exact source words and
 * their offsets. Years, calendar days, ordinals and codes ("Covid-19") are not quantities.
 */

import { MONTH_INDEX } from './calendar.js';

export type Hedge = 'about' | 'more' | 'less';

export interface Quantity {
  value: number;
  /** A range's ends; both equal `value` for a single number. */
  low: number;
  high: number;
  /** "percent", "EUR", "homes", "fraction", "ratio", "times", …; null for a bare count. */
  unit: string | null;
  /** "about" (approximately, nearly, some…), "more" (more than, over, at least…), "less" (fewer than, up to…). */
  hedge: Hedge | null;
  /**
   * The other reading of a number whose one dot may separate thousands or decimals ("80.000":
   * 80 in English, 80,000 where a dot groups thousands); `low`–`high` is the decimal one.
   * Compared either way: a text cannot say which convention it follows.
   */
  alternative?: { low: number; high: number };
  /** "from": the value a change starts at ("fell from 10 % to 5 %"), not the one it reaches. */
  role?: 'from';
  text: string;
  start: number;
  end: number;
}

export const UNIT_WORDS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
};
export const TENS_WORDS: Record<string, number> = { twenty: 20, thirty: 30, forty: 40, fourty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 };
export const SCALE_WORDS: Record<string, number> = {
  hundred: 1e2, thousand: 1e3, k: 1e3, million: 1e6, m: 1e6, mn: 1e6, mln: 1e6, billion: 1e9, bn: 1e9, b: 1e9, trillion: 1e12, tn: 1e12, trn: 1e12,
};
export const FRACTION_WORDS: Record<string, number> = {
  half: 1 / 2, halves: 1 / 2, third: 1 / 3, thirds: 1 / 3, quarter: 1 / 4, quarters: 1 / 4, fourth: 1 / 4, fourths: 1 / 4,
  fifth: 1 / 5, fifths: 1 / 5, sixth: 1 / 6, sixths: 1 / 6, eighth: 1 / 8, eighths: 1 / 8, tenth: 1 / 10, tenths: 1 / 10,
};

const CURRENCY_SYMBOLS: Record<string, string> = { $: 'USD', US$: 'USD', '€': 'EUR', '£': 'GBP', '¥': 'JPY', kr: 'SEK' };
const CURRENCY_WORDS: Record<string, string> = {
  euro: 'EUR', euros: 'EUR', dollar: 'USD', dollars: 'USD', pound: 'GBP', pounds: 'GBP', kronor: 'SEK', krona: 'SEK',
  kroner: 'NOK', krone: 'NOK', yen: 'JPY', yuan: 'CNY', francs: 'CHF', franc: 'CHF', rupees: 'INR', eur: 'EUR', usd: 'USD', gbp: 'GBP', sek: 'SEK',
};
const UNIT_SKIP = new Set(['more', 'additional', 'new', 'extra', 'fewer', 'other', 'affordable', 'skilled', 'young', 'older', 'registered', 'reported', 'million', 'billion']);
const NOT_UNITS = new Set([
  'of', 'to', 'in', 'and', 'or', 'the', 'a', 'an', 'was', 'were', 'is', 'are', 'be', 'been', 'per', 'than', 'by', 'from', 'for', 'on', 'at',
  'with', 'that', 'this', 'it', 'its', 'as', 'but', 'who', 'which', 'will', 'would', 'had', 'has', 'have', 'over', 'into', 'up', 'down',
  'after', 'before', 'since', 'until', 'while', 'when', 'where', 'not', 'no', 'so', 'too', 'very', 'about', 'against', 'between', 'among',
  'through', 'during', 'out', 'off', 'there', 'their', 'they', 'he', 'she', 'we', 'i', 'you', 'his', 'her', 'our', 'my', 'your', 'last', 'next',
]);
// A month word written as in a date ("March 3", "Sept. 12"): capitalised, so "may" is not one.
const MONTHS = new RegExp(`(?:${Object.keys(MONTH_INDEX).map((m) => m[0].toUpperCase() + m.slice(1)).join('|')})\\.?\\s+$`);
const HEDGES: [RegExp, Hedge][] = [
  [/\b(?:about|around|approximately|approx\.?|roughly|some|nearly|almost|close\s+to|an\s+estimated|estimated|circa|ca\.|~)\s*$/i, 'about'],
  [/\b(?:more\s+than|over|at\s+least|upwards\s+of|in\s+excess\s+of|above|exceeding)\s+$/i, 'more'],
  [/\b(?:less\s+than|fewer\s+than|under|up\s+to|at\s+most|below|no\s+more\s+than|as\s+many\s+as)\s+$/i, 'less'],
];

const NUMBER_WORD = [...Object.keys(UNIT_WORDS), ...Object.keys(TENS_WORDS)].join('|');
const FRACTION = Object.keys(FRACTION_WORDS).join('|');
const SCALE = 'hundred|thousand|million|billion|trillion|bn|mn|tn|m|k';
const WORD_SCALE = 'hundred|thousand|million|billion|trillion|dozen';
// A run of number words: "two hundred and forty", "two and a half million", "a hundred thousand", "forty-six".
const WORD_RUN = `(?:half\\s+an?\\s+(?:million|billion|trillion|dozen)|(?:${NUMBER_WORD}|a|an)(?:(?:[\\s-]+|\\s+and\\s+(?:a\\s+)?)(?:${NUMBER_WORD}|${WORD_SCALE}|half|point))*)`;

// One pass finds every candidate; the parts are read from named groups.
const PATTERN = new RegExp(
  [
    // one in five
    `(?<ratio>\\b(?:one|1)\\s+in\\s+(?<den>\\d+|${NUMBER_WORD})\\b)`,
    // two-thirds, a third, three quarters, half
    `(?<frac>\\b(?:(?<fnum>a|an|one|two|three|four|five|six|seven|eight|nine)[-\\s])?(?<fword>${FRACTION})\\b(?![-\\s]+(?:a\\s+)?(?:million|billion|trillion|dozen)))`,
    // twice, three times
    `(?<times>\\b(?:twice|thrice|(?<tnum>\\d+(?:\\.\\d+)?|${NUMBER_WORD})\\s+times)\\b)`,
    // €2.4bn, 2.4 billion euros, 12,000, 80 000, 1.234.567, 90%, 1.2-gigawatt, 100k
    `(?<num>(?:(?<cur>US\\$|[$€£¥])\\s?)?(?<digits>\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d{1,3}(?:\\.\\d{3}){2,}|\\d{1,3}(?:[ \\u00a0\\u202f]\\d{3})+(?![\\d.,])|\\d+(?:\\.\\d+)?)(?:\\s?(?<scale>${SCALE})\\b)?)`,
    // twelve months, twenty-five, a dozen, a million, two and a half million
    `(?<words>\\b${WORD_RUN}\\b)`,
  ].join('|'),
  'gi',
);

const UNIT_AFTER = /^(?:\s?(?<pct>%|per\s?cent\b|percent\b|percentage points?\b)|[\s-](?<word>[A-Za-z][A-Za-z-]*))/;

/** "12,000" → 12000, "80 000" → 80000, "1.234.567" → 1234567, "2.4" → 2.4. */
export function parseDigits(raw: string): number {
  if (/^\d{1,3}(\.\d{3}){2,}$/.test(raw)) return Number(raw.replace(/\./g, ''));
  return Number(raw.replace(/[,\s\u00a0\u202f]/g, ''));
}

/**
 * The value of a run of number words, and how many of the words it used:
 * "two hundred and forty" 240, "forty-six thousand" 46000, "two and a half million"
 * 2500000, "a hundred thousand" 100000, "a dozen" 12; undefined when it is not a number.
 */
export function wordsValue(words: string[]): { value: number; used: number } | undefined {
  let total = 0;
  let group = 0;
  let used = 0;
  let seen = false;
  let lastScale = Infinity;
  if (/^half$/i.test(words[0] ?? '') && /^an?$/i.test(words[1] ?? '')) {
    const scale = (words[2] ?? '').toLowerCase();
    const base = scale === 'dozen' ? 12 : scale.length > 2 ? SCALE_WORDS[scale] : undefined;
    return base ? { value: base / 2, used: 3 } : undefined;
  }
  for (let i = 0; i < words.length; i++) {
    const w = words[i].toLowerCase();
    if (w in UNIT_WORDS && group % 10 === 0 && (UNIT_WORDS[w] < 10 || group % 100 === 0)) {
      if (seen && group === 0 && total === 0) break;
      group += UNIT_WORDS[w];
    } else if (w in TENS_WORDS && group % 100 === 0) {
      group += TENS_WORDS[w];
    } else if ((w === 'a' || w === 'an') && !seen) {
      group = 1;
      // "a" alone is no number: it must be followed by a scale ("a hundred", "a million", "a dozen").
      if (!/^(hundred|thousand|million|billion|trillion|dozen)$/i.test(words[i + 1] ?? '')) return undefined;
    } else if (w === 'and' && seen && /^(a|an)$/i.test(words[i + 1] ?? '') && /^half$/i.test(words[i + 2] ?? '')) {
      group += 0.5;
      i += 2;
    } else if (w === 'and' && seen && (words[i + 1]?.toLowerCase() ?? '') in { ...UNIT_WORDS, ...TENS_WORDS } && group % 100 === 0) {
      continue;
    } else if (w === 'point' && seen && (UNIT_WORDS[words[i + 1]?.toLowerCase() ?? ''] ?? 10) < 10) {
      // "two point four": decimals are read digit by digit.
      let scale = 0.1;
      while ((UNIT_WORDS[words[i + 1]?.toLowerCase() ?? ''] ?? 10) < 10) {
        group += UNIT_WORDS[words[i + 1].toLowerCase()] * scale;
        scale /= 10;
        i++;
      }
    } else if (w === 'hundred' && seen && group > 0 && group < 100) {
      group *= 100;
    } else if (w === 'dozen' && seen && group > 0) {
      group *= 12;
    } else if (w in SCALE_WORDS && w.length > 2 && seen && group > 0 && SCALE_WORDS[w] < lastScale) {
      total += group * SCALE_WORDS[w];
      lastScale = SCALE_WORDS[w];
      group = 0;
    } else {
      break;
    }
    seen = true;
    used = i + 1;
  }
  return seen && used > 0 ? { value: total + group, used } : undefined;
}

function hedgeBefore(text: string, start: number): Hedge | null {
  const before = text.slice(Math.max(0, start - 24), start);
  for (const [re, hedge] of HEDGES) if (re.test(before)) return hedge;
  return null;
}

/** Every quantity in `text` (or in the stretch from `from` to `to`), in order. */
export function readQuantities(text: string, from = 0, to = text.length): Quantity[] {
  const out: Quantity[] = [];
  const slice = text.slice(from, to);
  const pattern = new RegExp(PATTERN.source, PATTERN.flags);
  for (let m = pattern.exec(slice); m; m = pattern.exec(slice)) {
    const g = m.groups ?? {};
    const start = from + m.index;
    let end = start + m[0].length;
    let value: number | undefined;
    let unit: string | null = null;
    if (g.ratio) {
      const den = Number(g.den) || UNIT_WORDS[g.den.toLowerCase()] || TENS_WORDS[g.den.toLowerCase()];
      if (!den) continue;
      value = 1 / den;
      unit = 'ratio';
    } else if (g.frac) {
      const numerator = g.fnum ? (UNIT_WORDS[g.fnum.toLowerCase()] ?? 1) : 1;
      const fraction = FRACTION_WORDS[g.fword.toLowerCase()];
      // "third" alone is an ordinal ("the third breach"); a fraction needs "a"/a number, or is "half".
      if (!g.fnum && !/^hal(f|ves)$/i.test(g.fword)) continue;
      // "the second half", "first-half goals": a part of a match or a year, not a fraction.
      if (!g.fnum && /\b(first|second|other|1st|2nd)[\s-]+$/i.test(text.slice(Math.max(0, start - 8), start))) continue;
      if (/^(first|second|third)$/i.test(g.fword) && /\bthe\s+$/i.test(text.slice(Math.max(0, start - 4), start))) continue;
      value = numerator * fraction;
      unit = 'fraction';
    } else if (g.times) {
      value = /^twice$/i.test(g.times) ? 2 : /^thrice$/i.test(g.times) ? 3 : Number(g.tnum) || UNIT_WORDS[g.tnum.toLowerCase()] || TENS_WORDS[g.tnum.toLowerCase()];
      unit = 'times';
    } else if (g.num) {
      const before = text.slice(Math.max(0, start - 12), start);
      // Part of a word or code ("Covid-19", "G7", "A4"), an ordinal or a date.
      if (/[\p{L}]-?$/u.test(before) && !g.cur) continue;
      value = parseDigits(g.digits);
      const after = text.slice(end, end + 3);
      if (/^(st|nd|rd|th)\b/i.test(after)) continue;
      if (MONTHS.test(before)) continue;
      if (!g.cur && !g.scale && /^\d{4}$/.test(g.digits) && value >= 1800 && value <= 2100 && !/^\s?(%|per\s?cent|percent)/i.test(text.slice(end, end + 9))) continue;
      if (/^[.:]\d/.test(text.slice(end, end + 2))) continue; // times and versions
      const scale = g.scale ? SCALE_WORDS[g.scale.toLowerCase()] : undefined;
      // "m" scales only money ("€3m"), not "5 m" of anything else; "k" any count ("100k").
      if (scale && /^m$/i.test(g.scale) && !g.cur) {
        end -= g.scale.length + (/\s(?=[m]$)/i.test(m[0]) ? 1 : 0);
      } else if (scale) value *= scale;
      if (g.cur) unit = CURRENCY_SYMBOLS[g.cur] ?? g.cur;
    } else if (g.words) {
      const words = g.words.split(/[\s-]+/);
      const read = wordsValue(words);
      if (!read) continue;
      // Give back what was not part of the number ("two and" in "two and three").
      const usedText = matchWords(g.words, read.used);
      end = start + usedText.length;
      const w1 = words[0].toLowerCase();
      // "two-factor", "three-way": a compound adjective, unless it measures ("three-year").
      if (read.used === 1 && /^-(?!(year|month|week|day|hour|minute|second|metre|meter|kilometre|kilometer|mile|storey|story|point|percent)s?\b)/i.test(text.slice(end, end + 12))) continue;
      // "one" is as often a pronoun ("one of them") as a number.
      if (w1 === 'one' && read.used === 1 && /^\s+(of|another|day|thing|way|side|hand)\b/i.test(text.slice(end, end + 12))) continue;
      value = read.value;
      pattern.lastIndex = end - from;
    }
    if (value === undefined || !Number.isFinite(value)) continue;
    // A bare "one" ("one too many", "one of them") counts nothing; with a noun it does ("one cut").
    const bareOne = g.words && /^one$/i.test(text.slice(start, end));

    // The unit after the number: %, a currency, or the counted noun ("12,000 homes").
    if (unit === null || unit === 'times' || (g.num && !g.cur)) {
      const rest = text.slice(end, Math.min(to, end + 40));
      const u = UNIT_AFTER.exec(rest);
      if (u?.groups?.pct) {
        unit = /point/i.test(u.groups.pct) ? 'percentage points' : 'percent';
        end += u[0].length;
      } else if (u?.groups?.word && unit !== 'times' && unit !== 'ratio') {
        let word = u.groups.word;
        let length = u[0].length;
        if (UNIT_SKIP.has(word.toLowerCase())) {
          const second = /^\s(?<word>[A-Za-z][A-Za-z-]*)/.exec(rest.slice(length));
          if (second?.groups?.word && !NOT_UNITS.has(second.groups.word.toLowerCase())) {
            word = second.groups.word;
            length += second[0].length;
          }
        }
        const lower = word.toLowerCase();
        if (CURRENCY_WORDS[lower]) {
          unit = CURRENCY_WORDS[lower];
          end += length;
        } else if (!NOT_UNITS.has(lower) && /^\p{Ll}/u.test(word) && unit === null) {
          unit = lower;
          end += length;
        }
      }
    }
    if (bareOne && unit === null) continue;
    const rounded = Math.round(value * 1e6) / 1e6;
    const quantity: Quantity = { value: rounded, low: rounded, high: rounded, unit, hedge: hedgeBefore(text, start), text: text.slice(start, end), start, end };
    // A dot followed by exactly three digits groups thousands in much of Europe ("80.000 people");
    // not after a leading zero ("0.005"), and no percentage is meant in thousands.
    if (g.num && /^[1-9]\d{0,2}\.\d{3}$/.test(g.digits) && unit !== 'percent' && unit !== 'percentage points') {
      const thousands = Math.round(value * 1000 * 1e6) / 1e6;
      quantity.alternative = { low: thousands, high: thousands };
    }
    out.push(quantity);
    pattern.lastIndex = Math.max(pattern.lastIndex, end - from);
  }
  return joinRanges(text, out);
}

/** The prefix of `words` (as written) made of its first `count` words. */
function matchWords(written: string, count: number): string {
  const re = /[^\s-]+/g;
  let last = 0;
  for (let i = 0; i < count; i++) {
    const m = re.exec(written);
    if (!m) break;
    last = m.index + m[0].length;
  }
  return written.slice(0, last);
}

/**
 * "10 to 20 %", "10-20%", "between 5 and 7 million": two quantities joined into one range
 * with the unit of either; a pair that goes down ("voted 31-14") is two numbers, not a range,
 * and so is a change ("rose from 10 % to 15 %"), whose first number is marked as where it
 * started: "rose to 10 %" says something else than a claim that it rose from 10 %.
 */
function joinRanges(text: string, quantities: Quantity[]): Quantity[] {
  const out: Quantity[] = [];
  for (let i = 0; i < quantities.length; i++) {
    const a = quantities[i];
    const b = quantities[i + 1];
    const gap = b ? text.slice(a.end, b.start) : '';
    const between = /\bbetween\s+$/i.test(text.slice(Math.max(0, a.start - 9), a.start)) && /^\s+and\s+$/i.test(gap);
    if (b && (between || /^\s*(?:-|–|to)\s*$/.test(gap)) && (a.unit === null || b.unit === null || a.unit === b.unit)) {
      // "5 to 7 million": the first end takes the second's scale when it has none of its own.
      const scale = a.value < b.value / 100 && /million|billion|trillion|thousand|bn|mn|[km]\b/i.test(b.text) && !/million|billion|trillion|thousand|bn|mn/i.test(a.text) ? b.value / parseLeadingNumber(b.text) : 1;
      const low = a.value * (Number.isFinite(scale) ? scale : 1);
      const change = /\bfrom\s+$/i.test(text.slice(Math.max(0, a.start - 5), a.start));
      if (low < b.value && !change) {
        const alternative = a.alternative || b.alternative ? { low: a.alternative?.low ?? low, high: b.alternative?.high ?? b.value } : undefined;
        out.push({ value: low, low, high: b.value, unit: a.unit ?? b.unit, hedge: a.hedge, text: text.slice(a.start, b.end), start: a.start, end: b.end, ...(alternative ? { alternative } : {}) });
        i++;
        continue;
      }
      // Two numbers: the first with the scale and unit it shares with the second ("from 7 to 5 million").
      out.push({ ...a, value: low, low, high: low, unit: a.unit ?? b.unit, ...(change ? { role: 'from' as const } : {}) });
      continue;
    }
    out.push(a);
  }
  return out;
}

function parseLeadingNumber(text: string): number {
  const m = /\d+(?:[.,]\d+)*/.exec(text);
  return m ? parseDigits(m[0]) : NaN;
}

/** How a quantity's unit is compared: counted nouns in the singular, percentage points as percent. */
function unitKey(unit: string | null): string | null {
  if (unit === null) return null;
  if (unit === 'percentage points') return 'percent';
  return unit.length > 3 && unit.endsWith('s') && !unit.endsWith('ss') ? unit.slice(0, -1) : unit;
}

/** "half" and "50 %" are one quantity. */
function asPercent(q: Quantity): Quantity {
  return q.unit === 'fraction' ? { ...q, value: q.value * 100, low: q.low * 100, high: q.high * 100, unit: 'percent' } : q;
}

/** The values a quantity allows: hedged ones are ranges ("nearly 800,000" is 720,000–800,000). */
function interval(q: Quantity): [number, number] {
  switch (q.hedge) {
    case 'about':
      return [q.low * 0.9, q.high * 1.1];
    case 'more':
      return [q.low, Infinity];
    case 'less':
      return [0, q.high];
    default:
      return [q.low, q.high];
  }
}

/** The values a number may be read as: its own, and its `alternative` ("80.000" as 80 and as 80,000). */
const readings = (q: Quantity): Quantity[] => (q.alternative === undefined ? [q] : [q, { ...q, value: q.alternative.low, ...q.alternative }]);

/** The same role (where a change starts, or not) and values that can be the same. */
function compatible(a: Quantity, b: Quantity): boolean {
  return a.role === b.role && readings(a).some((x) => readings(b).some((y) => overlap(x, y)));
}

function overlap(a: Quantity, b: Quantity): boolean {
  const [aLow, aHigh] = interval(a);
  const [bLow, bHigh] = interval(b);
  // Half a percent of slack: "2.4 billion" and "2,400,000,000", "66.7 %" and "two-thirds" rounded.
  const slack = 0.005 * Math.max(Math.abs(aLow), Math.abs(bLow), 1e-9);
  return aLow <= bHigh + slack && bLow <= aHigh + slack;
}

/**
 * Of the quantities `from` gives, of a kind `to` also speaks of (same unit: percent, a
 * currency, the same counted noun): whether one has a compatible value in `to`, and whether
 * one has none.
 */
function against(from: readonly Quantity[], to: readonly Quantity[]): { agreed: boolean; unmatched: boolean } {
  let agreed = false;
  let unmatched = false;
  for (const q of from) {
    const key = unitKey(q.unit);
    if (key === null) continue;
    const same = to.filter((x) => unitKey(x.unit) === key);
    if (same.length === 0) continue;
    if (same.some((x) => compatible(x, q))) agreed = true;
    else unmatched = true;
  }
  return { agreed, unmatched };
}

/**
 * Whether two texts' quantities agree: −1 when each says something of a kind of quantity
 * that the other contradicts ("70 %" against "47 %", "$100 million" against "$300 million",
 * "fell to 10 %" against "fell from 10 % to 5 %"), 1 when they share a quantity and one of
 * them says nothing the other contradicts (a text that quotes "fell to 5 %" of a claim that it
 * "fell from 10 % to 5 %" agrees with it: a text often gives part of a claim's figures), 0 when
 * they share no kind of quantity. Bare counts without a unit are not compared: "3" alone says
 * too little of what it counts.
 */
export function compareQuantities(a: readonly Quantity[], b: readonly Quantity[]): number {
  const aq = a.map(asPercent);
  const bq = b.map(asPercent);
  const fromB = against(bq, aq);
  const fromA = against(aq, bq);
  if (fromA.unmatched && fromB.unmatched) return -1;
  return fromA.agreed || fromB.agreed ? 1 : 0;
}
