import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { Type } from 'typebox';
import { rowsOf } from '../db/client.js';
import { ApiError } from './errors.js';
import { MAX_LIMIT, DEFAULT_LIMIT, UUID, invalidCursor, openCursor } from './pagination.js';

/**
 * Relevance-ordered lists (`q` on claims, sources, attributions, claimants) and
 * their keyset cursor.
 *
 * A ranked page is ordered by `(rank desc, id desc)`. The rank is a `real`
 * (float4) computed by the database the same way on every page, and a float4 is
 * exactly representable in JSON, so the cursor can carry the last row's rank and
 * id and the next page asks for rows strictly after that pair:
 * `(rank, id) < (:rank, :id)`. Walking the pages returns every hit exactly once;
 * ties in rank are broken by id. The cursor also carries a fingerprint of `q`, so a
 * cursor cannot silently be reused for another query.
 */

export const RANK_SORT = '-rank';

/** The `q` parameter of a list. */
export const searchParam = (description: string) =>
  Type.String({ minLength: 1, maxLength: 500, description });

/** `sort` for lists that take `q`: no schema default, so "not given" can mean "by rank" when `q` is. */
export function sortWithRank(sortNames: string[], defaultSort: string, rankName = 'rank') {
  const sorts = sortNames.flatMap((n) => [n, `-${n}`]);
  return Type.Optional(
    Type.Enum([...sorts, `-${rankName}`], {
      description: `Field to sort by; \`-\` prefix for descending. Ties are broken by \`id\`. Default \`${defaultSort}\`, or \`-${rankName}\` (best first) with \`q\`; \`-${rankName}\` needs \`q\`.`,
    }),
  );
}

/**
 * Where a ranked walk is. `t` 1: inside the ranked window, after `(v, id)`;
 * `t` 2: past the window, after `id` (newest first). `w` is the window's oldest id,
 * fixed by the first page (null when the window held every hit); `q` a fingerprint
 * of the query.
 */
interface RankCursorPayload {
  /** The list (table) it belongs to. */
  l: string;
  s: string;
  q: string;
  t: 1 | 2;
  w: string | null;
  v: number;
  id: string;
}
export type RankCursor = Omit<RankCursorPayload, 'l' | 's' | 'q'>;

const fingerprint = (q: string) => createHash('sha256').update(q).digest('base64url').slice(0, 12);

export function encodeRankCursor(list: string, q: string, at: RankCursor, sort = RANK_SORT): string {
  const payload: RankCursorPayload = { l: list, s: sort, q: fingerprint(q), ...at };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeRankCursor(list: string, cursor: string, q: string, sort = RANK_SORT): RankCursor {
  const payload = openCursor<RankCursorPayload>(cursor, list, sort);
  if (payload.q !== fingerprint(q)) throw invalidCursor('was made for another q; pass the same q or start again');
  const okWindow = payload.w === null || (typeof payload.w === 'string' && UUID.test(payload.w));
  if ((payload.t !== 1 && payload.t !== 2) || !okWindow || typeof payload.v !== 'number' || !Number.isFinite(payload.v)) {
    throw invalidCursor('cannot be decoded');
  }
  if (payload.t === 2 && payload.w === null) throw invalidCursor('cannot be decoded');
  return { t: payload.t, w: payload.w, v: payload.v, id: payload.id };
}


export const SCORE_SORT = '-score';

export const rankNeedsQ = (sort = RANK_SORT) =>
  new ApiError('validation_failed', `sort=${sort} orders by relevance to q; pass q.`, { errors: [{ path: 'query.sort', message: 'needs q' }] });

/** Web-search syntax ("phrase", OR, -word) with English stemming and stop words. */
export const webSearch = (q: string): SQL => sql`websearch_to_tsquery('english'::regconfig, ${q})`;

/**
 * A `highlight`: the text HTML-escaped (so the snippet is safe to insert as HTML),
 * matching words in <mark>; a short text whole, a long one cut to its best fragments.
 */
export function headline(text: SQL | unknown, query: SQL): SQL {
  const escaped = sql`replace(replace(replace(${text}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')`;
  return sql`case when length(${text}) <= 400
    then ts_headline('english'::regconfig, ${escaped}, ${query}, 'HighlightAll=true, StartSel=<mark>, StopSel=</mark>')
    else ts_headline('english'::regconfig, ${escaped}, ${query}, 'StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=15, ShortWord=3, MaxFragments=2, FragmentDelimiter=" … "')
  end`;
}

/**
 * How many of the newest matches a full-text search ranks. Ranking reads every
 * ranked row from the heap: at a million claims a word in 10 % of them costs about
 * 0.5 s to rank in full (bench/README.md), while the newest thousand matches are
 * found by walking the primary key backwards and cost a few milliseconds. So a
 * query with more matches than this ranks its newest RANK_WINDOW matches, and the
 * older matches follow them newest first; a query with fewer matches (any rare
 * term) is ranked in full. Every match is still reachable by paging.
 */
export const RANK_WINDOW = 1000;

/**
 * From this many estimated matches on, the newest RANK_WINDOW are found by walking the
 * primary key backwards; below it, by collecting every match through the GIN index. At a
 * million claims both cost about the same here (≈ 40 ms) at about 12,000 matches: the walk
 * reads RANK_WINDOW / share-of-matching-rows rows, the collection one heap row per match.
 */
export const WALK_MIN_MATCHES = 12_000;

/** The planner's estimate of the rows a query returns (EXPLAIN, without running it). */
async function estimatedRows(db: Executor, query: SQL): Promise<number> {
  const [row] = rowsOf<{ 'QUERY PLAN': unknown }>(await db.execute(sql`explain (format json) ${query}`));
  const plan = row?.['QUERY PLAN'];
  const parsed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan?: { 'Plan Rows'?: number } }[] | undefined;
  return Number(parsed?.[0]?.Plan?.['Plan Rows'] ?? 0);
}

export interface RankedHit {
  id: string;
  rank: number;
}

export interface RankedSearch {
  /** The list's name (its table's), written into cursors. */
  list: string;
  /** The table, its id column and the tsvector to rank (a stored column or the indexed expression). */
  table: SQL;
  id: SQL;
  document: SQL;
  query: SQL;
  /** Every other condition (filters), already combined; undefined for none. */
  where?: SQL;
}

type Executor = { execute(query: SQL): Promise<unknown> };

/**
 * One page of a relevance-ordered search: the hits' ids and ranks, best first, and
 * the cursor of the next page. See RANK_WINDOW for the order of large result sets.
 */
export async function rankedSearchPage(
  db: Executor,
  search: RankedSearch,
  args: { q: string; cursor?: string; limit?: number },
): Promise<{ hits: RankedHit[]; next_cursor: string | null }> {
  const limit = args.limit ?? DEFAULT_LIMIT;
  if (limit > MAX_LIMIT) throw new ApiError('validation_failed', `limit is at most ${MAX_LIMIT}.`);
  const at = args.cursor ? decodeRankCursor(search.list, args.cursor, args.q) : undefined;
  const { table, id, document, query } = search;
  const rank = sql`ts_rank(${document}, ${query}, 1)`;
  const matches = search.where ? sql`${document} @@ ${query} and ${search.where}` : sql`${document} @@ ${query}`;
  const want = limit + 1;

  let window: string | null;
  let hits: (RankedHit & { tier: 1 | 2 })[];
  if (!at) {
    // The newest RANK_WINDOW matches, ranked. Which plan finds them cheaper depends on how
    // many rows match: walking the primary key newest first stops after RANK_WINDOW matches,
    // so it is cheap for frequent terms and ruinous for mid-frequency ones (at 0.6 % of a
    // million claims it reads 165,000 rows); collecting every match through the GIN index
    // costs a heap visit per match. The planner misjudges the middle, so it is asked for
    // its estimate and the plan is chosen here (see WALK_MIN_MATCHES).
    const estimate = await estimatedRows(db, sql`select 1 from ${table} where ${matches}`);
    const candidates =
      estimate >= WALK_MIN_MATCHES
        ? sql`select ${id} as id, ${rank}::real as rank from ${table} where ${matches} order by ${id} desc limit ${RANK_WINDOW}`
        : sql`select h.id, h.rank from (select ${id} as id, ${rank}::real as rank from ${table} where ${matches} offset 0) h order by h.id desc limit ${RANK_WINDOW}`;
    const rows = rowsOf<{ id: string; rank: number; n: number; floor: string }>(
      await db.execute(sql`
        with w as materialized (${candidates})
        select w.id, w.rank, (select count(*) from w)::int as n, (select id from w order by id limit 1) as floor
          from w order by w.rank desc, w.id desc limit ${want}`),
    );
    window = rows.length > 0 && Number(rows[0].n) >= RANK_WINDOW ? rows[0].floor : null;
    hits = rows.map((r) => ({ id: r.id, rank: Number(r.rank), tier: 1 as const }));
  } else {
    window = at.w;
    if (at.t === 1) {
      const inWindow = window ? sql` and ${id} >= ${window}::uuid` : sql``;
      const rows = rowsOf<{ id: string; rank: number }>(
        await db.execute(sql`
          select ${id} as id, ${rank}::real as rank from ${table}
           where ${matches}${inWindow} and (${rank}::real, ${id}) < (${at.v}::real, ${at.id}::uuid)
           order by 2 desc, 1 desc limit ${want}`),
      );
      hits = rows.map((r) => ({ id: r.id, rank: Number(r.rank), tier: 1 as const }));
    } else {
      hits = [];
    }
  }
  // Past the window: the older matches, newest first.
  if (window && hits.length < want) {
    const after = at?.t === 2 ? at.id : window;
    const rows = rowsOf<{ id: string; rank: number }>(
      await db.execute(sql`
        select ${id} as id, ${rank}::real as rank from ${table}
         where ${matches} and ${id} < ${after}::uuid
         order by 1 desc limit ${want - hits.length}`),
    );
    hits.push(...rows.map((r) => ({ id: r.id, rank: Number(r.rank), tier: 2 as const })));
  }
  const more = hits.length > limit;
  const page = hits.slice(0, limit);
  const last = page[page.length - 1];
  return {
    hits: page.map(({ id: hitId, rank: hitRank }) => ({ id: hitId, rank: hitRank })),
    next_cursor: more ? encodeRankCursor(search.list, args.q, { t: last.tier, w: window, v: last.rank, id: last.id }) : null,
  };
}

/** Puts rows fetched by id back in the order of the hits, with their rank. */
export function inHitOrder<T extends { id: string }>(hits: RankedHit[], rows: T[]): (T & { rank: number })[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return hits.flatMap((h) => {
    const row = byId.get(h.id);
    return row ? [{ ...row, rank: h.rank }] : [];
  });
}
