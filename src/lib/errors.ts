/**
 * Every error the API answers with, defined once: HTTP status, stable `code`
 * and a title. Handlers throw these; plugins/errors.ts renders them as
 * RFC 9457 problem+json (https://www.rfc-editor.org/rfc/rfc9457).
 */

export interface FieldError {
  path: string;
  message: string;
}

export const PROBLEMS = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The body is not valid JSON' },
  invalid_cursor: { status: 400, title: 'The cursor is not valid for this list' },
  unauthorized: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'The key lacks the scope for this request' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  request_timeout: { status: 408, title: 'The request took too long to arrive' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  in_use: { status: 409, title: 'The resource is still referenced' },
  idempotency_key_in_progress: { status: 409, title: 'A request with this Idempotency-Key is still running' },
  precondition_failed: { status: 412, title: 'The resource has changed' },
  payload_too_large: { status: 413, title: 'The body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  quote_not_in_source: { status: 422, title: 'The quote is not in the source text' },
  unprocessable: { status: 422, title: 'The request cannot be applied' },
  idempotency_key_reused: { status: 422, title: 'The Idempotency-Key was used with another request' },
  extraction_timed_out: { status: 422, title: 'The text took too long to analyse' },
  rate_limited: { status: 429, title: 'Too many requests' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
  internal_error: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'The database is unavailable' },
  busy: { status: 503, title: 'The service is busy' },
  extraction_busy: { status: 503, title: 'Claim extraction is busy' },
  timeout: { status: 504, title: 'The request took too long' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: ProblemCode,
    detail?: string,
    readonly extra: { errors?: FieldError[]; existing_id?: string; [k: string]: unknown } = {},
  ) {
    super(detail ?? PROBLEMS[code].title);
    this.status = PROBLEMS[code].status;
    this.title = PROBLEMS[code].title;
  }
}

export const notFound = (what: string, id?: string) =>
  new ApiError('not_found', id ? `No ${what} has the id ${id}.` : `No such ${what}.`);

/** A problem's `type`: a stable, non-dereferenceable URI, as RFC 9457 §3.1.1 allows. */
export const problemType = (code: string) => `urn:claimledger:problem:${code}`;
