import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { fieldErrorsFromAjv } from '../lib/ajv-errors.js';
import { ApiError, PROBLEMS, problemType, type ProblemCode } from '../lib/errors.js';
import { InputProblem, rowProblem } from '../lib/row-failures.js';
import { isConnectionFailure, problemFromPgError } from '../lib/pg-errors.js';

/**
 * Turns every failure into RFC 9457 problem+json, once: our ApiErrors, Fastify's
 * validation and body-parsing errors, and PostgreSQL errors by SQLSTATE
 * (lib/pg-errors.ts, the mapping PostgREST uses). 5xx answers never carry internals.
 */

/** `part`: where the request's input is, for the paths of an InputProblem (`body` for a write, `query` for a read). */
export function toApiError(err: FastifyError | ApiError | Error, part: 'body' | 'query' = 'body'): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof InputProblem) return rowProblem(err.failures, part);
  const fe = err as FastifyError;
  if (fe.validation) {
    const where = fe.validationContext === 'querystring' ? 'query' : (fe.validationContext ?? 'body');
    const errors = fieldErrorsFromAjv(fe.validation as never, where);
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
  const mapped = problemFromPgError(err);
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
      const problem = toApiError(err, request.method === 'GET' || request.method === 'HEAD' ? 'query' : 'body');
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
