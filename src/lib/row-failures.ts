import { ApiError, type ProblemCode } from './errors.js';

/**
 * Why one input row of a set-based write was not written, said against the
 * query's own input: its position, the field (a path inside the row, empty
 * for the row as a whole) and a stable code. Routes and bulk import put the
 * transport in front (`body.`, `data.`, a line number).
 */
export interface RowFailure {
  row: number;
  field: string;
  code: ProblemCode;
  message: string;
  /** A sentence for the whole problem when one row is the whole request. */
  detail?: string;
  /** On a conflict: the existing row that holds the value. */
  existing_id?: string;
  /** On a conflict with another row of the same input: its position. */
  same_as?: number;
}

/** `prefix` + field, as `body.wikidata_id` or `data` for the row as a whole. */
export const fieldPath = (prefix: string, field: string) => (field === '' ? prefix : /^\[/.test(field) ? `${prefix}${field}` : `${prefix}.${field}`);

/** The problem a single request answers with when its one row failed. */
export function rowProblem(failures: readonly RowFailure[], prefix = 'body'): ApiError {
  const [first] = failures;
  const errors = failures.map((f) => ({ path: fieldPath(prefix, f.field), message: f.message }));
  return new ApiError(first.code, first.detail ?? errors.map((e) => `${e.path} ${e.message}`).join('; '), {
    errors,
    ...(first.existing_id ? { existing_id: first.existing_id } : {}),
  });
}
