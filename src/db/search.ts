import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { Type } from 'typebox';
import { rowsOf } from './client.js';
import { ApiError } from '../lib/errors.js';
import { InputProblem } from '../lib/row-failures.js';
import { MAX_LIMIT, DEFAULT_LIMIT, UUID, invalidCursor, openCursor } from '../lib/pagination.js';

/**
 * Relevance-ordered lists (`q` on claims, sources, attributions, claimants) and
 * their keyset cursors.
 *
 * A ranked page is ordered by `(rank desc, id desc)`, and the cursor carries the last
 * row's rank and id, so the next page asks for rows strictly after that pair: walking
 * the pages returns every hit exactly once. The cursor also carries a fingerprint of
 * `q`, so a cursor cannot silently be reused for another query.
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
 * Where a score-ordered walk (claimant lookup) is: after `(v, id)`; `q` a fingerprint of
 * the query. `t` is always 1 and `w` null: they date from ranked windows, which full-text
 * search no longer has (its cursor is SearchCursorPayload below).
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
  new InputProblem({ field: 'sort', code: 'validation_failed', message: 'needs q', detail: `sort=${sort} orders by relevance to q; pass q.` });

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
 * How `rank` is computed, for the OpenAPI descriptions of every ranked list. The
 * database keeps each document's term weights (`tf-weight` below, in the terms tables of
 * src/db/schema.ts), and a rank is a sum of them, so the best documents for a word are
 * read in order straight off an index however many documents match.
 */
export const RANK_DESCRIPTION =
  'BM25 relevance to `q` (higher is better; comparable within one query only): the sum, over the words of `q` the item contains ' +
  '(words after `-` do not count), of idf × tf-weight. idf = ln(1 + (N − df + 0.5) / (df + 0.5)), N the items of the list and df those ' +
  'containing the word, as of the first page of the walk (every later page uses the same idf, so the order holds while others write); ' +
  'tf-weight = tf · 2.2 / (tf + 1.2 · (0.25 + 0.75 · length / L)), tf the occurrences of the word, length the item\'s length in words ' +
  '(stop words left out), L a fixed typical length (10 for claims and quotes, 8 for source title and publisher). Both factors are ' +
  'rounded to four decimals, so `rank` is exact: ties are broken by id.';

/** The order of a ranked walk, for the `q` descriptions. */
export const RANKED_WALK =
  'The order holds across all pages: paging with `next_cursor` returns every match exactly once, and `rank` never rises from one row to the next.';

/** idf and tf-weight are integers scaled by this much; `rank` is their product scaled back. */
const SCALE = 10_000;

/** Where a ranked walk is: after the hit `(v, id)`, with the idf of every word fixed by the first page. */
interface SearchCursorPayload {
  l: string;
  s: string;
  q: string;
  /** The last hit's score: Σ idf × weight, both scaled by SCALE. */
  v: number;
  id: string;
  /** The idf of each positive term of q (sorted), scaled by SCALE. */
  i: number[];
}

function encodeSearchCursor(list: string, q: string, at: { v: number; id: string; i: number[] }): string {
  const payload: SearchCursorPayload = { l: list, s: RANK_SORT, q: fingerprint(q), ...at };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

function decodeSearchCursor(list: string, cursor: string, q: string, terms: number): { v: number; id: string; i: number[] } {
  const payload = openCursor<SearchCursorPayload>(cursor, list, RANK_SORT);
  if (payload.q !== fingerprint(q)) throw invalidCursor('was made for another q; pass the same q or start again');
  const okIdf = Array.isArray(payload.i) && payload.i.length === terms && payload.i.every((x) => Number.isSafeInteger(x) && x > 0);
  if (!Number.isSafeInteger(payload.v) || payload.v < 0 || !okIdf) throw invalidCursor('cannot be decoded');
  return { v: payload.v, id: payload.id, i: payload.i };
}

/**
 * The lexemes of a tsquery's text (`'harbour' & !( 'tunnel' <-> 'cost' )`) that count
 * towards rank: those not under a negation. Sorted, each once.
 */
export function positiveLexemes(tsquery: string): string[] {
  const found = new Set<string>();
  const negated: boolean[] = [false];
  let negateNext = false;
  for (let i = 0; i < tsquery.length; i++) {
    const c = tsquery[i];
    if (c === "'") {
      let lexeme = '';
      for (i++; i < tsquery.length; i++) {
        if (tsquery[i] === '\\') lexeme += tsquery[++i] ?? '';
        else if (tsquery[i] === "'" && tsquery[i + 1] === "'") lexeme += tsquery[++i];
        else if (tsquery[i] === "'") break;
        else lexeme += tsquery[i];
      }
      if (!negated[negated.length - 1] && !negateNext) found.add(lexeme);
      negateNext = false;
    } else if (c === '!') negateNext = true;
    else if (c === '(') {
      negated.push(negated[negated.length - 1] || negateNext);
      negateNext = false;
    } else if (c === ')') negated.pop();
  }
  return [...found].sort();
}

/** `'word'` alone: a query that is one lexeme and nothing else. */
const SINGLE_LEXEME = /^'(?:[^'\\]|''|\\.)*'$/;
/** `'word' & 'word' & …`: a query that every document holding all its lexemes matches. */
const CONJUNCTION = /^'(?:[^'\\]|''|\\.)*'(?: & '(?:[^'\\]|''|\\.)*')*$/;

/** idf of each term (scaled, at least 1) from the list's collection statistics as of now. */
async function inverseDocumentFrequencies(db: Executor, list: string, terms: string[]): Promise<number[]> {
  if (terms.length === 0) return [];
  const rows = rowsOf<{ term: string; df: string | number }>(
    await db.execute(sql`select term, df from claimledger_term_df(${list}, array(select jsonb_array_elements_text(${JSON.stringify(['', ...terms])}::jsonb)))`),
  );
  const df = new Map(rows.map((r) => [r.term, Number(r.df)]));
  return terms.map((term) => {
    const n = df.get(term) ?? 0;
    const documents = Math.max(df.get('') ?? 0, n);
    return Math.max(1, Math.round(SCALE * Math.log(1 + (documents - n + 0.5) / (n + 0.5))));
  });
}

export interface RankedHit {
  id: string;
  rank: number;
}

export interface RankedSearch {
  /** The list's name (its table's), written into cursors and naming its collection statistics. */
  list: 'claims' | 'sources' | 'attributions';
  /** The table, its id column and its search document (the GIN-indexed tsvector). */
  table: SQL;
  id: SQL;
  document: SQL;
  /** The list's terms table (src/db/schema.ts) and its columns. */
  terms: { table: SQL; term: SQL; weight: SQL; doc: SQL };
  /** Every other condition (filters), already combined; undefined for none. */
  where?: SQL;
}

type Executor = { execute(query: SQL): Promise<unknown> };

/**
 * One page of a relevance-ordered search: the hits' ids and ranks, best first
 * (`rank desc, id desc`), and the cursor of the next page. Exact on every page:
 *
 * - A query whose only counted word is one lexeme that every match must contain (`cost`,
 *   `cost -tunnel`, `"cost cost"`) is ranked by that word's weight alone, so its pages are
 *   read in order off the terms table's primary key `(term, weight, doc)`, the rows joined
 *   to the list only to check filters or the rest of the query. A frequent word costs
 *   what a rare one does.
 * - Any other query sums the weights of its words for every document holding one of them
 *   and keeps those that match, best first: it reads every weight of its words.
 */
export async function rankedSearchPage(
  db: Executor,
  search: RankedSearch,
  args: { q: string; cursor?: string; limit?: number },
): Promise<{ hits: RankedHit[]; next_cursor: string | null }> {
  const limit = args.limit ?? DEFAULT_LIMIT;
  if (limit > MAX_LIMIT) throw new ApiError('validation_failed', `limit is at most ${MAX_LIMIT}.`);
  const query = webSearch(args.q);
  const [shape] = rowsOf<{ text: string; tree: string }>(await db.execute(sql`select ${query}::text as text, querytree(${query})::text as tree`));
  // Only stop words (or no words at all): the query matches nothing.
  if (!shape.text) return { hits: [], next_cursor: null };
  const terms = positiveLexemes(shape.text);
  const at = args.cursor ? decodeSearchCursor(search.list, args.cursor, args.q, terms.length) : undefined;
  const idf = at?.i ?? (await inverseDocumentFrequencies(db, search.list, terms));
  const want = limit + 1;
  const { table, id, document, where } = search;
  const t = search.terms;
  // querytree() is the part of the query every match must satisfy ('T': none, as in `-tunnel`).
  const required = shape.tree !== 'T' && shape.tree !== '';

  let hits: { id: string; score: number }[];
  if (terms.length === 1 && required) {
    const weightOf = idf[0];
    // A cursor of this walk holds idf × a weight (a smallint).
    if (at && (at.v % weightOf !== 0 || at.v / weightOf > 32_767)) throw invalidCursor('cannot be decoded');
    const rest = [SINGLE_LEXEME.test(shape.text) ? undefined : sql`${document} @@ ${query}`, where].filter((c): c is SQL => c !== undefined);
    const conditions = [
      sql`${t.term} = ${terms[0]}`,
      ...rest,
      at ? sql`(${t.weight}, ${t.doc}) < (${at.v / weightOf}::smallint, ${at.id}::uuid)` : undefined,
    ].filter((c): c is SQL => c !== undefined);
    // The list's rows are only read to check the rest of the query or the filters.
    const joined = rest.length ? sql` join ${table} on ${id} = ${t.doc}` : sql``;
    const rows = rowsOf<{ id: string; weight: number }>(
      await db.execute(sql`
        select ${t.doc} as id, ${t.weight} as weight from ${t.table}${joined}
         where ${sql.join(conditions, sql` and `)}
         order by ${t.weight} desc, ${t.doc} desc limit ${want}`),
    );
    hits = rows.map((r) => ({ id: r.id, score: Number(r.weight) * weightOf }));
  } else {
    const ranking: Ranking = { search, query, terms, idf, at, want };
    hits =
      (required ? await thresholdTopK(db, ranking) : undefined) ??
      (CONJUNCTION.test(shape.text) ? await rankEveryConjunctionMatch(db, ranking) : await rankEveryMatch(db, ranking, required));
  }
  const more = hits.length > limit;
  const page = hits.slice(0, limit);
  const last = page[page.length - 1];
  return {
    hits: page.map((h) => ({ id: h.id, rank: h.score / (SCALE * SCALE) })),
    next_cursor: more ? encodeSearchCursor(search.list, args.q, { v: last.score, id: last.id, i: idf }) : null,
  };
}

interface Ranking {
  search: RankedSearch;
  query: SQL;
  /** The counted words of the query, sorted, and their idf (scaled). */
  terms: string[];
  idf: number[];
  /** The last hit of the previous page. */
  at?: { v: number; id: string };
  want: number;
}

type Scored = { id: string; score: number };

const byRank = (a: Scored, b: Scored) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** How many weights the threshold algorithm reads before it hands over to ranking every match. */
const THRESHOLD_BUDGET = 1_000;

/**
 * The page by Fagin's threshold algorithm: the words' weight lists are read in weight
 * order, a few hundred entries at a time; each document met is scored in full from its own
 * search document (the weights the terms table holds for it, computed by the same function)
 * and kept if it matches the query and the filters. No document not met yet can score more
 * than the sum of the weights at the lists' current positions (times their idf), so once
 * the page's last hit scores more (or as much, with an id that wins the tie), the page is exact. Each list starts where its
 * word alone would lift a document above the previous page's last hit.
 * Undefined when THRESHOLD_BUDGET entries did not settle it (a word pair where the best
 * documents of each word rarely hold the other, a filter few documents pass).
 */
async function thresholdTopK(db: Executor, r: Ranking): Promise<Scored[] | undefined> {
  const { table, id, document, where } = r.search;
  const t = r.search.terms;
  // Positions are exclusive: a list holds the entries below (w, d). Weights stay far below
  // MAX_WEIGHT, so (MAX_WEIGHT, MIN_UUID) is before every entry.
  const lists = r.terms.map((term, k) => ({
    term,
    idf: r.idf[k],
    w: Math.min(r.at ? Math.floor(r.at.v / r.idf[k]) + 1 : MAX_WEIGHT, MAX_WEIGHT),
    d: MIN_UUID,
    done: false,
  }));
  const scoring = JSON.stringify(r.terms.map((term, k) => ({ term, idf: r.idf[k] })));
  const hits = new Map<string, number>();
  const after = (h: Scored) => !r.at || h.score < r.at.v || (h.score === r.at.v && h.id < r.at.id);
  let batch = Math.max(r.want, 100);
  for (let read = 0; read < THRESHOLD_BUDGET; batch = Math.min(batch * 2, 2_000)) {
    const active = lists.filter((l) => !l.done);
    const positions = JSON.stringify(active.map(({ term, w, d }) => ({ term, w, d })));
    const rows = rowsOf<{ term: string | null; weight: number | null; doc: string; score: string | number | null }>(
      await db.execute(sql`
        with fetched as materialized (
          select i.term, f.weight, f.doc
            from jsonb_to_recordset(${positions}::jsonb) as i(term text, w smallint, d uuid)
            cross join lateral (
              select ${t.weight} as weight, ${t.doc} as doc from ${t.table}
               where ${t.term} = i.term and (${t.weight}, ${t.doc}) < (i.w, i.d)
               order by ${t.weight} desc, ${t.doc} desc limit ${batch}) f)
        select term, weight, doc, null::bigint as score from fetched
        union all
        select null, null, ${id}, (
            select coalesce(sum(i.idf::bigint * w.weight), 0)
              from jsonb_to_recordset(${scoring}::jsonb) as i(term text, idf integer)
              join claimledger_term_weights(${document}, (select reference_length from claimledger_search_list(${r.search.list}))) w
                on w.term = i.term)
          from ${table}
         where ${id} in (select doc from fetched) and ${document} @@ ${r.query}${where ? sql` and ${where}` : sql``}`),
    );
    const fetched = new Map<string, number>();
    for (const row of rows) {
      if (row.term === null) {
        const hit = { id: row.doc, score: Number(row.score) };
        if (after(hit)) hits.set(hit.id, hit.score);
        continue;
      }
      const list = active.find((l) => l.term === row.term)!;
      const weight = Number(row.weight);
      if (weight < list.w || (weight === list.w && row.doc < list.d)) {
        list.w = weight;
        list.d = row.doc;
      }
      fetched.set(row.term, (fetched.get(row.term) ?? 0) + 1);
      read++;
    }
    for (const list of active) if ((fetched.get(list.term) ?? 0) < batch) list.done = true;
    const best = [...hits].map(([hitId, score]) => ({ id: hitId, score })).sort(byRank).slice(0, r.want);
    const open = lists.filter((l) => !l.done);
    if (open.length === 0) return best;
    // A document not met yet scores at most the threshold, and only one that sits at every
    // open list's current weight scores exactly that; it then comes after every list's
    // position, so its id is below the smallest of them.
    const threshold = open.reduce((sum, l) => sum + l.idf * l.w, 0);
    const frontier = open.reduce((min, l) => (l.d < min ? l.d : min), open[0].d);
    const last = best[r.want - 1];
    if (last && (last.score > threshold || (last.score === threshold && last.id >= frontier))) return best;
  }
  return undefined;
}

const MAX_WEIGHT = 32_767;
const MIN_UUID = '00000000-0000-0000-0000-000000000000';

/** Each document holding a counted word, with the sum of its words' weights times their idf. */
function summedWeights(r: Ranking): SQL {
  const t = r.search.terms;
  const weights = JSON.stringify(r.terms.map((term, k) => ({ term, idf: r.idf[k] })));
  return sql`
    select ${t.doc} as doc, sum(i.idf::bigint * ${t.weight}) as score
      from jsonb_to_recordset(${weights}::jsonb) as i(term text, idf integer)
      join ${t.table} on ${t.term} = i.term
     group by ${t.doc}`;
}

/**
 * The page by scoring every document that holds a counted word (with a left join, every
 * document, for a query that can match without one) and keeping the matches: reads all
 * the words' weights and every match.
 */
async function rankEveryMatch(db: Executor, r: Ranking, required: boolean): Promise<Scored[]> {
  const { table, id, document, where } = r.search;
  const score = sql`coalesce(s.score, 0)`;
  const conditions = [sql`${document} @@ ${r.query}`, where, r.at ? sql`(${score}, ${id}) < (${r.at.v}::bigint, ${r.at.id}::uuid)` : undefined].filter(
    (c): c is SQL => c !== undefined,
  );
  const join = required ? sql`join` : sql`left join`;
  const rows = rowsOf<{ id: string; score: string | number }>(
    await db.execute(sql`
      with s as (${summedWeights(r)})
      select ${id} as id, ${score} as score from ${table} ${join} s on s.doc = ${id}
       where ${sql.join(conditions, sql` and `)}
       order by 2 desc, 1 desc limit ${r.want}`),
  );
  return rows.map((row) => ({ id: row.id, score: Number(row.score) }));
}

/**
 * The page of a query that is only words every match must hold (`cost billion`), scored
 * from the terms table alone: a document holds every word exactly when it has a weight for
 * each, so no search document is read, and the list's rows only to check filters. For two
 * words each in a tenth of a million documents this reads 200,000 index entries, where
 * checking every match against its search document reads as many rows.
 */
async function rankEveryConjunctionMatch(db: Executor, r: Ranking): Promise<Scored[]> {
  const { table, id, where } = r.search;
  const conditions = [where, r.at ? sql`(s.score, s.doc) < (${r.at.v}::bigint, ${r.at.id}::uuid)` : undefined].filter(
    (c): c is SQL => c !== undefined,
  );
  const filtered = where ? sql` join ${table} on ${id} = s.doc` : sql``;
  const rows = rowsOf<{ id: string; score: string | number }>(
    await db.execute(sql`
      with s as (${summedWeights(r)} having count(*) = ${r.terms.length})
      select s.doc as id, s.score from s${filtered}
       ${conditions.length ? sql`where ${sql.join(conditions, sql` and `)}` : sql``}
       order by 2 desc, 1 desc limit ${r.want}`),
  );
  return rows.map((row) => ({ id: row.id, score: Number(row.score) }));
}

/** Puts rows fetched by id back in the order of the hits, with their rank. */
export function inHitOrder<T extends { id: string }>(hits: RankedHit[], rows: T[]): (T & { rank: number })[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return hits.flatMap((h) => {
    const row = byId.get(h.id);
    return row ? [{ ...row, rank: h.rank }] : [];
  });
}
