import { Type } from 'typebox';
import { InputProblem } from './row-failures.js';

/**
 * What every list shares of its parameters and cursors: page sizes, the list
 * query properties, and opening a cursor (db/pagination.ts builds the queries).
 */

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Query parameters every list takes. */
export function listQueryProperties(sortNames: string[], defaultSort: string) {
  const sorts = sortNames.flatMap((n) => [n, `-${n}`]);
  return {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: `Rows per page, 1–${MAX_LIMIT}.` })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'The `next_cursor` of the previous page.' })),
    sort: Type.Optional(Type.Enum(sorts, { default: defaultSort, description: 'Field to sort by; `-` prefix for descending. Ties are broken by `id`.' })),
    count: Type.Optional(Type.Boolean({ default: false, description: 'Add `total`, the number of rows matching the filters.' })),
  };
}

/**
 * Decodes a cursor and checks what every cursor carries — the id of the row it
 * follows, the list and the sort it was made for — and returns its payload for the
 * caller to check the rest. Plain and ranked lists share it.
 */
export function openCursor<P extends { l?: unknown; s?: unknown; id?: unknown }>(cursor: string, list: string, sort: string): P & { id: string } {
  let payload: P;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor('cannot be decoded');
  }
  if (!payload || typeof payload !== 'object' || typeof payload.id !== 'string' || !UUID.test(payload.id)) {
    throw invalidCursor('cannot be decoded');
  }
  if (payload.l !== list) throw invalidCursor('belongs to another list');
  if (payload.s !== sort) throw invalidCursor(`was made for sort=${String(payload.s)}; pass the same sort or start again`);
  return payload as P & { id: string };
}

export const invalidCursor = (why: string) => new InputProblem({ field: 'cursor', code: 'invalid_cursor', message: why, detail: `The cursor ${why}.` });

