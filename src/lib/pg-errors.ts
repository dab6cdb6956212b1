import { ApiError, type FieldError } from './errors.js';

/**
 * PostgreSQL errors read as API problems, by SQLSTATE (the mapping PostgREST
 * uses), for the error handler and for bulk import's per-line failures alike.
 */

export interface PgLikeError {
  code?: string;
  detail?: string;
  constraint?: string;
  message?: string;
}

/** drizzle wraps driver errors (DrizzleQueryError); the SQLSTATE is on the cause. */
export function findPgError(err: unknown): PgLikeError | undefined {
  for (let e = err as { cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as never, depth++) {
    const code = (e as PgLikeError).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return e as PgLikeError;
  }
  return undefined;
}

const CONNECTION_FAILURE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|EPIPE|Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|PGlite is closed|Cannot use a pool after calling end/i;

/** A lost or refused connection, whichever driver reports it and however deep drizzle wrapped it. */
export function isConnectionFailure(err: unknown): boolean {
  for (let e = err as { cause?: unknown; message?: string; code?: string } | undefined, depth = 0; e && depth < 4; e = e.cause as never, depth++) {
    if (CONNECTION_FAILURE.test(`${e.code ?? ''} ${e.message ?? ''}`)) return true;
  }
  return false;
}

/** Human words for the constraints a client can trip, so 4xx details help without leaking SQL. */
const CONSTRAINT_MESSAGES: Record<string, FieldError> = {
  sources_url_key: { path: 'body.url', message: 'a source with this url already exists' },
  claimants_wikidata_id_key: { path: 'body.wikidata_id', message: 'a claimant with this wikidata_id already exists' },
  sources_text_size_check: { path: 'body.text', message: 'must be at most 1 MiB of UTF-8' },
  claims_text_length_check: { path: 'body.text', message: 'must be 1 to 2000 characters' },
  attributions_who_check: { path: 'body', message: 'needs claimant_id, claimant_name or claimant_label' },
};

export function problemFromPg(pgErr: PgLikeError): ApiError | undefined {
  const code = pgErr.code ?? '';
  const known = pgErr.constraint ? CONSTRAINT_MESSAGES[pgErr.constraint] : undefined;
  const errors = known ? [known] : undefined;
  if (code === '23505') return new ApiError('conflict', known?.message ?? 'A unique value is already taken.', { errors });
  if (code === '23503') {
    return /still referenced/.test(pgErr.detail ?? '')
      ? new ApiError('in_use', 'Other rows still refer to this resource.')
      : new ApiError('unprocessable', 'A referenced resource does not exist.');
  }
  if (code === '23514' || code === '23502' || code.startsWith('22')) {
    return new ApiError('validation_failed', known?.message ?? 'A value is not acceptable.', { errors });
  }
  if (code === '40001' || code === '40P01') return new ApiError('conflict', 'A concurrent change got in the way; retry the request.');
  if (code === '57014') return new ApiError('timeout', 'The database took too long to answer.');
  if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P')) return new ApiError('unavailable');
  return undefined;
}

/** The problem a PostgreSQL error (found anywhere in `err`'s causes) stands for, if it is one we know. */
export function problemFromPgError(err: unknown): ApiError | undefined {
  const pgErr = findPgError(err);
  return pgErr && problemFromPg(pgErr);
}
