import { isDeepStrictEqual } from 'node:util';
import type { DbOrTx } from '../../db/client.js';
import { events } from '../../db/schema.js';
import type { Actor } from '../../lib/actor.js';
import { newId } from '../../lib/ids.js';

export type EntityType = 'source' | 'claimant' | 'claim' | 'attribution' | 'review' | 'api_key';
export type Snapshot = Record<string, unknown>;

/**
 * Appends one entry to the change log. Callers pass their transaction, so the
 * event commits or rolls back with the change it describes.
 */
export async function recordEvent(
  tx: DbOrTx,
  actor: Actor,
  event: { action: 'created' | 'updated' | 'deleted'; entityType: EntityType; entityId: string; before?: Snapshot | null; after?: Snapshot | null },
): Promise<void> {
  await tx.insert(events).values({
    id: newId(),
    type: `${event.entityType}.${event.action}`,
    entity_type: event.entityType,
    entity_id: event.entityId,
    key_id: actor.keyId,
    request_id: actor.requestId,
    before: event.before ? jsonSafe(event.before) : null,
    after: event.after ? jsonSafe(event.after) : null,
  });
}

/** The fields that differ, before and after; null when nothing changed. */
export function changedFields(before: Snapshot, after: Snapshot): { before: Snapshot; after: Snapshot } | null {
  const b: Snapshot = {};
  const a: Snapshot = {};
  for (const key of Object.keys(after)) {
    if (key === 'version' || key === 'updated_at') continue;
    if (!isDeepStrictEqual(before[key], after[key])) {
      b[key] = before[key] ?? null;
      a[key] = after[key] ?? null;
    }
  }
  return Object.keys(a).length ? { before: b, after: a } : null;
}

/** Dates become RFC 3339 strings, as clients see them in the API. */
function jsonSafe(snapshot: Snapshot): Snapshot {
  return JSON.parse(JSON.stringify(snapshot));
}

/** Records an update when something changed; returns whether it did. */
export async function recordUpdate(tx: DbOrTx, actor: Actor, entityType: EntityType, entityId: string, before: Snapshot, after: Snapshot) {
  const diff = changedFields(before, after);
  if (diff) await recordEvent(tx, actor, { action: 'updated', entityType, entityId, ...diff });
  return diff !== null;
}
