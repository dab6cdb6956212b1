import { count, eq, sql, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { claimants, type ClaimantRow } from '../../db/schema.js';
import type { Actor } from '../../lib/actor.js';
import { assertIfMatch } from '../../lib/conditional.js';
import { ApiError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { paginate, resolveSort, type SortField } from '../../lib/pagination.js';
import { recordEvent, recordUpdate } from '../events/queries.js';
import { deleteAttributionsOf, isReferenced } from '../attributions/queries.js';
import type { ClaimantCreateBody, ClaimantListParams, ClaimantPatchBody } from './schemas.js';

const sortFields: Record<string, SortField> = {
  created_at: { column: claimants.created_at, cast: 'timestamptz', nullable: false },
  updated_at: { column: claimants.updated_at, cast: 'timestamptz', nullable: false },
  name: { column: claimants.name, cast: 'text', nullable: false },
};

/** Names compare ignoring case, accents and surrounding/double spaces. */
const folded = (value: SQL | string) => sql`lower(unaccent(regexp_replace(btrim(${value}), '\\s+', ' ', 'g')))`;

function sameName(name: string): SQL {
  const wanted = folded(name);
  return sql`(${folded(sql`${claimants.name}`)} = ${wanted} or exists (select 1 from unnest(${claimants.aliases}) as alias where ${folded(sql`alias`)} = ${wanted}))`;
}

async function refuseTakenWikidata(tx: DbOrTx, wikidataId: string | null | undefined, exceptId?: string) {
  if (!wikidataId) return;
  const [taken] = await tx.select({ id: claimants.id }).from(claimants).where(eq(claimants.wikidata_id, wikidataId)).limit(1);
  if (taken && taken.id !== exceptId) {
    throw new ApiError('conflict', `A claimant with wikidata_id ${wikidataId} already exists.`, {
      existing_id: taken.id,
      errors: [{ path: 'body.wikidata_id', message: 'is already used by another claimant' }],
    });
  }
}

/** `options.id`: create with this id instead of a new one (bulk import of exported rows). */
export async function createClaimant(tx: DbOrTx, actor: Actor, body: ClaimantCreateBody, options: { id?: string } = {}): Promise<ClaimantRow> {
  await refuseTakenWikidata(tx, body.wikidata_id);
  const now = new Date();
  const [row] = await tx
    .insert(claimants)
    .values({
      id: options.id ?? newId(),
      name: body.name,
      kind: body.kind ?? 'unknown',
      aliases: body.aliases ?? [],
      description: body.description ?? null,
      wikidata_id: body.wikidata_id ?? null,
      url: body.url ?? null,
      created_at: now,
      updated_at: now,
    })
    .returning();
  await recordEvent(tx, actor, { action: 'created', entityType: 'claimant', entityId: row.id, after: row });
  return row;
}

/**
 * `claimant_name` on attributions: the existing claimant whose name or alias is
 * the same (ignoring case and accents), else a new one. A transaction-scoped
 * advisory lock on the folded name keeps two concurrent requests from creating
 * the same person twice.
 */
export async function resolveClaimantByName(tx: DbOrTx, actor: Actor, name: string): Promise<string> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${folded(name)}))`);
  const [existing] = await tx
    .select({ id: claimants.id })
    .from(claimants)
    .where(sameName(name))
    .orderBy(sql`${folded(sql`${claimants.name}`)} = ${folded(name)} desc`, claimants.id)
    .limit(1);
  if (existing) return existing.id;
  const created = await createClaimant(tx, actor, { name: name.trim().replace(/\s+/g, ' ') });
  return created.id;
}

export async function getClaimant(db: DbOrTx, id: string, options: { forUpdate?: boolean } = {}): Promise<ClaimantRow> {
  const query = db.select().from(claimants).where(eq(claimants.id, id));
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
  ];
}

export async function listClaimants(db: Db, params: ClaimantListParams) {
  const filters = claimantFilters(params);
  return paginate({
    filters,
    sort: resolveSort(params.sort ?? '-created_at', sortFields),
    id: claimants.id,
    cursor: params.cursor,
    limit: params.limit ?? 50,
    fetch: (where, order, limit) => db.select().from(claimants).where(where).orderBy(...order).limit(limit),
    count: params.count ? async (where) => (await db.select({ n: count() }).from(claimants).where(where))[0].n : undefined,
  });
}

export async function updateClaimant(tx: DbOrTx, actor: Actor, id: string, patch: ClaimantPatchBody, ifMatch?: string): Promise<ClaimantRow> {
  const before = await getClaimant(tx, id, { forUpdate: true });
  assertIfMatch(ifMatch, before.version);
  if (patch.wikidata_id !== undefined) await refuseTakenWikidata(tx, patch.wikidata_id, id);
  const changed = Object.entries(patch).some(([k, v]) => JSON.stringify(before[k as keyof ClaimantRow]) !== JSON.stringify(v));
  if (!changed) return before;
  const [after] = await tx
    .update(claimants)
    .set({ ...patch, version: sql`${claimants.version} + 1`, updated_at: new Date() })
    .where(eq(claimants.id, id))
    .returning();
  await recordUpdate(tx, actor, 'claimant', id, before, after);
  return after;
}

export async function deleteClaimant(tx: DbOrTx, actor: Actor, id: string, cascade: boolean, ifMatch?: string): Promise<void> {
  const before = await getClaimant(tx, id, { forUpdate: true });
  assertIfMatch(ifMatch, before.version);
  if (await isReferenced(tx, { claimantId: id })) {
    if (!cascade) throw new ApiError('in_use', 'Attributions name this claimant; pass cascade=true to delete them with it.');
    await deleteAttributionsOf(tx, actor, { claimantId: id });
  }
  await tx.delete(claimants).where(eq(claimants.id, id));
  await recordEvent(tx, actor, { action: 'deleted', entityType: 'claimant', entityId: id, before });
}
