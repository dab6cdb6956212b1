/**
 * Facts that hold for every operation, added to the generated OpenAPI document in
 * one place instead of repeated in each route: the rate-limit headers every
 * answer carries, the 401/403/429/500 problem responses every authenticated
 * route can give, and the integer formats and bounds of our schemas (all our
 * integers are non-negative and below 2^53).
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: PROBLEM_REF } } });

const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': { description: 'Requests allowed per minute for this key (IETF draft RateLimit header fields).', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1_000_000 } },
  'RateLimit-Remaining': { description: 'Requests left in the current window.', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1_000_000 } },
  'RateLimit-Reset': { description: 'Seconds until the window resets.', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 3600 } },
};

const CORS_HEADER = {
  'Access-Control-Allow-Origin': {
    description: 'Present only when the request’s `Origin` is one of the origins listed in CLAIMLEDGER_CORS_ORIGINS (CORS is off by default).',
    schema: { type: 'string', maxLength: 2048 },
  },
};

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 } } };

const AUTH_RESPONSES: Record<string, string> = {
  '401': 'No key, or an unknown, revoked or expired one (`unauthorized`); see `WWW-Authenticate`.',
  '403': 'The key lacks the scope this operation needs (`forbidden`).',
  '429': 'Over this key’s rate limit, or too many failed authentications from this client address (`rate_limited`); retry after `Retry-After` seconds.',
  '500': 'An unexpected error (`internal_error`); the `request_id` identifies it in the logs.',
};

/**
 * No string we accept or return is longer than a request body may be (4 MiB; the longest
 * stored string, a source text, is at most 1 MiB), so that is every string's bound unless
 * its schema names a tighter one.
 */
const MAX_STRING = 4 * 1024 * 1024;

/** Every integer schema: int64 within [0, 2^53 − 1] unless it says otherwise; strings bounded as above. */
function boundScalars(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(boundScalars);
  if (!node || typeof node !== 'object') return;
  const schema = node as Json;
  if (schema.type === 'integer') {
    schema.format ??= 'int64';
    schema.minimum ??= 0;
    schema.maximum ??= Number.MAX_SAFE_INTEGER;
  }
  if (schema.type === 'string' && schema.maxLength === undefined && schema.enum === undefined && schema.const === undefined) {
    schema.maxLength = MAX_STRING;
  }
  for (const value of Object.values(schema)) boundScalars(value);
}

export function completeDocument(doc: Json): Json {
  for (const item of Object.values<Json>(doc.paths ?? {})) {
    for (const op of Object.values<Json>(item)) {
      if (!op || typeof op !== 'object' || !op.responses) continue;
      const secured = Array.isArray(op.security) && op.security.length > 0;
      if (secured) {
        for (const [status, description] of Object.entries(AUTH_RESPONSES)) {
          if (status === '403' && op['x-required-scope'] === undefined) continue;
          op.responses[status] ??= problem(description);
        }
      } else {
        op.responses['429'] ??= problem(AUTH_RESPONSES['429']);
        op.responses['500'] ??= problem(AUTH_RESPONSES['500']);
      }
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        if (/^[24]/.test(status)) response.headers = { ...RATE_LIMIT_HEADERS, ...(response.headers ?? {}) };
        response.headers = { ...CORS_HEADER, ...(response.headers ?? {}) };
        if (status === '429' || status === '503') response.headers = { ...RETRY_AFTER, ...(response.headers ?? {}) };
      }
    }
  }
  boundScalars(doc.paths);
  boundScalars(doc.components?.schemas);
  return doc;
}
