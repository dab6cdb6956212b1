import { and, asc, eq, gt, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { events } from '../../db/schema.js';
import type { EntityType } from '../../db/write.js';

export type { EntityType } from '../../db/write.js';

/**
 * The change feed: events after `after`, ascending. Because events are numbered
 * in commit order (see Write.flushToLog), `seq > after` never skips one. API key
 * events are left out unless `withKeyEvents` (they are for admin keys only).
 */
export async function listEvents(
  db: Db,
  params: { after?: number; limit?: number; type?: string; entity_type?: EntityType; entity_id?: string; withKeyEvents?: boolean },
) {
  const after = params.after ?? 0;
  const rows = await db
    .select({
      seq: events.seq,
      id: events.id,
      type: events.type,
      entity_type: events.entity_type,
      entity_id: events.entity_id,
      key_id: events.key_id,
      request_id: events.request_id,
      occurred_at: events.occurred_at,
      before: events.before,
      after: events.after,
    })
    .from(events)
    .where(
      and(
        gt(events.seq, after),
        params.type ? eq(events.type, params.type) : undefined,
        params.entity_type ? eq(events.entity_type, params.entity_type) : undefined,
        params.entity_id ? eq(events.entity_id, params.entity_id) : undefined,
        params.withKeyEvents ? undefined : ne(events.entity_type, 'api_key'),
      ),
    )
    .orderBy(asc(events.seq))
    .limit(params.limit ?? 100);
  return { data: rows, next_after: rows.length ? rows[rows.length - 1].seq : after };
}

/** Whether the entity ever existed, i.e. has at least one event. */
export async function hasHistory(db: Db, entityType: EntityType, entityId: string): Promise<boolean> {
  const [row] = await db
    .select({ seq: events.seq })
    .from(events)
    .where(and(eq(events.entity_type, entityType), eq(events.entity_id, entityId)))
    .limit(1);
  return Boolean(row);
}
