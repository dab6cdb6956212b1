import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MULTI_LINE_PATTERN, ONE_LINE_PATTERN } from '../lib/schemas.js';
import { ApiError, PROBLEMS, problemType, type FieldError, type ProblemCode } from '../lib/errors.js';

/**
 * Turns every failure into RFC 9457 problem+json, once: our ApiErrors, Fastify's
 * validation and body-parsing errors, and PostgreSQL errors by SQLSTATE (the
 * mapping PostgREST uses). 5xx answers never carry internals.
 */

interface PgLikeError {
  code?: string;
  detail?: string;
  constraint?: string;
  message?: string;
}

/** drizzle wraps driver errors (DrizzleQueryError); the SQLSTATE is on the cause. */
function findPgError(err: unknown): PgLikeError | undefined {
  for (let e = err as { cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as never, depth++) {
    const code = (e as PgLikeError).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return e as PgLikeError;
  }
  return undefined;
}

const CONNECTION_FAILURE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|EPIPE|Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|PGlite is closed|Cannot use a pool after calling end/i;

function isConnectionFailure(err: unknown): boolean {
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

/** Ajv errors → our `{path, message}` list, paths like `body.attributions[0].quote`. */
function fieldErrors(err: FastifyError): FieldError[] {
  const where = err.validationContext === 'querystring' ? 'query' : (err.validationContext ?? 'body');
  const all = err.validation ?? [];
  // A nullable field that fails reports three errors (the real one, "must be null" and
  // "must match a schema in anyOf"); the client needs only the real one.
  const noise = (v: (typeof all)[number]) =>
    v.keyword === 'anyOf' || (v.keyword === 'type' && (v.params as { type?: string }).type === 'null');
  const useful = all.filter((v) => !noise(v) || !all.some((o) => o !== v && !noise(o) && o.instancePath === v.instancePath));
  const seen = new Set<string>();
  return useful.map((v) => {
    const params = v.params as Record<string, unknown>;
    const segments = (v.instancePath ?? '').split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (typeof params.missingProperty === 'string') segments.push(params.missingProperty);
    if (typeof params.additionalProperty === 'string') segments.push(params.additionalProperty);
    const path = segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : `${acc}.${s}`), where);
    let message = v.message ?? 'is invalid';
    if (typeof params.additionalProperty === 'string') message = 'is not a known field';
    if (typeof params.missingProperty === 'string') message = 'is required';
    if (v.keyword === 'pattern' && (params.pattern === ONE_LINE_PATTERN || params.pattern === MULTI_LINE_PATTERN)) {
      message = 'must not contain control characters or bidirectional formatting characters';
    }
    if (params.allowedValues) message = `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    return { path, message };
  }).filter((e) => {
    const key = `${e.path} ${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function toApiError(err: FastifyError | ApiError | Error): ApiError {
  if (err instanceof ApiError) return err;
  const fe = err as FastifyError;
  if (fe.validation) {
    const errors = fieldErrors(fe);
    return new ApiError('validation_failed', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('malformed_json', 'The body could not be parsed as JSON.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('malformed_json', 'The body is empty but Content-Type says JSON.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', 'The body is larger than this endpoint accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'Send the body as application/json.');
  }
  const pgErr = findPgError(err);
  const mapped = pgErr && problemFromPg(pgErr);
  if (mapped) return mapped;
  if (isConnectionFailure(err)) return new ApiError('unavailable');
  const status = fe.statusCode;
  if (status && status >= 400 && status < 500) {
    const code = (Object.keys(PROBLEMS) as ProblemCode[]).find((c) => PROBLEMS[c].status === status) ?? 'validation_failed';
    // Fastify's own 4xx messages describe the request, not our internals.
    return new ApiError(code, fe.message);
  }
  return new ApiError('internal_error', 'Something went wrong on our side; the request id identifies it in our logs.');
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: ApiError) {
  const { token_presented: tokenPresented, ...extra } = error.extra;
  const body = {
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...extra,
    request_id: String(request.id),
  };
  if ((error.status === 503 || error.status === 429) && !reply.hasHeader('retry-after')) reply.header('retry-after', '5');
  // A body left unread (refused early, or too slow) must not be taken for the next request,
  // and a client still trickling it must not keep the socket.
  if (!request.raw.complete) reply.header('connection', 'close');
  if (error.status === 401) {
    // RFC 6750 §3: say which scheme to use, and whether the token presented was bad.
    reply.header('www-authenticate', tokenPresented ? 'Bearer realm="claimledger", error="invalid_token"' : 'Bearer realm="claimledger"');
  }
  return reply.code(error.status).type('application/problem+json').send(body);
}

/**
 * The answer to a request Node cannot parse (a bare CR or a NUL in the request
 * line or headers, headers too large) or that took too long to arrive: Node
 * would write its own JSON; this writes problem+json like every other error,
 * and closes the connection, since what follows on it cannot be trusted.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex) {
  if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
  const problem =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new ApiError('request_timeout', 'The request did not arrive in time.')
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? new ApiError('headers_too_large', 'The request line and headers are larger than the server reads.')
        : new ApiError('validation_failed', 'The request is not well-formed HTTP/1.1 (e.g. a bare CR or a NUL byte in the request line or a header).');
  const body = JSON.stringify({ type: problemType(problem.code), title: problem.title, status: problem.status, detail: problem.message, code: problem.code });
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A route's path as a regular expression over request paths (`:param` is one segment, `*` the rest). */
function pathPattern(url: string): RegExp {
  const trimmed = url.length > 1 ? url.replace(/\/+$/, '') : url;
  const source = trimmed
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

export default fp(
  async function errorsPlugin(app: FastifyInstance) {
    // Every route's path and methods, to tell "no such resource" (404) from "not with this method" (405 with Allow).
    const routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();
    app.addHook('onRoute', (route) => {
      let known = routes.get(route.url);
      if (!known) routes.set(route.url, (known = { pattern: pathPattern(route.url), methods: new Set() }));
      for (const method of [route.method].flat()) known.methods.add(method);
    });

    app.setErrorHandler((err: FastifyError, request, reply) => {
      const problem = toApiError(err);
      if (problem.status >= 500) request.log.error({ err }, 'request failed');
      else request.log.info({ code: problem.code, detail: problem.message }, 'request refused');
      return sendProblem(reply, request, problem);
    });
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0];
      const allowed = new Set<string>();
      for (const { pattern, methods } of routes.values()) if (pattern.test(path)) for (const m of methods) allowed.add(m);
      if (allowed.size > 0) {
        const allow = [...allowed].sort().join(', ');
        reply.header('allow', allow);
        return sendProblem(reply, request, new ApiError('method_not_allowed', `${path} does not answer ${request.method}; it answers ${allow}.`));
      }
      return sendProblem(reply, request, new ApiError('not_found', `No route answers ${request.method} ${path}.`));
    });
  },
  { name: 'errors' },
);
