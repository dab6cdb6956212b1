import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { workerPlan } from '../../cluster.js';
import type { Config } from '../../config.js';
import { ExtractionPool, defaultExtractionThreads, type ExtractionPoolOptions } from '../../domain/extract/pool.js';
import { IdParams, IdempotencyHeaders, problemResponses, ref } from '../../lib/schemas.js';
import { DEFAULT_MAX_EXTRACT_LENGTH, ExtractRequest, ExtractResult, SourceExtractQuery, SourceExtractRequest, SourceExtractResult } from './schemas.js';
import { commitSourceExtraction, extractFromSource, extractFromText, previewSourceExtraction, type Extractor } from './workflow.js';

const tags = ['extract'];

export interface ExtractRoutesOptions {
  /** Longest text accepted, in UTF-16 code units; longer is 413. */
  maxTextLength?: number;
  /** The extraction threads, queue and time limit come from these settings. */
  config: Pick<Config, 'DATABASE_URL' | 'CLAIMLEDGER_WORKERS' | 'REDIS_URL' | 'CLAIMLEDGER_EXTRACT_THREADS' | 'CLAIMLEDGER_EXTRACT_QUEUE' | 'CLAIMLEDGER_EXTRACT_TIMEOUT_MS'>;
}

/** The pool of one process: its share of the cores unless CLAIMLEDGER_EXTRACT_THREADS says otherwise. */
export function extractionPoolOptions(config: ExtractRoutesOptions['config']): ExtractionPoolOptions {
  return {
    threads: config.CLAIMLEDGER_EXTRACT_THREADS ?? defaultExtractionThreads(workerPlan(config).count),
    maxQueue: config.CLAIMLEDGER_EXTRACT_QUEUE,
    timeoutMs: config.CLAIMLEDGER_EXTRACT_TIMEOUT_MS,
  };
}

const extractRoutes: FastifyPluginAsyncTypebox<ExtractRoutesOptions> = async (app, options) => {
  const maxLength = options.maxTextLength ?? DEFAULT_MAX_EXTRACT_LENGTH;
  const pool = new ExtractionPool(extractionPoolOptions(options.config));
  const extractor: Extractor = { pool, maxTextLength: maxLength };
  const seconds = pool.options.timeoutMs / 1000;
  // Each thread loads the language model (~0.4 s) and warms the rules up: pay that when the
  // server starts listening, not on the first request (tests never listen: they start it then).
  app.addHook('onListen', async () => pool.start());
  app.addHook('onClose', async () => pool.close());

  app.post(
    '/extract',
    {
      // Writes nothing: a read key may use it.
      config: { scope: 'read' },
      schema: {
        operationId: 'extractClaims',
        tags,
        summary: 'Find candidate claims and who made them in a text (dry run)',
        description:
          'Reads an English news text and returns the claims attributed in it: direct quotes (speaker before or after, quotes split around the attribution, quotes running over paragraphs), ' +
          'reported speech ("the agency reported that …", "…, officials said"), "according to …", and characterisations ("described the plan as …"). ' +
          'Pronouns, surnames and titles ("she", "Lindqvist", "the minister") are resolved to the last named speaker they fit; unnamed speakers ("one official", "city officials") are kept as written. ' +
          'Each candidate has its quote anchored in the text (`selector`, as attributions are), the quantities in it and a check-worthiness score. Nothing is written. ' +
          `Texts longer than ${maxLength} characters are 413 \`payload_too_large\`; a language other than English is 422. ` +
          `Extraction takes time linear in the text (about 1 s for ${maxLength} characters of prose) and runs on a few threads of its own, never holding up other requests. ` +
          `One that has not finished within ${seconds} s is stopped and answered 422 \`extraction_timed_out\` (only text made mostly of punctuation or symbols comes near that); ` +
          `when every thread is busy and ${pool.options.maxQueue} requests already wait, or a request has waited ${seconds} s, the answer is 503 \`extraction_busy\` with Retry-After.`,
        body: ref(ExtractRequest),
        response: { 200: ref(ExtractResult), ...problemResponses(400, 413, 415, 422) },
      },
    },
    async (request) => extractFromText(app.db, extractor, request.body),
  );

  app.post(
    '/sources/:id/extract',
    {
      // The body is optional: no body means "every candidate".
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      schema: {
        operationId: 'extractSourceClaims',
        tags,
        summary: 'Find candidate claims in a stored source, and optionally commit them',
        description:
          'Extracts from the source’s `text` as `POST /v1/extract` does. Without `commit` it is a preview and writes nothing. ' +
          'With `commit=true` the kept candidates (`keep`: indexes, ids, or objects with corrections; all when absent) become claims, each with one attribution to this source, in one transaction: ' +
          'named speakers are matched to existing claimants (a close match is used, otherwise the name is matched exactly or created, as `claimant_name` does), unnamed and group speakers get a `claimant_label`. ' +
          'A `keep` entry naming no candidate is 422 and writes nothing; candidates whose quote the source already has an attribution for are skipped. ' +
          '201 when claims were created, 200 otherwise. A source without text is 422; one longer than the limit is 413. ' +
          `The extraction runs before the transaction, on the threads and within the time limit of \`POST /v1/extract\` (422 \`extraction_timed_out\` after ${seconds} s, 503 \`extraction_busy\` when they are all busy); ` +
          'if the source’s text changes meanwhile, the commit is 409 `conflict` and writes nothing.',
        params: IdParams,
        querystring: SourceExtractQuery,
        headers: IdempotencyHeaders,
        body: ref(SourceExtractRequest),
        response: { 200: ref(SourceExtractResult), 201: ref(SourceExtractResult), ...problemResponses(400, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      // Extraction runs before the transaction so that no database connection waits for it;
      // the commit then locks the source and checks that its text is still the one read.
      const extraction = await extractFromSource(app.db, extractor, request.params.id, body.min_checkworthiness);
      if (request.query.commit !== true) return previewSourceExtraction(app.db, extraction, body.keep);
      return reply.sendAfterWrite(async (w) => {
        const result = await commitSourceExtraction(w, extraction, body);
        return { status: result.committed ? 201 : 200, body: result };
      });
    },
  );
};

export default extractRoutes;
