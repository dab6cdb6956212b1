import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db/client.js';
import { claimColumns, type ClaimRow } from '../../db/schema.js';
import {
  DEFAULT_MIN_SCORE,
  cleanQueryText,
  idf,
  matchScores,
  matchSignals,
  parseTsvector,
  prepareQuery,
  signatureDate,
  signatureWords,
  similarity,
  TIME_BEFORE_DAYS,
  type Collection,
  type MatchSignals,
  type Stems,
} from '../../domain/matching.js';
import { requestEncoder, vectorFromBase64 } from '../../domain/sentence-vectors.js';
import { instant } from '../../lib/instants.js';

/**
 * POST /v1/claims/match, the database side: candidates from the term index, then
 * domain/matching.ts scores them.
 *
 * claim_terms (migrations/0006 and 0007), the term index ranked search keeps, holds per
 * stem the claims containing it with a BM25 term-frequency weight, ordered by (term,
 * weight); claimledger_term_df counts the claims containing each stem. A candidate's
 * pre-score is Σ idf(stem) × weight over the query's stems, read from at most
 * POSTINGS_PER_STEM index entries per stem, best weight first — every claim of a rare stem,
 * the best-weighted (shortest) claims of a common one — so a match reads a bounded number of
 * index entries (no table rows) whatever the collection's size. The CANDIDATES best of them
 * are fetched with their stems, the document frequencies of those stems and their context
 * (the titles and opening lines of the sources they are attributed to), and scored in
 * full. The pre-score is approximate only for stems in more than POSTINGS_PER_STEM claims,
 * whose weight the query can only ever count for so many claims: what it can miss is a claim
 * that shares nothing with the text but such common stems. The sources' term index
 * (source_terms: title and publisher) is read the same way, and the claims of the best-scoring
 * sources join the candidates, TITLE_CANDIDATES of them at most.
 */

export const POSTINGS_PER_STEM = 2000;
export const CANDIDATES = 100;
/**
 * Claims found by their sources' titles besides: a tweet often words a claim as the
 * fact-check's headline does, not as the claim does. Titles are short, so fewer index entries
 * per stem are read for them.
 */
export const TITLE_CANDIDATES = 20;
export const TITLE_POSTINGS_PER_STEM = 200;
/** Titles of at most this many of a claim's sources make its context, with the opening of their texts. */
export const CONTEXT_SOURCES = 10;
/**
 * How much of a source's text its context takes: the lede, where a fact-check or a news
 * report says in other words what the claim is (Snopes' subtitles are at most 294 characters).
 */
export const CONTEXT_TEXT_CHARS = 300;

export interface ClaimMatch extends ClaimRow {
  score: number;
  signals: MatchSignals;
}

export interface MatchRequest {
  text: string;
  limit?: number;
  min_score?: number;
  language?: string;
  /** When the text was published; absent: its signature's date, if any; null: none. */
  published_at?: string | Date | null;
}

/** What narrows or informs a match besides its text. */
export interface MatchOptions {
  language?: string;
  /** When the text was published; undefined: its signature's date, if it has one; null: rank without time. */
  publishedAt?: Date | null;
}

interface QueryStem {
  term: string;
  positions: number[] | null;
  df: number;
  title_df: number;
  /** How many sources there are (a bigint, so a string from some drivers). */
  sources: number | string | null;
  /** How many claims there are (a bigint, so a string from some drivers). */
  claims: number | string | null;
}

const columns = sql.join(
  Object.values(claimColumns).map((c) => sql`c.${sql.identifier(c.name)}`),
  sql`, `,
);

/** Below this many claims their average length is computed on every match (a few milliseconds). */
const EXACT_EVERY_MATCH_BELOW = 10_000;
/** From this many claims on, the average length is estimated from a 1 % sample. */
const SAMPLED_FROM = 100_000;
/** Above EXACT_EVERY_MATCH_BELOW it is kept this long, or until the number of claims has moved by LENGTH_REFRESH_SHARE. */
const LENGTH_TTL_MS = 60_000;
const LENGTH_REFRESH_SHARE = 0.01;
const lengthCache = new WeakMap<object, { claims: number; averageLength: number; at: number }>();

/**
 * How many stems the claims have on average, for BM25's length normalisation (the number of
 * claims comes exact from the term statistics, with each match's stems). A small collection
 * is measured on every match. A larger one is measured (up to 100,000 claims by a full scan,
 * some 25 ms at 90,000; beyond from a 1 % sample) at most once a minute per process, and
 * sooner once the number of claims has moved by a hundredth: an average over thousands of
 * claims hardly moves with a few more, and a text edited meanwhile counts within the minute.
 * Processes may thus differ for up to a minute after a write, in the fourth decimal of a score.
 */
async function averageLength(db: Db, claims: number): Promise<number> {
  const cached = lengthCache.get(db);
  if (
    cached &&
    claims >= EXACT_EVERY_MATCH_BELOW &&
    Math.abs(claims - cached.claims) <= LENGTH_REFRESH_SHARE * cached.claims &&
    Date.now() - cached.at < LENGTH_TTL_MS
  ) {
    return cached.averageLength;
  }
  // Sums and counts, divided here: numeric averages round differently across PostgreSQL versions.
  const [row] = rowsOf<{ stems: string | null; n: string }>(
    await db.execute(
      claims < SAMPLED_FROM
        ? sql`select sum(length(search))::text as stems, count(*)::text as n from claims`
        : sql`select sum(length(search))::text as stems, count(*)::text as n from claims tablesample system (1) repeatable (42)`,
    ),
  );
  const average = Number(row?.stems ?? 0) / Math.max(Number(row?.n ?? 0), 1) || 1;
  if (claims >= EXACT_EVERY_MATCH_BELOW) lengthCache.set(db, { claims, averageLength: average, at: Date.now() });
  return average;
}

/** Every candidate the index yields for `text`, scored, best first (no min_score, no limit). */
export async function scoredCandidates(db: Db, text: string, { language, publishedAt }: MatchOptions = {}): Promise<ClaimMatch[]> {
  const cleaned = cleanQueryText(text);
  const at = textTime(text, publishedAt)?.at;
  const searched = `${cleaned} ${signatureWords(text)}`.trim();
  // Encoded on its thread while the database looks for candidates.
  const encoding = requestEncoder().encode([cleaned || text]);
  // Settled here if nothing is found, so a rejection is never left unhandled.
  encoding.catch(() => undefined);
  const stemRows = rowsOf<QueryStem>(
    await db.execute(sql`
      with u as (select lexeme, positions from unnest(to_tsvector('english'::regconfig, ${searched})))
      select u.lexeme as term, u.positions::int[] as positions, coalesce(s.df, 0)::int as df, coalesce(t.df, 0)::int as title_df,
             (select df from claimledger_term_df('sources', array[''])) as sources,
             (select df from claimledger_term_df('claims', array[''])) as claims
        from u left join claimledger_term_df('claims', array(select lexeme from u)) s on s.term = u.lexeme
        left join claimledger_term_df('sources', array(select lexeme from u)) t on t.term = u.lexeme
       order by u.lexeme`),
  );
  const known = stemRows.filter((s) => s.df > 0);
  if (known.length === 0 && !stemRows.some((s) => s.title_df > 0)) return [];
  const claims = Number(stemRows[0]?.claims ?? 0);
  const dfOf = new Map<string, number>(stemRows.map((s) => [s.term, s.df]));
  const collection: Collection = { claims, averageLength: await averageLength(db, claims), df: (stem) => dfOf.get(stem) ?? 0 };
  const terms = known.map((s) => s.term);
  const weights = known.map((s) => idf(collection, s.term));
  // The same for the sources' titles, with the sources' statistics (the empty term counts them).
  const titled = stemRows.filter((s) => s.title_df > 0);
  const titleDf = new Map(titled.map((s) => [s.term, s.title_df]));
  const titles: Collection = { claims: Number(stemRows[0]?.sources ?? 0), averageLength: 1, df: (stem) => titleDf.get(stem) ?? 0 };
  const titleTerms = titled.map((s) => s.term);
  const titleWeights = titled.map((s) => idf(titles, s.term));
  // A language given: claims in that language (any region) and claims without one.
  const inLanguage = language
    ? sql` and (c.language is null or lower(split_part(c.language, '-', 1)) = lower(split_part(${language}, '-', 1)))`
    : sql``;
  // Days from the text to the claim's source or review published nearest after it, or not long
  // before (timeProximity). The window's start is computed here, in UTC: in SQL it would move
  // with the session's time zone across a daylight-saving change.
  const windowStart = at && new Date(Math.max(at.getTime() - TIME_BEFORE_DAYS * 86_400_000, FIRST_INSTANT));
  const days = at
    ? sql`(select min(extract(epoch from d.published_at - ${at.toISOString()}::timestamptz) / 86400)::float8
             from (select s.published_at from attributions a join sources s on s.id = a.source_id where a.claim_id = c.id
                   union all
                   select r.published_at from reviews r where r.claim_id = c.id) d
            where d.published_at >= ${windowStart!.toISOString()}::timestamptz)`
    : sql`null::float8`;
  const rows = rowsOf<ClaimRow & { search: string; context: string; context_text: string | null; meaning: string | null; days: number | null }>(
    await db.execute(sql`
      with hits as (${bestByTerms({ table: sql`claim_terms`, id: sql`claim_id` }, terms, weights, POSTINGS_PER_STEM, CANDIDATES)}),
      titles as (${bestByTerms({ table: sql`source_terms`, id: sql`source_id` }, titleTerms, titleWeights, TITLE_POSTINGS_PER_STEM, TITLE_CANDIDATES)}),
      candidates as (
        select id as claim_id from hits
        union all
        (select a.claim_id from titles s join attributions a on a.source_id = s.id
          where a.claim_id not in (select id from hits)
          group by a.claim_id order by max(s.prescore) desc, a.claim_id limit ${TITLE_CANDIDATES})
      ),
      found as (
        select ${columns}, c.search::text as search, x.context_text, encode(m.vector, 'base64') as meaning, ${days} as days
          from candidates h join claims c on c.id = h.claim_id
          left join claim_meanings m on m.claim_id = c.id
          left join lateral (
            select string_agg(concat_ws(' . ', y.title, y.opening), ' . ' order by y.title, y.opening) as context_text
              from (select distinct s.title, left(s.text, ${CONTEXT_TEXT_CHARS}) as opening
                      from attributions a join sources s on s.id = a.source_id
                     where a.claim_id = c.id order by s.title, opening limit ${CONTEXT_SOURCES}) y
          ) x on true
         where true${inLanguage}
      )
      select f.*, to_tsvector('english'::regconfig, coalesce(f.context_text, ''))::text as context
        from found f`),
  );
  const candidates = rows.map((r) => ({ stems: parseTsvector(r.search), context: parseTsvector(r.context) }));
  // The candidates' other stems, looked up together: one read of the statistics and their
  // pending deltas for all of them, not one per candidate.
  const unknown = [...new Set(candidates.flatMap((c) => [...c.stems.keys(), ...c.context.keys()]))].filter((stem) => !dfOf.has(stem));
  if (unknown.length) {
    const found = rowsOf<{ term: string; df: string }>(await db.execute(sql`select term, df::text as df from claimledger_term_df('claims', ${sql.param(unknown)}::text[])`));
    for (const r of found) dfOf.set(r.term, Number(r.df));
  }
  const queryStems: Stems = new Map(stemRows.map((s) => [s.term, s.positions ?? []]));
  const query = prepareQuery(cleaned, searched, queryStems);
  const sentences = await sentenceCosines(await encoding.then(([v]) => v), rows);
  const signals = matchSignals(
    query,
    rows.map((r, i) => ({ text: r.text, ...candidates[i], contextText: r.context_text ?? '', sentence: sentences[i], days: r.days === null ? undefined : Number(r.days) })),
    collection,
  );
  const scores = matchScores(signals);
  return rows
    .map(({ search: _search, context: _context, context_text: _contextText, meaning: _meaning, days: _days, ...claim }, i) => ({
      ...asClaim(claim),
      score: scores[i],
      signals: signals[i],
    }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

/**
 * The `limit` documents of a terms table with the largest Σ idf × weight over `terms`, reading
 * at most `perStem` index entries per term, best weight first: `(id, prescore)`.
 */
function bestByTerms(list: { table: SQL; id: SQL }, terms: string[], weights: number[], perStem: number, limit: number): SQL {
  return sql`
    select p.id, sum(q.idf * p.w) as prescore
      from unnest(${sql.param(terms)}::text[], ${sql.param(weights)}::float8[]) q(term, idf)
     cross join lateral (
       select t.${list.id} as id, t.weight as w from ${list.table} t where t.term = q.term order by t.weight desc, t.${list.id} desc limit ${perStem}
     ) p
     group by p.id
     order by prescore desc, p.id
     limit ${limit}`;
}

/**
 * The cosine of the text's sentence vector with each candidate's. A candidate whose vector is
 * still queued (claims are encoded in the background, see meanings.ts) is encoded now, packed
 * as a stored one would be: the answer is the same either way, only slower.
 */
async function sentenceCosines(query: Int8Array, rows: { text: string; meaning: string | null }[]): Promise<number[]> {
  const queued = rows.filter((r) => r.meaning === null);
  const encoded = await requestEncoder().encode(queued.map((r) => r.text));
  const fresh = new Map(queued.map((r, i) => [r, encoded[i]]));
  return rows.map((r) => similarity(query, r.meaning === null ? fresh.get(r)! : vectorFromBase64(r.meaning)));
}

/** The earliest instant PostgreSQL takes (year 1): a window opening before it starts there. */
const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00Z');

/** The time a match's `time` signals are measured from, and where it came from. */
export interface MatchTime {
  at: Date;
  from: 'request' | 'signature';
}

/** `publishedAt` given: that time (null: none); undefined: the date of the text's signature, if it has one. */
export function textTime(text: string, publishedAt: Date | null | undefined): MatchTime | null {
  if (publishedAt !== undefined) return publishedAt && { at: publishedAt, from: 'request' };
  const signed = signatureDate(text);
  return signed ? { at: signed, from: 'signature' } : null;
}

export async function matchClaims(db: Db, body: MatchRequest): Promise<{ data: ClaimMatch[]; time: { published_at: string; from: MatchTime['from'] } | null }> {
  const minScore = body.min_score ?? DEFAULT_MIN_SCORE;
  const given = body.published_at === undefined || body.published_at === null ? body.published_at : instant(body.published_at);
  const time = textTime(body.text, given);
  const scored = await scoredCandidates(db, body.text, { language: body.language, publishedAt: time?.at ?? null });
  return {
    data: scored.filter((m) => m.score >= minScore).slice(0, body.limit ?? 10),
    time: time && { published_at: time.at.toISOString(), from: time.from },
  };
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
