import { FRACTION_WORDS, NUMBER_WORDS, SCALE_WORDS } from './lexicon.js';

/**
 * Quantities in a stretch of text: "2.4 billion euros", "90%", "12,000 homes",
 * "two-thirds", "twelve months", "one in five". Each keeps the exact source
 * words and their offsets. Years and calendar days are dates, not quantities,
 * and are left out.
 */
export interface Quantity {
  value: number;
  /** "percent", "EUR", "homes", "fraction", …; null for a bare count. */
  unit: string | null;
  text: string;
  start: number;
  end: number;
}

const CURRENCY_SYMBOLS: Record<string, string> = { '$': 'USD', 'US$': 'USD', '€': 'EUR', '£': 'GBP', '¥': 'JPY', 'kr': 'SEK' };
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
const MONTHS = /(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?\s+$/;

const WORD_NUMBER = Object.keys(NUMBER_WORDS).filter((w) => !['a', 'an', 'single', 'hundred', 'dozen'].includes(w)).join('|');
const FRACTION = Object.keys(FRACTION_WORDS).join('|');
const SCALE = 'hundred|thousand|million|billion|trillion|bn|mn|tn|m|k';

// One pass finds every candidate; the parts are read from named groups.
const PATTERN = new RegExp(
  [
    // one in five
    `(?<ratio>\\b(?:one|1)\\s+in\\s+(?<den>\\d+|${WORD_NUMBER})\\b)`,
    // two-thirds, a third, three quarters, half
    `(?<frac>\\b(?:(?<fnum>a|an|one|two|three|four|five|six|seven|eight|nine)[-\\s])?(?<fword>${FRACTION})\\b)`,
    // twice, three times
    `(?<times>\\b(?:twice|thrice|(?<tnum>\\d+(?:\\.\\d+)?|${WORD_NUMBER})\\s+times)\\b)`,
    // €2.4bn, 2.4 billion euros, 12,000, 90%, 1.2-gigawatt
    `(?<num>(?:(?<cur>US\\$|[$€£¥])\\s?)?(?<digits>\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?)(?:\\s?(?<scale>${SCALE})\\b)?)`,
    // twelve months, twenty-five, a dozen, a million
    `(?<words>\\b(?<w1>${WORD_NUMBER}|a|an)(?:-(?<w2>${WORD_NUMBER}))?(?:\\s(?<wscale>hundred|thousand|million|billion|trillion|dozen))?\\b)`,
  ].join('|'),
  'gi',
);

const UNIT_AFTER = /^(?:\s?(?<pct>%|per\s?cent\b|percent\b|percentage points?\b)|[\s-](?<word>[A-Za-z][A-Za-z-]*))/;

function wordValue(w: string | undefined): number | undefined {
  if (!w) return undefined;
  return NUMBER_WORDS[w.toLowerCase()];
}

export function findQuantities(text: string, from = 0, to = text.length): Quantity[] {
  const out: Quantity[] = [];
  const slice = text.slice(from, to);
  PATTERN.lastIndex = 0;
  for (let m = PATTERN.exec(slice); m; m = PATTERN.exec(slice)) {
    const g = m.groups ?? {};
    const start = from + m.index;
    let end = start + m[0].length;
    let value: number | undefined;
    let unit: string | null = null;
    if (g.ratio) {
      const den = Number(g.den) || wordValue(g.den);
      if (!den) continue;
      value = 1 / den;
      unit = 'ratio';
    } else if (g.frac) {
      const numerator = g.fnum ? (wordValue(g.fnum) ?? 1) : 1;
      const fraction = FRACTION_WORDS[(g.fword as string).toLowerCase()] as number;
      // "third" alone is an ordinal ("the third breach"); a fraction needs "a"/a number, or is "half".
      if (!g.fnum && !/^hal(f|ves)$/i.test(g.fword as string)) continue;
      // "the second half", "first-half goals": a part of a match or a year, not a fraction.
      if (!g.fnum && /\b(first|second|other|1st|2nd)[\s-]+$/i.test(text.slice(Math.max(0, start - 8), start))) continue;
      if (/^(first|second|third)$/i.test(g.fword as string) && /\bthe\s+$/i.test(text.slice(Math.max(0, start - 4), start))) continue;
      value = numerator * fraction;
      unit = 'fraction';
    } else if (g.times) {
      value = /^twice$/i.test(g.times) ? 2 : /^thrice$/i.test(g.times) ? 3 : Number(g.tnum) || wordValue(g.tnum);
      unit = 'times';
    } else if (g.num) {
      const before = text.slice(Math.max(0, start - 12), start);
      // Part of a word or code ("Covid-19", "G7", "A4"), an ordinal or a date.
      if (/[\p{L}]-?$/u.test(before) && !g.cur) continue;
      const digits = (g.digits as string).replace(/,/g, '');
      value = Number(digits);
      const after = text.slice(end, end + 3);
      if (/^(st|nd|rd|th)\b/i.test(after)) continue;
      if (MONTHS.test(before)) continue;
      if (!g.cur && !g.scale && /^\d{4}$/.test(digits) && value >= 1800 && value <= 2100 && !/^\s?(%|per\s?cent|percent)/i.test(text.slice(end, end + 9))) continue;
      if (/^[.:]\d/.test(text.slice(end, end + 2))) continue; // times and versions
      const scale = g.scale ? SCALE_WORDS[g.scale.toLowerCase()] : undefined;
      // "m" and "k" only scale money ("€3m"), not "5 m" of anything else.
      if (scale && ['m', 'k'].includes((g.scale as string).toLowerCase()) && !g.cur) {
        end -= (g.scale as string).length + (m[0].match(/\s(?=[mk]$)/i) ? 1 : 0);
      } else if (scale) value *= scale;
      if (g.cur) unit = CURRENCY_SYMBOLS[g.cur] ?? g.cur;
    } else if (g.words) {
      const w1 = (g.w1 as string).toLowerCase();
      if ((w1 === 'a' || w1 === 'an') && !g.wscale) continue;
      let v = wordValue(w1) ?? 0;
      if (g.w2) v += wordValue(g.w2) ?? 0;
      if (g.wscale) v *= g.wscale.toLowerCase() === 'dozen' ? 12 : (SCALE_WORDS[g.wscale.toLowerCase()] ?? 1);
      // "two-factor", "three-way": a compound adjective, unless it measures ("three-year").
      if (!g.w2 && /^-(?!(year|month|week|day|hour|minute|second|metre|meter|kilometre|kilometer|mile|mile|storey|story|point|percent)s?\b)/i.test(text.slice(end, end + 12))) continue;
      // "one" is as often a pronoun ("one of them") as a number.
      if (w1 === 'one' && !g.wscale && /^\s+(of|another|day|thing|way|side|hand)\b/i.test(text.slice(end, end + 12))) continue;
      value = v;
    }
    if (value === undefined || !Number.isFinite(value)) continue;
    // A bare "one" ("one too many", "one of them") counts nothing; with a noun it does ("one cut").
    const bareOne = g.words && !g.wscale && !g.w2 && /^one$/i.test(g.w1 as string);

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
          unit = CURRENCY_WORDS[lower] as string;
          end += length;
        } else if (!NOT_UNITS.has(lower) && /^\p{Ll}/u.test(word) && unit === null) {
          unit = lower;
          end += length;
        }
      }
    }
    if (bareOne && unit === null) continue;
    out.push({ value: Math.round(value * 1e6) / 1e6, unit, text: text.slice(start, end), start, end });
    PATTERN.lastIndex = end - from;
  }
  return out;
}
