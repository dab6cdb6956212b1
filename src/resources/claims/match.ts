import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db/client.js';
import { claimColumns, claims, type ClaimRow } from '../../db/schema.js';
import {
  DEFAULT_MIN_SCORE,
  contentLexemes,
  matchScore,
  matchSignals,
  normaliseForMatching,
  numberSpellings,
  prepareQuery,
  type MatchSignals,
} from '../../domain/matching.js';

/**
 * POST /v1/claims/match, the database side: find candidates with the full-text
 * index, then let domain/matching.ts score them.
 *
 * Candidates are the claims sharing the query's most telling stems. A stem that half
 * the claims contain says little and costs a lot to look up, so the query's content
 * stems are weighed by how many claims contain them — read from the planner's own
 * statistics (`pg_stats.most_common_elems` of `claims.search`, cached a few minutes):
 * a very rare stem (a place, a name) is OR-ed alone, the others in pairs (a candidate
 * must share two of them), rarest first, until the estimated number of candidate rows
 * reaches CANDIDATE_BUDGET (each
 * candidate costs a heap visit, about 2.5 µs: the budget bounds the query at about
 * 10–20 ms at a million claims). The CANDIDATE_LIMIT of them sharing the most of the
 * text's stems (`ts_rank` against all of them) are scored in full.
 */

export const CANDIDATE_BUDGET = 6000;
export const CANDIDATE_LIMIT = 300;
/** A stem in at most this many claims is a candidate query on its own. */
export const RARE_ALONE_ROWS = 2000;
const STATS_TTL_MS = 5 * 60_000;

interface LexemeStats {
  rows: number;
  freq: Map<string, number>;
  /** Frequency below which stems are not listed: an upper bound for any unlisted stem. */
  floor: number;
  at: number;
}

const statsCache = new WeakMap<object, LexemeStats>();

async function lexemeStats(db: Db): Promise<LexemeStats> {
  const cached = statsCache.get(db);
  if (cached && Date.now() - cached.at < STATS_TTL_MS) return cached;
  const [row] = rowsOf<{ elems: string[] | null; freqs: number[] | null; reltuples: number }>(
    await db.execute(sql`
      select s.most_common_elems::text::text[] as elems, s.most_common_elem_freqs::float8[] as freqs,
             greatest(c.reltuples, 0)::float8 as reltuples
        from pg_class c
        left join pg_stats s on s.schemaname = current_schema() and s.tablename = 'claims' and s.attname = 'search'
       where c.oid = 'claims'::regclass`),
  );
  const freq = new Map<string, number>();
  const elems = row?.elems ?? [];
  const freqs = (row?.freqs ?? []).map(Number);
  elems.forEach((e, i) => freq.set(e, freqs[i]));
  // After the per-element frequencies come their minimum, maximum and the null fraction.
  const floor = elems.length ? freqs[elems.length] : 0;
  const stats = { rows: Number(row?.reltuples ?? 0), freq, floor, at: Date.now() };
  statsCache.set(db, stats);
  return stats;
}

/** A tsquery operand: the stem quoted as a literal, so it is not parsed or stemmed again. */
const literal = (lexeme: string) => `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * The OR of telling terms for the query's stems (see above); null when the text has
 * no stem to search on.
 */
export function candidateQuery(lexemes: string[], stats: Pick<LexemeStats, 'rows' | 'freq' | 'floor'>): string | null {
  const wanted = [...new Set(lexemes)].filter((l) => contentLexemes([l]).size > 0 || /^\d/.test(l));
  if (wanted.length === 0) return null;
  const estimate = (l: string) => (stats.freq.get(l) ?? stats.floor / 2) * stats.rows;
  const singles = wanted.map((l) => ({ terms: [l], rows: estimate(l) })).sort((a, b) => a.rows - b.rows);
  const chosen: string[][] = [];
  let total = 0;
  // A very rare stem (a place, a name) is worth a look alone.
  const alone = new Set<string>();
  for (const s of singles) {
    if (s.rows > RARE_ALONE_ROWS || total + s.rows > CANDIDATE_BUDGET / 2) break;
    chosen.push(s.terms);
    alone.add(s.terms[0]);
    total += s.rows;
  }
  // Otherwise a candidate must share two stems with the text: the claim that says the same
  // thing shares many, so it is in many pairs, while a claim sharing one common word is not.
  const rest = singles.filter((s) => !alone.has(s.terms[0]));
  const pairs: { terms: string[]; rows: number }[] = [];
  for (let i = 0; i < rest.length; i++) {
    for (let j = i + 1; j < rest.length; j++) {
      // Words of one claim come together far more often than chance ("harbour" and
      // "tunnel"), so a pair is budgeted pessimistically: half the rarer word's rows.
      const independent = (rest[i].rows * rest[j].rows) / Math.max(stats.rows, 1);
      pairs.push({ terms: [rest[i].terms[0], rest[j].terms[0]], rows: Math.max(independent, 0.5 * Math.min(rest[i].rows, rest[j].rows)) });
    }
  }
  pairs.sort((a, b) => a.rows - b.rows);
  for (const p of pairs) {
    if (total + p.rows > CANDIDATE_BUDGET) break;
    chosen.push(p.terms);
    total += p.rows;
  }
  // Only common stems, too common even in pairs: the rarest pair (or the one stem) still.
  if (chosen.length === 0) chosen.push(pairs[0]?.terms ?? singles[0].terms);
  return chosen.map((terms) => (terms.length === 1 ? literal(terms[0]) : `(${terms.map(literal).join(' & ')})`)).join(' | ');
}

/**
 * The OR of every content stem of the text: what the candidates are ordered by before the
 * CANDIDATE_LIMIT cut (roughly, how many of the text's stems a claim shares), whatever
 * narrower query found them.
 */
export function everyStem(lexemes: string[]): string {
  const wanted = [...new Set(lexemes)].filter((l) => contentLexemes([l]).size > 0 || /^\d/.test(l));
  return wanted.map(literal).join(' | ');
}

export interface ClaimMatch extends ClaimRow {
  score: number;
  signals: MatchSignals;
}

export interface MatchRequest {
  text: string;
  limit?: number;
  min_score?: number;
  language?: string;
}

/** Every candidate the index yields for `text`, scored, best first (no min_score, no limit). */
export async function scoredCandidates(db: Db, text: string, language?: string): Promise<ClaimMatch[]> {
  const [{ lexemes }] = rowsOf<{ lexemes: string[] }>(
    await db.execute(sql`select tsvector_to_array(to_tsvector('english'::regconfig, ${text})) as lexemes`),
  );
  // Quantities join the stems that order the candidates, in every form a claim may have
  // them indexed ("two hundred forty" ranks "240" up; "2.4bn" the "2.4" of "2.4 billion").
  const searched = [...lexemes, ...numberSpellings(normaliseForMatching(text).numbers)];
  const tsquery = candidateQuery(lexemes, await lexemeStats(db));
  if (!tsquery) return [];
  // A language given: claims in that language (any region) and claims without one.
  const inLanguage = language
    ? sql` and (${claims.language} is null or lower(split_part(${claims.language}, '-', 1)) = lower(split_part(${language}, '-', 1)))`
    : sql``;
  const columns = sql.join(
    Object.values(claimColumns).map((c) => sql`${sql.identifier(c.name)}`),
    sql`, `,
  );
  const candidates = rowsOf<ClaimRow & { lexemes: string[] }>(
    await db.execute(sql`
      select ${columns}, tsvector_to_array(search) as lexemes
        from ${claims}
       where search @@ ${tsquery}::tsquery${inLanguage}
       order by ts_rank(search, ${everyStem(searched)}::tsquery) desc, id desc
       limit ${CANDIDATE_LIMIT}`),
  );
  const query = prepareQuery(text, lexemes);
  return candidates
    .map(({ lexemes: candidateLexemes, ...claim }) => {
      const signals = matchSignals(query, claim.text, candidateLexemes);
      return { ...asClaim(claim), score: matchScore(signals), signals };
    })
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

export async function matchClaims(db: Db, body: MatchRequest): Promise<ClaimMatch[]> {
  const minScore = body.min_score ?? DEFAULT_MIN_SCORE;
  const scored = await scoredCandidates(db, body.text, body.language);
  return scored.filter((m) => m.score >= minScore).slice(0, body.limit ?? 10);
}

/** Raw rows carry timestamps as strings with some drivers: the API's claim shape wants Dates. */
function asClaim(row: ClaimRow): ClaimRow {
  const date = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(v as string));
  return {
    ...row,
    first_seen_at: date(row.first_seen_at),
    created_at: date(row.created_at)!,
    updated_at: date(row.updated_at)!,
  };
}
