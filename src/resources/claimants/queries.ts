import { and, count, eq, sql, type SQL } from 'drizzle-orm';
import { insertMany, type Write } from '../../db/write.js';
import { anyOf, rowsOf, type Db, type DbOrTx } from '../../db/client.js';
import { executeNamed } from '../../db/named.js';
import { claimantColumns, claimants, type ClaimantRow } from '../../db/schema.js';
import { bestName, isMisspelling, prepareNameQuery } from '../../domain/matching-names.js';
import { assertIfMatch } from '../../lib/conditional.js';
import { ApiError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { InputProblem, takenIdFailure, type Created, type NewRow, type RowFailure } from '../../lib/row-failures.js';
import { paginate, resolveSort, type SortField } from '../../db/pagination.js';
import { SCORE_SORT, decodeRankCursor, encodeRankCursor, rankNeedsQ } from '../../db/search.js';
import { hasChanges } from '../../lib/changes.js';
import { deleteAttributionsOf, isReferenced } from '../attributions/owners.js';
import type { ClaimantCreateBody, ClaimantListParams, ClaimantPatchBody } from './schemas.js';
import { GUARD, awaitTurnToChange, guardBuckets } from '../lock-order.js';

interface CandidateRow {
  id: string;
  names: string[];
  q: string;
}

const sortFields: Record<string, SortField> = {
  created_at: { column: claimants.created_at, cast: 'timestamptz', nullable: false },
  updated_at: { column: claimants.updated_at, cast: 'timestamptz', nullable: false },
  name: { column: claimants.name, cast: 'text', nullable: false },
};

/** Names compare ignoring case, accents and surrounding/double spaces (migrations/0002). */
const folded = (value: SQL | string) => sql`claimledger_fold(${value})`;

function sameName(name: string): SQL {
  const wanted = folded(name);
  return sql`(${folded(sql`${claimants.name}`)} = ${wanted} or exists (select 1 from unnest(${claimants.aliases}) as alias where ${folded(sql`alias`)} = ${wanted}))`;
}

async function refuseTakenWikidata(tx: DbOrTx, wikidataId: string | null | undefined, exceptId?: string) {
  if (!wikidataId) return;
  const [taken] = await tx.select({ id: claimants.id }).from(claimants).where(eq(claimants.wikidata_id, wikidataId)).limit(1);
  if (taken && taken.id !== exceptId) throw new InputProblem(takenWikidataFailure(wikidataId, taken.id));
}

/** The columns a create body gives a claimant. */
export function claimantValues(body: ClaimantCreateBody) {
  return {
    name: body.name,
    kind: body.kind ?? 'unknown',
    aliases: body.aliases ?? [],
    description: body.description ?? null,
    wikidata_id: body.wikidata_id ?? null,
    url: body.url ?? null,
  };
}

/**
 * Creates many claimants at once: the taken wikidata ids are found with one
 * query, the others inserted with one statement (a taken id, or a wikidata id
 * taken meanwhile, leaves its row out and is told), and each gets its
 * `claimant.created` event in input order. `created[i]` is the row of input i,
 * undefined when it failed; `failures` say why, against the input.
 */
export async function createClaimants(w: Write, rows: readonly NewRow<ClaimantCreateBody>[]): Promise<Created<ClaimantRow>> {
  const { tx } = w;
  const failures: RowFailure[] = [];
  const created: (ClaimantRow | undefined)[] = rows.map(() => undefined);
  const wanted = rows.flatMap((r) => (r.body.wikidata_id ? [r.body.wikidata_id] : []));
  const takenWikidata = await holdersOfWikidata(tx, wanted);
  const byWikidata = new Map<string, number>();
  const now = new Date();
  const toInsert: { row: number; values: typeof claimants.$inferInsert }[] = [];
  rows.forEach((input, row) => {
    const failure = (f: Omit<RowFailure, 'row'>) => void failures.push({ row, ...f });
    const wikidata = input.body.wikidata_id ?? null;
    if (wikidata !== null) {
      if (takenWikidata.has(wikidata)) return failure(takenWikidataFailure(wikidata, takenWikidata.get(wikidata)!));
      if (byWikidata.has(wikidata)) {
        return failure({ field: 'wikidata_id', code: 'conflict', message: 'is also the wikidata_id of an earlier row', same_as: byWikidata.get(wikidata) });
      }
      byWikidata.set(wikidata, row);
    }
    toInsert.push({ row, values: { id: input.id ?? newId(), ...claimantValues(input.body), created_at: now, updated_at: now, version: 1 } });
  });
  // A concurrent insert of the same id or wikidata_id loses here instead of failing the transaction.
  const inserted = new Map(
    (await insertMany<ClaimantRow>(tx, claimants, toInsert.map((r) => r.values), { skipTaken: true, returning: claimantColumns })).map((r) => [r.id, r]),
  );
  const lost = toInsert.filter((r) => !inserted.has(r.values.id!));
  const nowTaken = lost.length ? await holdersOfWikidata(tx, lost.flatMap((r) => (r.values.wikidata_id ? [r.values.wikidata_id] : []))) : new Map<string, string>();
  for (const { row, values } of toInsert) {
    const got = inserted.get(values.id!);
    if (got) {
      created[row] = got;
      continue;
    }
    const holder = values.wikidata_id ? nowTaken.get(values.wikidata_id) : undefined;
    failures.push({ row, ...(holder ? takenWikidataFailure(values.wikidata_id!, holder) : takenIdFailure('claimant', values.id!)) });
  }
  for (const row of created) if (row) w.record({ action: 'created', entityType: 'claimant', entityId: row.id, after: row });
  return { created, failures: failures.sort((a, b) => a.row - b.row) };
}

async function holdersOfWikidata(tx: DbOrTx, wikidataIds: string[]): Promise<Map<string, string>> {
  if (wikidataIds.length === 0) return new Map();
  const rows = await tx.select({ id: claimants.id, wikidata_id: claimants.wikidata_id }).from(claimants).where(anyOf(claimants.wikidata_id, [...new Set(wikidataIds)]));
  return new Map(rows.map((r) => [r.wikidata_id!, r.id]));
}

const takenWikidataFailure = (wikidataId: string, holder: string): Omit<RowFailure, 'row'> => ({
  field: 'wikidata_id',
  code: 'conflict',
  message: 'is already used by another claimant',
  detail: `A claimant with wikidata_id ${wikidataId} already exists.`,
  existing_id: holder,
});

/**
 * Claimant lookup, the matcher behind `GET /v1/claimants?q=`, `claimant_name` and
 * extraction's speakers: the candidates of each of `names` (best first), a few statements
 * for all, and each name folded as lookup compares it (`claimledger_fold`).
 *
 * Candidates come from the trigram index on every name and alias of a claimant,
 * folded and keyed for spelling variants (`lookup_key`, migrations/0002):
 * `lookup_key %> claimledger_name_key(q)` keeps claimants where q is similar to some
 * run of words of their names (pg_trgm word_similarity ≥ 0.6). Each candidate's
 * stored folded names (`lookup_names`) are then scored by domain/matching-names.ts,
 * and the best one is the hit's `matched`. Scoring in the process rather than in SQL
 * keeps a common surname (a thousand candidates) cheap.
 */
async function claimantCandidates(db: DbOrTx, names: readonly string[], where?: SQL): Promise<{ candidates: Candidate[][]; folded: string[] }> {
  const perName: CandidateRow[][] = names.map(() => []);
  const folded: string[] = names.map(() => '');
  for (let start = 0; start < names.length; start += NAMES_PER_LOOKUP) {
    // The names' keys are computed once, in their own step: in a prepared statement's generic
    // plan, `lookup_key %> claimledger_name_key(…)` would fold and transliterate a name again
    // for every candidate the index returns. A left join: a name without candidates still
    // brings back its folded form. Names come as JSON (parsed natively), not as a text[]
    // (parsed character by character).
    const query = sql`
      with k as materialized (
        select n.ord::int - 1 as n, claimledger_name_key(n.name) as key, claimledger_fold(n.name) as q
          from unnest(${sql.param(names.slice(start, start + NAMES_PER_LOOKUP))}::text[]) with ordinality as n(name, ord))
      select k.n, ${claimants.id} as id, to_json(${claimants.lookup_names}) as names, k.q
        from k left join ${claimants} on ${claimants.lookup_key} %> k.key${where ? sql` and ${where}` : sql``}`;
    // Without filters the statement text is always the same: prepared once per connection.
    const rows = await executeNamed<Omit<CandidateRow, 'id'> & { id: string | null; n: number }>(db, where ? undefined : 'claimledger_claimant_candidates', query);
    for (const r of rows) {
      const at = start + Number(r.n);
      folded[at] = r.q;
      if (r.id !== null) perName[at].push({ ...r, id: r.id });
    }
  }
  return { candidates: await rankCandidates(db, perName), folded };
}

/** Names looked up by one statement: a window of common surnames stays well inside the statement timeout. */
const NAMES_PER_LOOKUP = 200;

interface Candidate {
  id: string;
  index: number;
  score: number;
  order: number;
}

/**
 * Each query's candidate rows scored by their best name, best first. At equal score the
 * claimant more attributions name comes first ("obama": Barack Obama before Obama Girl):
 * its order value is the score plus less than 1e-5 for use. Scores are rounded to 1e-4, so
 * use only ever breaks ties, and the rank cursor (score, id) keeps working on the order value.
 */
async function rankCandidates(db: DbOrTx, perQuery: readonly CandidateRow[][]): Promise<Candidate[][]> {
  const ranked = perQuery.map((rows) => {
    if (rows.length === 0) return [];
    const prepared = prepareNameQuery(rows[0].q);
    return rows.map((r) => {
      const best = bestName(prepared, r.names);
      return { id: r.id, index: best.index, score: best.score, order: best.score };
    });
  });
  const tied = ranked.flatMap((scored) => {
    const perScore = new Map<number, number>();
    for (const c of scored) perScore.set(c.score, (perScore.get(c.score) ?? 0) + 1);
    return scored.filter((c) => perScore.get(c.score)! > 1);
  });
  if (tied.length) {
    const uses = new Map(
      rowsOf<{ id: string; n: number }>(
        await db.execute(sql`select claimant_id::text as id, count(*)::int as n from attributions
                               where claimant_id = any(${sql.param([...new Set(tied.map((c) => c.id))])}::uuid[]) group by claimant_id`),
      ).map((r) => [r.id, Number(r.n)]),
    );
    for (const c of tied) {
      const n = uses.get(c.id) ?? 0;
      c.order = c.score + USE_TIE_BREAK * (n / (n + 1));
    }
  }
  return ranked.map((scored) => scored.sort((a, b) => b.order - a.order || (a.id < b.id ? 1 : -1)));
}

const USE_TIE_BREAK = 0.00001;

/** `claimant_name` reuses an existing claimant only at this score: the same name or alias, or a spelling variant of it. */
export const RESOLVE_MIN_SCORE = 0.95;

export interface ClaimantHit extends ClaimantRow {
  matched: string;
  score: number;
}

/**
 * The best existing claimant for each of several names, by the same matcher and
 * score as lookup and `claimant_name` (extraction's speakers): the names looked up
 * together, then one query for the rows.
 */
export async function bestClaimantsFor(db: DbOrTx, names: string[]): Promise<Map<string, ClaimantHit>> {
  const distinct = [...new Set(names.map((n) => n.trim()).filter(Boolean))];
  const { candidates } = await claimantCandidates(db, distinct);
  const best = new Map(distinct.flatMap((name, i) => (candidates[i][0] ? [[name, candidates[i][0]] as const] : [])));
  const out = new Map<string, ClaimantHit>();
  if (best.size === 0) return out;
  const rows = await db.select(claimantColumns).from(claimants).where(anyOf(claimants.id, [...new Set([...best.values()].map((h) => h.id))]));
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const [name, hit] of best) {
    const row = byId.get(hit.id);
    if (row) out.set(name, { ...row, matched: [row.name, ...row.aliases][hit.index] ?? row.name, score: hit.score });
  }
  return out;
}

/** `GET /v1/claimants?q=`: best first, each hit with `matched` and `score`; keyset on (score, id). */
async function searchClaimants(db: Db, q: string, filters: (SQL | undefined)[], params: ClaimantListParams) {
  const limit = params.limit ?? 50;
  const at = params.cursor ? decodeRankCursor('claimants', params.cursor, q, SCORE_SORT) : undefined;
  const {
    candidates: [candidates],
  } = await claimantCandidates(db, [q], and(...filters));
  const after = at ? candidates.filter((c) => c.order < at.v || (c.order === at.v && c.id < at.id)) : candidates;
  const pageHits = after.slice(0, limit);
  const rows = pageHits.length
    ? await executeNamed<ClaimantRow>(
        db,
        'claimledger_claimants_by_ids',
        sql`select ${sql.join(Object.values(claimantColumns), sql`, `)} from ${claimants} where ${claimants.id} = any(${sql.param(pageHits.map((h) => h.id))}::uuid[])`,
      )
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const data: ClaimantHit[] = pageHits.flatMap((h) => {
    const row = byId.get(h.id);
    return row ? [{ ...row, matched: [row.name, ...row.aliases][h.index] ?? row.name, score: h.score }] : [];
  });
  const last = pageHits[pageHits.length - 1];
  const page: { data: ClaimantHit[]; next_cursor: string | null; total?: number } = {
    data,
    next_cursor: after.length > limit ? encodeRankCursor('claimants', q, { t: 1, w: null, v: last.order, id: last.id }, SCORE_SORT) : null,
  };
  if (params.count) page.total = candidates.length;
  return page;
}

/** How `claimant_name` found its claimant, as attributions report it. */
export interface ClaimantResolution {
  /** `matched`: an existing claimant; `created`: a new one of this name. */
  status: 'matched' | 'created';
  claimant_id: string;
  /** The name or alias that matched (matched only). */
  matched_name?: string;
  /** Lookup score of the best existing claimant (0–1), null when there was none. */
  score: number | null;
  /** `same_name`: the name, an alias or a transliteration of one (score ≥ 0.95); `misspelling`: one letter off in one long word, with no close rival; `no_close_match`: created. */
  rule: 'same_name' | 'misspelling' | 'no_close_match';
}

/** A misspelling is reused only when no other claimant scores within this of the best one. */
export const MISSPELLING_MARGIN = 0.1;

/**
 * `claimant_name` on attributions: the best lookup hit when it is the same name or
 * alias (ignoring case, accents, punctuation and word order) or a spelling variant
 * of one (score ≥ RESOLVE_MIN_SCORE); or when it is a misspelling of one
 * (domain/matching-names.ts `isMisspelling`: "Hilary Clinton") and no other
 * claimant comes within MISSPELLING_MARGIN of it; else a new claimant. A part of a
 * name ("Lindqvist") or another first name ("Anna" for "Ana") is not enough:
 * merging two people loses provenance, a duplicate can be merged later. A
 * transaction-scoped advisory lock on each name's key (its words sorted) keeps two
 * concurrent requests from creating the same person twice.
 */
export async function resolveClaimantByName(w: Write, name: string): Promise<ClaimantResolution> {
  return (await resolveClaimantNames(w, [name]))[0];
}

/**
 * `claimant_name` for many names at once (one resolution per name, in order), as
 * `resolveClaimantByName` decides each: the name locks in one statement (in key
 * order, so two writers never wait in a circle), the candidates of all distinct names
 * looked up together, and the new claimants created together (`createClaimants`). A name that is the same
 * as, or a clear misspelling of, a name created earlier in the same set reuses
 * that claimant, as it would had they come one after the other.
 */
export async function resolveClaimantNames(w: Write, names: readonly string[]): Promise<ClaimantResolution[]> {
  const { tx } = w;
  const distinct = [...new Set(names)];
  if (distinct.length === 0) return [];
  // Each name's key is its words sorted; the keys' buckets lock in order (lock-order.ts).
  const nameKeys = sql`(select array_to_string(array(select w from regexp_split_to_table(claimledger_name_key(n), '[^a-z0-9]+') w order by w), ' ') as key
                          from unnest(${sql.param(distinct)}::text[]) as n) as named`;
  await tx.execute(sql`select pg_advisory_xact_lock(${GUARD.names}::int, k) from (${guardBuckets(nameKeys)}) as keys`);
  const found = await claimantCandidates(tx, distinct);
  const hits = new Map(distinct.map((name, i) => [name, found.candidates[i]]));
  const folded = new Map(distinct.map((name, i) => [name, found.folded[i]]));
  const bestIds = [...new Set([...hits.values()].flatMap(([best]) => (best ? [best.id] : [])))];
  const bestRows = new Map(
    bestIds.length
      ? (await tx.select({ id: claimants.id, name: claimants.name, aliases: claimants.aliases, folded: claimants.lookup_names }).from(claimants).where(anyOf(claimants.id, bestIds))).map(
          (r) => [r.id, r],
        )
      : [],
  );
  const resolved = new Map<string, ClaimantResolution>();
  /** Names to create, each with its folded name, in order; `row` indexes `toCreate`. */
  const toCreate: { name: string; tidy: string; folded: string }[] = [];
  const createdAs = new Map<string, number>();
  for (const name of distinct) {
    const [best, second] = hits.get(name)!;
    const q = folded.get(name)!;
    if (best) {
      const row = bestRows.get(best.id)!;
      const matched = { status: 'matched' as const, claimant_id: best.id, matched_name: [row.name, ...row.aliases][best.index] ?? row.name, score: best.score };
      const clear = !second || best.score - second.score >= MISSPELLING_MARGIN;
      if (best.score >= RESOLVE_MIN_SCORE) resolved.set(name, { ...matched, rule: 'same_name' });
      else if (clear && isMisspelling(q, row.folded[best.index] ?? '')) resolved.set(name, { ...matched, rule: 'misspelling' });
      if (resolved.has(name)) continue;
    }
    // A new claimant of this set, as lookup would have found it had it been committed already.
    const query = prepareNameQuery(q);
    const earlier = toCreate
      .map((c, i) => ({ i, ...bestName(query, [c.folded]) }))
      .filter((c) => c.score > (best?.score ?? -1))
      .sort((x, y) => y.score - x.score);
    const [near, rival] = earlier;
    const nearClear = near && (!rival || near.score - rival.score >= MISSPELLING_MARGIN) && (!best || near.score - best.score >= MISSPELLING_MARGIN);
    if (near && (near.score >= RESOLVE_MIN_SCORE || (nearClear && isMisspelling(q, toCreate[near.i].folded)))) {
      createdAs.set(name, near.i);
      resolved.set(name, {
        status: 'matched',
        claimant_id: '',
        matched_name: toCreate[near.i].tidy,
        score: near.score,
        rule: near.score >= RESOLVE_MIN_SCORE ? 'same_name' : 'misspelling',
      });
      continue;
    }
    createdAs.set(name, toCreate.length);
    toCreate.push({ name, tidy: name.trim().replace(/\s+/g, ' '), folded: q });
    resolved.set(name, { status: 'created', claimant_id: '', score: best?.score ?? null, rule: 'no_close_match' });
  }
  const { created } = await createClaimants(w, toCreate.map((c) => ({ body: { name: c.tidy } })));
  for (const [name, index] of createdAs) resolved.get(name)!.claimant_id = created[index]!.id;
  // The same name again finds the claimant its first occurrence created.
  const seen = new Set<string>();
  return names.map((name) => {
    const first = resolved.get(name)!;
    const again = seen.has(name) && first.status === 'created';
    seen.add(name);
    return again ? { status: 'matched', claimant_id: first.claimant_id, matched_name: toCreate[createdAs.get(name)!].tidy, score: 1, rule: 'same_name' } : { ...first };
  });
}

export async function getClaimant(db: DbOrTx, id: string, options: { forUpdate?: boolean } = {}): Promise<ClaimantRow> {
  const query = db.select(claimantColumns).from(claimants).where(eq(claimants.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  if (!row) throw notFound('claimant', id);
  return row;
}

/** The WHERE conditions of the claimant list filters, shared by the list and the export. */
export function claimantFilters(params: ClaimantListParams): (SQL | undefined)[] {
  return [
    params.kind ? eq(claimants.kind, params.kind) : undefined,
    params.wikidata_id ? eq(claimants.wikidata_id, params.wikidata_id) : undefined,
    params.name ? sameName(params.name) : undefined,
    params.q !== undefined ? sql`${claimants.lookup_key} %> claimledger_name_key(${params.q})` : undefined,
  ];
}

export async function listClaimants(db: Db, params: ClaimantListParams) {
  if (params.q !== undefined && (params.sort === undefined || params.sort === SCORE_SORT)) {
    return searchClaimants(db, params.q, claimantFilters({ ...params, q: undefined }), params);
  }
  if (params.sort === SCORE_SORT) throw rankNeedsQ(SCORE_SORT);
  const filters = claimantFilters(params);
  return paginate({
    filters,
    sort: resolveSort(params.sort ?? '-created_at', sortFields),
    id: claimants.id,
    cursor: params.cursor,
    limit: params.limit ?? 50,
    fetch: (where, order, limit) => db.select(claimantColumns).from(claimants).where(where).orderBy(...order).limit(limit),
    count: params.count ? async (where) => (await db.select({ n: count() }).from(claimants).where(where))[0].n : undefined,
  });
}

export async function updateClaimant(w: Write, id: string, patch: ClaimantPatchBody, ifMatch?: string): Promise<ClaimantRow> {
  const { tx } = w;
  await awaitTurnToChange(tx, 'claimants', id); // lock-order.ts
  const before = await getClaimant(tx, id, { forUpdate: true });
  assertIfMatch(ifMatch, before.version);
  if (patch.wikidata_id !== undefined) await refuseTakenWikidata(tx, patch.wikidata_id, id);
  const changed = hasChanges(before, patch);
  if (!changed) return before;
  const [after] = await tx
    .update(claimants)
    .set({ ...patch, version: sql`${claimants.version} + 1`, updated_at: new Date() })
    .where(eq(claimants.id, id))
    .returning(claimantColumns);
  await w.recordUpdate('claimant', id, before, after);
  return after;
}

export async function deleteClaimant(w: Write, id: string, cascade: boolean, ifMatch?: string): Promise<void> {
  const { tx } = w;
  await awaitTurnToChange(tx, 'claimants', id); // lock-order.ts
  const before = await getClaimant(tx, id, { forUpdate: true });
  assertIfMatch(ifMatch, before.version);
  if (await isReferenced(tx, { claimantId: id })) {
    if (!cascade) throw new ApiError('in_use', 'Attributions name this claimant; pass cascade=true to delete them with it.');
    await deleteAttributionsOf(w, { claimantId: id });
  }
  await tx.delete(claimants).where(eq(claimants.id, id));
  await w.record({ action: 'deleted', entityType: 'claimant', entityId: id, before });
}
