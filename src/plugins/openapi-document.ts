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

const REQUEST_ID = { 'X-Request-Id': { description: 'This request’s id (the `x-request-id` sent, or a new UUID); it is also in the logs and in problem+json.', schema: { type: 'string', maxLength: 200 } } };

const ETAG = {
  ETag: {
    description: 'Strong entity tag of the resource’s `version` (`"v<version>"`, with a digest of embedded rows when `include=` is used). Send it back in `If-None-Match` (304 when unchanged) or `If-Match` (412 when changed since).',
    schema: { type: 'string', maxLength: 100 },
  },
};

const LOCATION = { Location: { description: 'Path of the created resource.', schema: { type: 'string', format: 'uri-reference', maxLength: 300 } } };

const LINK = { Link: { description: 'The next page, `<…>; rel="next"` (RFC 8288), when there is one: the same URL as `next_cursor` gives.', schema: { type: 'string', maxLength: 4096 } } };

const REPLAYED = {
  'Idempotent-Replayed': {
    description: '`true` when this answer is the stored answer to an earlier request with the same `Idempotency-Key` and body, replayed instead of running the write again.',
    schema: { type: 'string', enum: ['true'] },
  },
};

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

/** The component a `$ref` names, or the schema itself. */
function resolve(doc: Json, schema: Json | undefined): Json | undefined {
  const ref = schema?.$ref;
  if (typeof ref !== 'string') return schema;
  return doc.components?.schemas?.[ref.replace('#/components/schemas/', '')];
}

/** The headers a success answer carries, read off its body's shape: what the conditional, pagination and idempotency code sets. */
function successHeaders(doc: Json, method: string, status: string, response: Json): Json {
  const body = resolve(doc, response.content?.['application/json']?.schema);
  const properties = body?.properties ?? {};
  return {
    ...(properties.version && properties.id ? ETAG : {}),
    ...(status === '201' ? LOCATION : {}),
    ...(properties.next_cursor ? LINK : {}),
    ...(method === 'post' ? REPLAYED : {}),
  };
}

/**
 * Swagger UI fills a parameter's `example` into its Try-it-out field, and a user who does not
 * notice sends it: an example filter (`language=en`, `wikidata_id=Q42`) would silently narrow
 * the answer. Query parameters keep their examples in the description instead.
 */
function examplesIntoDescriptions(op: Json): void {
  for (const parameter of op.parameters ?? []) {
    if (parameter.in !== 'query' || parameter.example === undefined) continue;
    parameter.description = `${parameter.description ?? ''} Example: \`${parameter.example}\`.`.trim();
    delete parameter.example;
  }
}

export function completeDocument(doc: Json): Json {
  for (const item of Object.values<Json>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<Json>(item)) {
      if (!op || typeof op !== 'object' || !op.responses) continue;
      examplesIntoDescriptions(op);
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
        if (/^2/.test(status)) response.headers = { ...successHeaders(doc, method, status, response), ...(response.headers ?? {}) };
        response.headers = { ...CORS_HEADER, ...REQUEST_ID, ...(response.headers ?? {}) };
        if (status === '429' || status === '503') response.headers = { ...RETRY_AFTER, ...(response.headers ?? {}) };
      }
    }
  }
  boundScalars(doc.paths);
  boundScalars(doc.components?.schemas);
  return doc;
}
