import { ApiError, type ProblemCode } from './errors.js';
import { problemFromPgError } from './pg-errors.js';

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

/**
 * Thrown by a query when its one input is refused: the failures name fields of
 * that input only. The transport puts its part in front (the error handler:
 * `body.` for a write, `query.` for a read; bulk import: `data.` and the line).
 */
export class InputProblem extends Error {
  readonly failures: RowFailure[];

  constructor(...failures: Omit<RowFailure, 'row'>[]) {
    super(failures.map((f) => `${f.field} ${f.message}`).join('; '));
    this.failures = failures.map((f) => ({ row: 0, ...f }));
  }
}

/** The problem a single request answers with when its one row failed. */
export function rowProblem(failures: readonly RowFailure[], prefix = 'body'): ApiError {
  const [first] = failures;
  const errors = failures.map((f) => ({ path: fieldPath(prefix, f.field), message: f.message }));
  return new ApiError(first.code, first.detail ?? errors.map((e) => `${e.path} ${e.message}`).join('; '), {
    errors,
    ...(first.existing_id ? { existing_id: first.existing_id } : {}),
  });
}

/** One row for a set-based create; `id` to create it with that id (an import of exported rows). */
export interface NewRow<Body> {
  id?: string;
  body: Body;
}

/** What a set-based create gives back: `created[i]` is input i's row, undefined when it failed; `failures` say why. */
export interface Created<Row> {
  created: (Row | undefined)[];
  failures: RowFailure[];
}

/** The one row of a single request, or the problem it answers with. */
export function onlyRow<Row>({ created, failures }: Created<Row>, prefix = 'body'): Row {
  if (failures.length) throw rowProblem(failures, prefix);
  return created[0]!;
}

/** Collects the failures of a set-based write by row; `sorted()` gives them in row order. */
export class RowFailures {
  private readonly byRow = new Map<number, RowFailure[]>();

  add(row: number, failure: Omit<RowFailure, 'row'>): void {
    const known = this.byRow.get(row);
    if (known) known.push({ row, ...failure });
    else this.byRow.set(row, [{ row, ...failure }]);
  }

  has(row: number): boolean {
    return this.byRow.has(row);
  }

  sorted(): RowFailure[] {
    return [...this.byRow.keys()].sort((a, b) => a - b).flatMap((row) => this.byRow.get(row)!);
  }
}

/** `refers to no existing X (id)`: a row names a parent that does not exist. */
export const noSuch = (field: string, what: string, id: string): Omit<RowFailure, 'row'> => ({
  field,
  code: 'unprocessable',
  message: `refers to no existing ${what} (${id})`,
});

/** A row brought its own id and a row of the table has it already. */
export const takenIdFailure = (what: string, id: string): Omit<RowFailure, 'row'> => ({
  field: 'id',
  code: 'conflict',
  message: `is already the id of an existing ${what}`,
  existing_id: id,
});

/**
 * An error thrown while writing one row, as that row's failures (their `row` is 0); undefined
 * for an error that is not about the row's data (a lost connection, a timeout, a bug), which
 * fails the whole write. A problem's fields lose the `body.` its single request would show.
 */
export function failuresOf(err: unknown): RowFailure[] | undefined {
  if (err instanceof InputProblem) return err.failures;
  let problem = err instanceof ApiError ? err : undefined;
  if (!problem) {
    problem = problemFromPgError(err);
    if (!problem || problem.code === 'unavailable' || problem.code === 'timeout') return undefined;
  }
  const { code, extra } = problem;
  const listed = extra.errors?.length ? extra.errors : [{ path: 'body', message: problem.message }];
  return listed.map((e, i) => ({
    row: 0,
    field: e.path.replace(/^body\.?/, ''),
    code,
    message: e.message,
    ...(i === 0 && typeof extra.existing_id === 'string' ? { existing_id: extra.existing_id } : {}),
  }));
}
