/**
 * Claimant lookup scoring: how well a looked-up name fits each name or alias of a
 * claimant. The database finds the candidates (a trigram index over every name of a
 * claimant, migrations/0002); this module scores them, so the score is the same in
 * `GET /v1/claimants?q=` and in `claimant_name` resolution.
 *
 * Names arrive folded by PostgreSQL (`claimledger_fold`: no accents, lower case,
 * single spaces). `nameKey` then applies the same spelling-variant rules as SQL's
 * `claimledger_translit` (tsch/tch → ch, sch → sh, ph → f, ck → k, q → k, w → v,
 * y → i, ae/oe/ue → a/o/u), so Tschaikowsky, Chaikovsky and Tchaikovsky, or
 * Lindkvist and Lindqvist, compare equal.
 *
 * For a query q and one name n:
 *   whole(q, n) = trigram similarity of the two (pg_trgm's: shared / all distinct trigrams)
 *   part(q, n)  = the best whole(q, w) over runs of consecutive words w of n ("lindqvist" in "ana lindqvist")
 *   score       = max( whole(q, n), 0.9 · part(q, n), 0.95 · whole(key q, key n), 0.855 · part(key q, key n) )
 * so 1 is the same name (ignoring case, accents, punctuation and word order), a part
 * of a name (a surname alone) scores at most 0.9, a spelling variant at most 0.95.
 */

const TRANSLIT: [string, string][] = [
  ['tsch', 'ch'],
  ['tch', 'ch'],
  ['sch', 'sh'],
  ['ph', 'f'],
  ['ck', 'k'],
  ['q', 'k'],
  ['w', 'v'],
  ['y', 'i'],
  ['ae', 'a'],
  ['oe', 'o'],
  ['ue', 'u'],
];

/** The spelling-variant key of a folded name; the same as SQL's claimledger_translit. */
export function nameKey(folded: string): string {
  let out = folded;
  for (const [from, to] of TRANSLIT) if (out.includes(from)) out = out.replaceAll(from, to);
  return out;
}

const words = (s: string) => s.split(/[^\p{L}\p{N}]+/u).filter(Boolean);

function wordTrigrams(w: string, into: Set<string>): Set<string> {
  const padded = `  ${w} `;
  for (let i = 0; i + 3 <= padded.length; i++) into.add(padded.slice(i, i + 3));
  return into;
}

function trigramSet(ws: string[]): Set<string> {
  const out = new Set<string>();
  for (const w of ws) wordTrigrams(w, out);
  return out;
}

/** |a ∩ b| / |a ∪ b|, where b is the union of `parts` (each a word's trigrams), counted without building it. */
function jaccard(a: Set<string>, parts: Set<string>[]): number {
  let size = 0;
  let shared = 0;
  for (let k = 0; k < parts.length; k++) {
    for (const t of parts[k]) {
      let counted = false;
      for (let m = 0; m < k && !counted; m++) counted = parts[m].has(t);
      if (counted) continue;
      size++;
      if (a.has(t)) shared++;
    }
  }
  if (a.size === 0 || size === 0) return 0;
  return shared / (a.size + size - shared);
}

interface Prepared {
  trigrams: Set<string>;
  /** Each word's trigrams, built once per query: the candidates of a common surname all share it. */
  words: Map<string, Set<string>>;
}

const prepared = (ws: string[]): Prepared => ({ trigrams: trigramSet(ws), words: new Map() });

function wholeAndPart(q: Prepared, name: string): [number, number] {
  const sets = words(name).map((w) => {
    let set = q.words.get(w);
    if (!set) q.words.set(w, (set = wordTrigrams(w, new Set())));
    return set;
  });
  const whole = jaccard(q.trigrams, sets);
  let part = whole;
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j <= sets.length; j++) {
      if (i === 0 && j === sets.length) continue;
      part = Math.max(part, jaccard(q.trigrams, sets.slice(i, j)));
    }
  }
  return [whole, part];
}

export interface NameQuery {
  plain: Prepared;
  key: Prepared;
  /** Scores already computed for this query: a common surname brings the same names again and again. */
  seen: Map<string, number>;
}

/** Prepares a folded query once for scoring many names. */
export function prepareNameQuery(folded: string): NameQuery {
  return { plain: prepared(words(folded)), key: prepared(words(nameKey(folded))), seen: new Map() };
}

/** The score of one folded name, 0–1, rounded to 4 decimals. */
export function scoreName(q: NameQuery, folded: string): number {
  const known = q.seen.get(folded);
  if (known !== undefined) return known;
  const [whole, part] = wholeAndPart(q.plain, folded);
  const [keyWhole, keyPart] = wholeAndPart(q.key, nameKey(folded));
  const score = Math.round(Math.max(whole, 0.9 * part, 0.95 * keyWhole, 0.855 * keyPart) * 10_000) / 10_000;
  q.seen.set(folded, score);
  return score;
}

/** The best of a claimant's folded names: its index (0 = the name, then the aliases) and score. */
export function bestName(q: NameQuery, folded: readonly string[]): { index: number; score: number } {
  let index = 0;
  let score = -1;
  for (let i = 0; i < folded.length; i++) {
    const s = scoreName(q, folded[i]);
    if (s > score) [index, score] = [i, s];
  }
  return { index, score };
}

/** True when a and b differ by at most one insertion, deletion, substitution or swap of neighbours. */
function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    return a.slice(i + 1) === b.slice(i + 1) || (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2));
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** Words shorter than this must match exactly: one letter makes another name of them (Ron/Rod, Jr/Sr, Dan/Don). */
const MIN_MISSPELT_WORD = 6;

/**
 * A misspelling of the same name: the same words in the same order, all equal but
 * one, and that one (6 letters or more) one keystroke away: "hilary clinton" for
 * "hillary clinton", "marco rubbio". A word more or less is another person (John
 * Kennedy, John F. Kennedy; Donald Trump, Donald Trump Jr), as is a short word
 * changed (Tom Kean Jr, Tom Kean Sr; Rand Paul, Ron Paul). Both names folded.
 */
export function isMisspelling(foldedQuery: string, foldedName: string): boolean {
  const q = words(foldedQuery);
  const n = words(foldedName);
  if (q.length !== n.length || q.length < 2) return false;
  const differing = q.map((w, i) => [w, n[i]] as const).filter(([a, b]) => a !== b);
  if (differing.length !== 1) return false;
  const [a, b] = differing[0];
  return Math.min(a.length, b.length) >= MIN_MISSPELT_WORD && withinOneEdit(a, b);
}
