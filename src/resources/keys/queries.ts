import { count, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { withWrite, type Write } from '../../db/write.js';
import type { Actor } from '../../lib/actor.js';
import { anyOf, type Db } from '../../db/client.js';
import { apiKeys } from '../../db/schema.js';
import { ApiError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { displayParts, generateSecret, hashSecret, type Scope } from '../../lib/keys.js';
import { paginate, resolveSort, type SortField } from '../../db/pagination.js';
import { announceCreation, announceRevocation, type Revocation } from './changes.js';
import type { ApiKeyCreateBody, ApiKeyListParams } from './schemas.js';
import { InputProblem } from '../../lib/row-failures.js';
import { instant } from '../../lib/instants.js';

type KeyRow = typeof apiKeys.$inferSelect;

/** A key as the API shows it: never its hash. */
export function publicKey(row: KeyRow) {
  const { secret_hash: _hash, ...rest } = row;
  return rest;
}

/** A key as the change log records it: neither its hash nor the characters of the secret that lists show. */
function eventSnapshot(row: KeyRow) {
  const { secret_hash: _hash, prefix: _prefix, last4: _last4, ...rest } = row;
  return rest;
}

/**
 * A failed statement's error carries its parameters (drizzle writes them into the
 * message), and the parameters of key queries are secret hashes, which must not
 * reach a log. The error passed on keeps the driver's message and SQLSTATE: all
 * the error handler needs to answer 503, 409 or 500.
 */
async function withoutParameters<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError || err instanceof InputProblem || err instanceof KeyQueryError) throw err;
    // drizzle's own error (it has the `query`) wraps the driver's; others are the driver's.
    const e = err as { cause?: { message?: unknown; code?: unknown }; query?: unknown; message?: unknown; code?: unknown };
    const driver = 'query' in e ? e.cause : e;
    throw new KeyQueryError(typeof driver?.message === 'string' ? `${what} failed: ${driver.message}` : `${what} failed`, driver?.code);
  }
}

class KeyQueryError extends Error {
  override name = 'KeyQueryError';
  readonly code?: string;
  constructor(message: string, code: unknown) {
    super(message);
    if (typeof code === 'string') this.code = code;
  }
}

const sortFields: Record<string, SortField> = {
  created_at: { column: apiKeys.created_at, cast: 'timestamptz', nullable: false },
  name: { column: apiKeys.name, cast: 'text', nullable: false },
};

export async function createKey(w: Write,
  body: ApiKeyCreateBody,
  secret = generateSecret(),
): Promise<ReturnType<typeof publicKey> & { secret: string }> {
  const { tx } = w;
  const now = new Date();
  if (body.expires_at && instant(body.expires_at).getTime() <= now.getTime()) {
    throw new InputProblem({
      field: 'expires_at',
      code: 'validation_failed',
      message: 'must be in the future',
      detail: 'expires_at must be in the future: a key that has already expired could never be used.',
    });
  }
  const [row] = await withoutParameters('creating an API key', () =>
    tx
      .insert(apiKeys)
      .values({
        id: newId(),
        name: body.name,
        scopes: [...new Set(body.scopes)],
        secret_hash: hashSecret(secret),
        ...displayParts(secret),
        expires_at: body.expires_at ? instant(body.expires_at) : null,
        created_at: now,
        updated_at: now,
      })
      .returning(),
  );
  await w.record({ action: 'created', entityType: 'api_key', entityId: row.id, after: eventSnapshot(row) });
  await announceCreation(tx);
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

/**
 * Revoking is permanent and idempotent; the row stays for the audit trail. Every
 * API process hears of it when the transaction commits; the caller waits for them
 * with the returned revocation (undefined: the key was already revoked).
 */
export async function revokeKey(w: Write, id: string): Promise<Revocation | undefined> {
  const { tx } = w;
  const [before] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for('update');
  if (!before) throw notFound('API key', id);
  if (before.revoked_at) return undefined;
  const [after] = await tx
    .update(apiKeys)
    .set({ revoked_at: new Date(), updated_at: new Date(), version: sql`${apiKeys.version} + 1` })
    .where(eq(apiKeys.id, id))
    .returning();
  await w.record({
    action: 'updated',
    entityType: 'api_key',
    entityId: id,
    before: { revoked_at: null },
    after: { revoked_at: after.revoked_at },
  });
  return announceRevocation(tx, id);
}

export interface KnownKey {
  id: string;
  scopes: Scope[];
  expiresAt: Date | null;
  revoked: boolean;
}

export async function findKeyBySecret(db: Db, secret: string): Promise<KnownKey | undefined> {
  const [row] = await withoutParameters('looking up an API key', () =>
    db
      .select({ id: apiKeys.id, scopes: apiKeys.scopes, expires_at: apiKeys.expires_at, revoked_at: apiKeys.revoked_at })
      .from(apiKeys)
      .where(eq(apiKeys.secret_hash, hashSecret(secret))),
  );
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
    .where(anyOf(apiKeys.id, entries.map(([id]) => id)));
}

// Serialises key bootstrap across processes that start together.
const BOOTSTRAP_LOCK = 4_242_003;

export const REVOKED_ADMIN_KEY_NOTICE = 'CLAIMLEDGER_ADMIN_KEY names a revoked key; it stays revoked';

/**
 * At start: `CLAIMLEDGER_ADMIN_KEY` creates an admin key with that secret the
 * first time; a key once created is never changed by the setting again, so one
 * revoked stays revoked (`warn` says so). Without the setting, an empty key table
 * gets one new admin key whose secret is returned (to print once).
 */
export async function bootstrapKeys(db: Db, adminSecret: string | undefined, warn: (message: string) => void = () => {}): Promise<string | undefined> {
  const system: Actor = { keyId: null, requestId: 'startup' };
  return withoutParameters('preparing the API keys', () =>
    withWrite(db, system, async (w) => {
      const { tx } = w;
      await tx.execute(sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
      if (adminSecret) {
        const [existing] = await tx.select({ revoked_at: apiKeys.revoked_at }).from(apiKeys).where(eq(apiKeys.secret_hash, hashSecret(adminSecret)));
        if (!existing) await createKey(w, { name: 'CLAIMLEDGER_ADMIN_KEY', scopes: ['admin'] }, adminSecret);
        else if (existing.revoked_at) warn(REVOKED_ADMIN_KEY_NOTICE);
        return undefined;
      }
      const [{ n }] = await tx.select({ n: count() }).from(apiKeys);
      if (n > 0) return undefined;
      const created = await createKey(w, { name: 'first admin key', scopes: ['admin'] });
      return created.secret;
    }),
  );
}
