import { isDeepStrictEqual } from 'node:util';

/** A row as the change log keeps it. */
export type Snapshot = Record<string, unknown>;

/**
 * Whether applying `changes` would alter `before`. Deep equality, not JSON text:
 * PostgreSQL returns jsonb objects with their keys reordered.
 */
export function hasChanges<T extends object>(before: T, changes: object): boolean {
  return Object.entries(changes).some(([k, v]) => !isDeepStrictEqual(before[k as keyof T], v));
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
