import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { claimColumns, claims, type ClaimRow } from '../../db/schema.js';
import { DEFAULT_MIN_SCORE, contentLexemes, matchScore, matchSignals, prepareQuery, type MatchSignals } from '../../domain/matching.js';

/**
 * POST /v1/claims/match, the database side: find candidates with the full-text
 * index, then let domain/matching.ts score them.
 *
 * Candidates are the claims sharing the query's most telling stems. A stem that half
 * the claims contain says little and costs a lot to look up, so the query's content
 * stems are weighed by how many claims contain them — read from the planner's own
 * statistics (`pg_stats.most_common_elems` of `claims.search`, cached a few minutes):
 * the rarer stems are OR-ed alone, the common ones only in pairs (both must appear),
 * until the estimated number of candidate rows reaches CANDIDATE_BUDGET. The
 * CANDIDATE_LIMIT best of them by `ts_rank` are scored in full.
 */

export const CANDIDATE_BUDGET = 4000;
export const CANDIDATE_LIMIT = 200;
const STATS_TTL_MS = 5 * 60_000;

interface LexemeStats {
  rows: number;
  freq: Map<string, number>;
  /** Frequency below which stems are not listed: an upper bound for any unlisted stem. */
  floor: number;
  at: number;
}

const statsCache = new WeakMap<object, LexemeStats>();

const rowsOf = <T>(result: unknown): T[] => ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];

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
  const left: typeof singles = [];
  for (const s of singles) {
    if (total + s.rows <= CANDIDATE_BUDGET) {
      chosen.push(s.terms);
      total += s.rows;
    } else {
      left.push(s);
    }
  }
  const pairs: { terms: string[]; rows: number }[] = [];
  for (let i = 0; i < left.length; i++) {
    for (let j = i + 1; j < left.length; j++) {
      pairs.push({ terms: [left[i].terms[0], left[j].terms[0]], rows: (left[i].rows * left[j].rows) / Math.max(stats.rows, 1) });
    }
  }
  pairs.sort((a, b) => a.rows - b.rows);
  for (const p of pairs) {
    if (total + p.rows > CANDIDATE_BUDGET) break;
    chosen.push(p.terms);
    total += p.rows;
  }
  // Only common stems, and too common even in pairs: the rarest pair (or the one stem) still.
  if (chosen.length === 0) chosen.push(pairs[0]?.terms ?? singles[0].terms);
  return chosen.map((terms) => (terms.length === 1 ? literal(terms[0]) : `(${terms.map(literal).join(' & ')})`)).join(' | ');
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
       order by ts_rank(search, ${tsquery}::tsquery) desc, id desc
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
