import { createGunzip } from 'node:zlib';
import { actorOf } from '../http.js';
import { Readable, pipeline } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifySchemaCompiler } from 'fastify';
import { ApiError } from '../../lib/errors.js';
import { IdempotencyHeaders, Problem, ref } from '../../lib/schemas.js';
import { ReceivedBody, bodyTooLarge } from '../../lib/received-body.js';
import { NdjsonBody, ndjsonLines } from './ndjson.js';
import { ImportSlots, type ImportLimits } from './admission.js';
import type { TSchema } from 'typebox';
import { compileValidator } from '../validation.js';
import { BulkLine, BulkProblem, BulkQuery, BulkResult, MAX_BULK_BYTES, MAX_LINE_BYTES, NDJSON } from './schemas.js';
import { BulkRejected, runBulk } from './write.js';

/** `application/jsonl` is the other name NDJSON goes by. */
const ACCEPTED = [NDJSON, 'application/jsonl'];
const WRONG_TYPE = `Send the body as ${NDJSON}: one JSON object {"type", "ref"?, "id"?, "data"} per line.`;

const problem = (description: string, schema: unknown = ref(Problem)) => ({ description, content: { 'application/problem+json': { schema } } });

const bulkRoutes: FastifyPluginAsyncTypebox<{ imports: ImportLimits }> = async (app, opts) => {
  const slots = new ImportSlots(opts.imports);
  // This plugin is encapsulated: these parsers apply to its routes only. The body
  // is handed over unread, as a stream, and read line by line by the handler.
  app.removeAllContentTypeParsers();
  for (const type of ACCEPTED) app.addContentTypeParser(type, (_request, payload, done) => done(null, new NdjsonBody(payload as Readable)));
  app.addContentTypeParser('*', (_request, _payload, done) => done(new ApiError('unsupported_media_type', WRONG_TYPE), undefined));

  app.post(
    '/bulk',
    {
      config: { longBody: true },
      // The body schema documents one line (OpenAPI has no way to say "each line is a
      // BulkLine"); the body itself is a stream, checked line by line in the handler.
      validatorCompiler: ({ schema, httpPart, url }) =>
        (httpPart === 'body' ? () => true : compileValidator(schema as TSchema, httpPart ?? 'querystring', url)) as ReturnType<FastifySchemaCompiler<unknown>>,
      schema: {
        operationId: 'bulkImport',
        tags: ['bulk'],
        summary: 'Create many sources, claimants, claims, attributions and reviews from NDJSON',
        description:
          'One JSON object per line: `{"type": "source"|"claimant"|"claim"|"attribution"|"review", "ref"?: "…", "id"?: "…", "data": {…}}` (see `BulkLine`). ' +
          '`data` is what the single endpoint takes, checked by the same schema; later lines name earlier ones with `source_ref`, `claimant_ref`, `claim_ref` (or existing rows by id). ' +
          'Quotes are anchored and every row gets its change-log event, as with the single endpoints.\n\n' +
          'By default the request is one transaction: if any line is bad, nothing is written and the answer (400 when every problem is malformed input, else 422) lists every error of every bad line with its line number. ' +
          'With `mode=partial` the good lines are written and the bad ones reported in `results`. ' +
          `The body is streamed (up to ${MAX_BULK_BYTES / 1024 / 1024} MiB, \`Content-Encoding: gzip\` accepted; one line at most ${MAX_LINE_BYTES / 1024 / 1024} MiB). ` +
          'The whole body is received before anything is written (so a slow upload holds no database connection); it must arrive within the bulk body timeout and never pause longer than the idle timeout, else 408 `request_timeout`. ' +
          `A key may run ${opts.imports.perKey} imports at once (more: 429 \`rate_limited\`), a process ${opts.imports.total} for all keys together (more: 503 \`busy\`); both carry \`Retry-After\`. ` +
          'To import an export, wrap each exported row as `{"type", "id": row.id, "data": <its writable fields>}` — `npm run import` does it.',
        headers: IdempotencyHeaders,
        querystring: BulkQuery,
        body: {
          content: Object.fromEntries(ACCEPTED.map((type) => [type, { schema: ref(BulkLine, { description: 'Newline-delimited JSON: each line one `BulkLine`.' }) }])),
        },
        response: {
          200: ref(BulkResult),
          400: problem('A line (or the request) is malformed or fails validation; nothing was written. `errors` carry line numbers.', ref(BulkProblem)),
          413: problem('The body is larger than allowed (`payload_too_large`).'),
          408: problem('The body did not arrive in time, or paused too long (`request_timeout`); the connection is closed and nothing was written.'),
          415: problem(`The body is not \`${NDJSON}\` (\`unsupported_media_type\`).`),
          422: problem('A line cannot be applied (a quote not in its source, an unknown ref or id, a taken url…); nothing was written.', ref(BulkProblem)),
          429: problem('This key already runs as many imports as it may at once (`rate_limited`); see `Retry-After`.'),
          503: problem('The database is unreachable (`unavailable`), or the service runs as many imports as it takes at once (`busy`); see `Retry-After`.'),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as unknown;
      if (!(body instanceof NdjsonBody)) throw new ApiError('unsupported_media_type', WRONG_TYPE);
      if (Number(request.headers['content-length'] ?? 0) > MAX_BULK_BYTES) {
        throw bodyTooLarge(MAX_BULK_BYTES);
      }
      const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (encoding !== 'identity' && encoding !== 'gzip') throw new ApiError('unsupported_media_type', 'Content-Encoding may be gzip or nothing.');
      // The limit counts decompressed bytes, so a small gzip bomb is refused like a big body.
      const stream = encoding === 'gzip' ? pipeline(body.stream, createGunzip(), () => {}) : body.stream;
      const mode = request.query.mode ?? 'atomic';
      const release = slots.take(request.apiKeyId ?? `ip:${request.ip}`);
      try {
        const received = await ReceivedBody.receive(stream, MAX_BULK_BYTES);
        let report;
        try {
          report = await runBulk(app.db, actorOf(request), ndjsonLines(received.chunks(), { maxBytes: MAX_BULK_BYTES, maxLineBytes: MAX_LINE_BYTES }), mode);
        } finally {
          await received.discard();
        }
        if (report.lines === 0) {
          throw new ApiError('validation_failed', 'The body has no lines.', { errors: [{ path: 'body', message: 'has no lines' }] });
        }
        reply.code(200).type('application/json; charset=utf-8');
        // Streamed, so half a million results never sit in memory as one string; except
        // with an Idempotency-Key, whose replay needs the whole body stored.
        if (request.headers['idempotency-key'] !== undefined) return reply.send([...report.json()].join(''));
        return reply.send(Readable.from(report.json(), { objectMode: false }) as never);
      } catch (err) {
        if (/^Z_/.test(String((err as { code?: unknown }).code))) throw new ApiError('validation_failed', 'The body is not valid gzip.');
        if (!(err instanceof BulkRejected)) throw err;
        const { report } = err;
        const { errors, truncated } = report.allErrors();
        throw new ApiError(
          report.onlyInvalidInput() ? 'validation_failed' : 'unprocessable',
          `${report.failed} of ${report.lines} lines cannot be written, so none was (pass mode=partial to write the good ones).`,
          { errors, lines: report.lines, failed: report.failed, ...(truncated ? { errors_truncated: true } : {}) },
        );
      } finally {
        release();
      }
    },
  );
};

export default bulkRoutes;
