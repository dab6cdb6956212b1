import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError } from '../../lib/errors.js';
import { problemResponses } from '../../lib/schemas.js';
import { compileValidator, type Validate } from '../validation.js';
import { exportFile } from './format.js';
import { EXPORT_FILTERS, EXPORT_TYPES, ExportQuery, type ExportFormat, type ExportType } from './schemas.js';

const MEDIA: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
  claimreview: 'application/x-ndjson; charset=utf-8',
};

const EXTENSION: Record<ExportFormat, string> = { ndjson: 'ndjson', csv: 'csv', claimreview: 'ndjson' };

let filterValidators: Record<ExportType, Validate> | undefined;

/** The chosen type's own list filters, checked as its list checks them (a `kind` of claimants is not a source kind). */
function checkFilters(type: ExportType, filters: Record<string, unknown>) {
  filterValidators ??= Object.fromEntries(
    EXPORT_TYPES.map((t) => [t, compileValidator(EXPORT_FILTERS[t], 'querystring', `/v1/export?type=${t}`)]),
  ) as Record<ExportType, Validate>;
  const validate = filterValidators[type];
  if (!validate(filters)) {
    // Shaped like Fastify's own validation error, so plugins/errors.ts words it like any query error.
    throw Object.assign(new Error('querystring is invalid'), { validation: validate.errors, validationContext: 'querystring', statusCode: 400 });
  }
}

const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/export',
    {
      schema: {
        operationId: 'exportRows',
        tags: ['bulk'],
        summary: 'Stream every row of a type, as NDJSON, CSV or ClaimReview JSON-LD',
        description:
          'Takes the filters of the type’s list (`GET /v1/claims?…` → `GET /v1/export?type=claims&…`; with `q` the matches come in id order, not ranked). ' +
          'Rows come in id order, read in pages (up to 1,000 rows, about 4 MiB) as the client takes them: memory stays flat and the export finishes whatever the number of rows and however slowly the client reads. ' +
          'No snapshot is held between pages, so an export running while rows are written is not one snapshot: a row created meanwhile is included if its id sorts after the last row sent (ids are time-ordered), and each row is as its page found it. ' +
          '**How to tell a complete export:** `ndjson` and `claimreview` end with one last line `{"export_complete":true,"rows":N}` (N: the lines before it), written only after the last row; a file without it was cut short. ' +
          '`csv` has no such line: if an export fails after the first row the connection is aborted (no terminating chunk), which HTTP clients report as an error, never as a clean end. ' +
          'A failure before the first row is a problem+json answer. `Content-Disposition: attachment` names the file. ' +
          'Importing an `ndjson` export into an empty database (`npm run import`, which checks for the summary line and skips it; or `POST /v1/bulk` with each row wrapped as `{type, id, data}`) reproduces the same rows.',
        querystring: ExportQuery,
        response: {
          200: {
            description: 'The rows, streamed.',
            content: {
              'application/x-ndjson': {
                schema: {
                  type: 'string',
                  description: 'One JSON object per line: a row, or a ClaimReview with `format=claimreview`; then the summary line `{"export_complete":true,"rows":N}`.',
                },
              },
              'text/csv': {
                schema: {
                  type: 'string',
                  description: 'RFC 4180 CSV with a header row. Text cells that begin with `=`, `+`, `-`, `@`, a tab or a carriage return start with `\'` so spreadsheets do not run them as formulas.',
                },
              },
            },
          },
          ...problemResponses(400),
        },
      },
    },
    async (request, reply) => {
      const { type, format = 'ndjson', ...filters } = request.query as { type: ExportType; format?: ExportFormat } & Record<string, unknown>;
      checkFilters(type, filters);
      if (format === 'claimreview' && type !== 'claims' && type !== 'reviews') {
        throw new ApiError('validation_failed', 'format=claimreview needs type=claims or type=reviews.', {
          errors: [{ path: 'query.format', message: 'claimreview is only for type=claims or type=reviews' }],
        });
      }
      const stamp = new Date().toISOString().replace(/[-:]|\.\d+/g, '');
      const name = `claimledger-${format === 'claimreview' ? 'claimreviews' : type}-${stamp}.${EXTENSION[format]}`;
      reply
        .type(MEDIA[format])
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store');
      if (request.method === 'HEAD') return reply.send('');

      const encoded = exportFile(app.db, type, format, filters);
      // The first chunk is awaited here: a failure before any byte is sent still becomes a problem+json answer.
      const first = await encoded.next();
      async function* body() {
        try {
          if (!first.done) yield first.value;
          yield* encoded;
        } finally {
          await encoded.return(undefined);
        }
      }
      return reply.send(Readable.from(body(), { objectMode: false }) as never);
    },
  );
};

export default exportRoutes;
