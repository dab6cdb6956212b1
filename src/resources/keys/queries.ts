import { count, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { apiKeys } from '../../db/schema.js';
import type { Actor } from '../../lib/actor.js';
import { notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { displayParts, generateSecret, hashSecret, type Scope } from '../../lib/keys.js';
import { paginate, resolveSort, type SortField } from '../../lib/pagination.js';
import { recordEvent, writeTransaction } from '../events/queries.js';
import type { ApiKeyCreateBody, ApiKeyListParams } from './schemas.js';

type KeyRow = typeof apiKeys.$inferSelect;

/** A key as the API shows it: never its hash. */
export function publicKey(row: KeyRow) {
  const { secret_hash: _hash, ...rest } = row;
  return rest;
}

const sortFields: Record<string, SortField> = {
  created_at: { column: apiKeys.created_at, cast: 'timestamptz', nullable: false },
  name: { column: apiKeys.name, cast: 'text', nullable: false },
};

export async function createKey(
  tx: DbOrTx,
  actor: Actor,
  body: ApiKeyCreateBody,
  secret = generateSecret(),
): Promise<ReturnType<typeof publicKey> & { secret: string }> {
  const now = new Date();
  const [row] = await tx
    .insert(apiKeys)
    .values({
      id: newId(),
      name: body.name,
      scopes: [...new Set(body.scopes)],
      secret_hash: hashSecret(secret),
      ...displayParts(secret),
      expires_at: body.expires_at ? new Date(body.expires_at) : null,
      created_at: now,
      updated_at: now,
    })
    .returning();
  await recordEvent(tx, actor, { action: 'created', entityType: 'api_key', entityId: row.id, after: publicKey(row) });
  return { ...publicKey(row), secret };
}

export async function listKeys(db: Db, params: ApiKeyListParams) {
  const filters: (SQL | undefined)[] = [params.include_revoked ? undefined : isNull(apiKeys.revoked_at)];
  const page = await paginate({
    filters,
    sort: resolveSort(params.sort ?? '-created_at', sortFields),
    id: apiKeys.id,
    cursor: params.cursor,
    limit: params.limit ?? 50,
    fetch: (where, order, limit) => db.select().from(apiKeys).where(where).orderBy(...order).limit(limit),
    count: params.count ? async (where) => (await db.select({ n: count() }).from(apiKeys).where(where))[0].n : undefined,
  });
  return { ...page, data: page.data.map(publicKey) };
}

/** Revoking is permanent and idempotent; the row stays for the audit trail. */
export async function revokeKey(tx: DbOrTx, actor: Actor, id: string): Promise<void> {
  const [before] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for('update');
  if (!before) throw notFound('API key', id);
  if (before.revoked_at) return;
  const [after] = await tx
    .update(apiKeys)
    .set({ revoked_at: new Date(), updated_at: new Date(), version: sql`${apiKeys.version} + 1` })
    .where(eq(apiKeys.id, id))
    .returning();
  await recordEvent(tx, actor, {
    action: 'updated',
    entityType: 'api_key',
    entityId: id,
    before: { revoked_at: null },
    after: { revoked_at: after.revoked_at },
  });
}

export interface KnownKey {
  id: string;
  scopes: Scope[];
  expiresAt: Date | null;
  revoked: boolean;
}

export async function findKeyBySecret(db: Db, secret: string): Promise<KnownKey | undefined> {
  const [row] = await db
    .select({ id: apiKeys.id, scopes: apiKeys.scopes, expires_at: apiKeys.expires_at, revoked_at: apiKeys.revoked_at })
    .from(apiKeys)
    .where(eq(apiKeys.secret_hash, hashSecret(secret)));
  return row && { id: row.id, scopes: row.scopes as Scope[], expiresAt: row.expires_at, revoked: row.revoked_at !== null };
}

/** One UPDATE for all keys used since the last flush, instead of a write per request. */
export async function recordKeyUse(db: Db, lastUse: Map<string, Date>): Promise<void> {
  if (lastUse.size === 0) return;
  const entries = [...lastUse.entries()];
  lastUse.clear();
  const newest = new Date(Math.max(...entries.map(([, d]) => d.getTime())));
  await db
    .update(apiKeys)
    .set({ last_used_at: sql`greatest(coalesce(${apiKeys.last_used_at}, ${newest}), ${newest})` })
    .where(inArray(apiKeys.id, entries.map(([id]) => id)));
}

// Serialises key bootstrap across processes that start together.
const BOOTSTRAP_LOCK = 4_242_003;

/**
 * At start: `CLAIMLEDGER_ADMIN_KEY` guarantees an admin key with that secret;
 * without it, an empty key table gets one new admin key whose secret is
 * returned (to print once). Returns the new secret when one was generated.
 */
export async function bootstrapKeys(db: Db, adminSecret: string | undefined): Promise<string | undefined> {
  const system: Actor = { keyId: null, requestId: 'startup' };
  return writeTransaction(db, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
    if (adminSecret) {
      const [existing] = await tx.select().from(apiKeys).where(eq(apiKeys.secret_hash, hashSecret(adminSecret)));
      if (!existing) {
        await createKey(tx, system, { name: 'CLAIMLEDGER_ADMIN_KEY', scopes: ['admin'] }, adminSecret);
      } else if (existing.revoked_at || !existing.scopes.includes('admin') || (existing.expires_at && existing.expires_at < new Date())) {
        // The operator's setting wins: the key it names is an unexpired admin key.
        await tx
          .update(apiKeys)
          .set({ revoked_at: null, expires_at: null, scopes: ['admin'], updated_at: new Date(), version: sql`${apiKeys.version} + 1` })
          .where(eq(apiKeys.id, existing.id));
      }
      return undefined;
    }
    const [{ n }] = await tx.select({ n: count() }).from(apiKeys);
    if (n > 0) return undefined;
    const created = await createKey(tx, system, { name: 'first admin key', scopes: ['admin'] });
    return created.secret;
  });
}

