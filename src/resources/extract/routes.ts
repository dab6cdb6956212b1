import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { eq } from 'drizzle-orm';
import { workerPlan } from '../../cluster.js';
import type { Config } from '../../config.js';
import type { DbOrTx } from '../../db/client.js';
import { sources, type SourceRow } from '../../db/schema.js';
import type { CandidateClaim } from '../../domain/extract/index.js';
import {
  ExtractionBusyError,
  ExtractionPool,
  ExtractionTimeoutError,
  defaultExtractionThreads,
  type ExtractionPoolOptions,
  type TimedExtraction,
} from '../../domain/extract/pool.js';
import { ApiError, notFound, type FieldError } from '../../lib/errors.js';
import { IdParams, IdempotencyHeaders, problemResponses, ref } from '../../lib/schemas.js';
import { embedInClaims } from '../claims/queries.js';
import { attributionsByQuote, commitCandidates, matchClaimantsByName, type CommitChoice } from './queries.js';
import {
  DEFAULT_MAX_EXTRACT_LENGTH,
  ExtractRequest,
  ExtractResult,
  SourceExtractQuery,
  SourceExtractRequest,
  SourceExtractResult,
  type ClaimantMatchOut,
  type KeepItem,
} from './schemas.js';

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

type Candidate = CandidateClaim & { claimant: ClaimantMatchOut | null; existing_attribution_id?: string | null };

const isEnglish = (tag: string | null | undefined) => !tag || /^en(-|$)/i.test(tag);

function refuseLongText(length: number, max: number, path: string): void {
  if (length <= max) return;
  throw new ApiError('payload_too_large', `The text is ${length} characters long; extraction takes at most ${max}.`, {
    errors: [{ path, message: `is longer than ${max} characters` }],
  });
}

function refuseOtherLanguages(tag: string | null | undefined, path: string): string {
  if (isEnglish(tag)) return tag ?? 'en';
  throw new ApiError('unprocessable', `Claim extraction reads English only; the text is marked \`${tag}\`.`, {
    errors: [{ path, message: 'must be English (en)' }],
  });
}

/** Runs the extraction on the pool; a text that runs too long is 422, a pool with no room 503. */
async function extract(pool: ExtractionPool, text: string, minCheckworthiness: number | undefined, path: string) {
  let result: TimedExtraction;
  try {
    result = await pool.run(text, { minCheckworthiness });
  } catch (err) {
    if (err instanceof ExtractionTimeoutError) {
      const seconds = err.timeoutMs / 1000;
      throw new ApiError(
        'extraction_timed_out',
        `Claim extraction did not finish within ${seconds} s and was stopped; the same text would take as long again. Text with very long runs of punctuation or symbols is slow to analyse: send prose, or split the text.`,
        { errors: [{ path, message: `took longer than ${seconds} s to analyse` }] },
      );
    }
    if (err instanceof ExtractionBusyError) {
      throw new ApiError('extraction_busy', `Every claim extraction thread is busy (${err.message}); retry after the time in Retry-After.`);
    }
    throw err;
  }
  const { elapsedMs, ...extraction } = result;
  return { ...extraction, elapsed: Math.round(elapsedMs * 10) / 10 };
}

/** Adds the matching claimant to each candidate; anonymous speakers are never matched. */
async function withClaimants(db: DbOrTx, candidates: CandidateClaim[]): Promise<Candidate[]> {
  const named = candidates.filter((c) => c.speaker_type !== 'anonymous').map((c) => c.speaker);
  const matches = await matchClaimantsByName(db, named);
  return candidates.map((c) => ({ ...c, claimant: c.speaker_type === 'anonymous' ? null : (matches.get(c.speaker.trim()) ?? null) }));
}

/** Turns `keep` into the candidates to commit; any reference to no candidate is 422 before anything is written. */
function resolveKeep(keep: KeepItem[] | undefined, candidates: Candidate[]): CommitChoice[] {
  if (keep === undefined) return candidates.map((candidate) => ({ candidate }));
  const errors: FieldError[] = [];
  const seen = new Map<number, number>();
  const choices: CommitChoice[] = [];
  keep.forEach((item, k) => {
    const path = `body.keep[${k}]`;
    const edit = typeof item === 'object' ? item : {};
    const index = typeof item === 'number' ? item : typeof item === 'object' ? item.index : undefined;
    const id = typeof item === 'string' ? item : typeof item === 'object' ? item.id : undefined;
    if (index === undefined && id === undefined) {
      errors.push({ path, message: 'needs index or id' });
      return;
    }
    const byIndex = index !== undefined ? candidates[index] : undefined;
    const byId = id !== undefined ? candidates.find((c) => c.id === id) : undefined;
    if (index !== undefined && !byIndex) return void errors.push({ path, message: `no candidate has index ${index} (there are ${candidates.length})` });
    if (id !== undefined && !byId) return void errors.push({ path, message: `no candidate has id ${id}` });
    if (byIndex && byId && byIndex !== byId) return void errors.push({ path, message: `index ${index} and id ${id} name different candidates` });
    const candidate = (byIndex ?? byId) as Candidate;
    const earlier = seen.get(candidate.index);
    if (earlier !== undefined) return void errors.push({ path, message: `names the same candidate as body.keep[${earlier}]` });
    seen.set(candidate.index, k);
    choices.push({
      keepIndex: k,
      candidate,
      claim_text: edit.claim_text,
      claimant_id: edit.claimant_id,
      claimant_name: edit.claimant_name,
      claimant_label: edit.claimant_label,
      kind: edit.kind,
      stance: edit.stance,
    });
  });
  if (errors.length) {
    throw new ApiError('unprocessable', `${errors.map((e) => `${e.path} ${e.message}`).join('; ')}. Nothing was written.`, { errors });
  }
  return choices;
}

/** The source to read, under a share lock when committing so its text cannot change until the claims are written. */
async function sourceToExtract(db: DbOrTx, id: string, lock: boolean): Promise<SourceRow & { text: string }> {
  const query = db.select().from(sources).where(eq(sources.id, id));
  const [row] = lock ? await query.for('share') : await query;
  if (!row) throw notFound('source', id);
  if (row.text === null || row.text.length === 0) {
    throw new ApiError('unprocessable', 'The source has no text to extract claims from; give it `text` first.', {
      errors: [{ path: 'source.text', message: 'is empty' }],
    });
  }
  return row as SourceRow & { text: string };
}

const extractRoutes: FastifyPluginAsyncTypebox<ExtractRoutesOptions> = async (app, options) => {
  const maxLength = options.maxTextLength ?? DEFAULT_MAX_EXTRACT_LENGTH;
  const pool = new ExtractionPool(extractionPoolOptions(options.config));
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
    async (request) => {
      const { text, min_checkworthiness } = request.body;
      refuseLongText(text.length, maxLength, 'body.text');
      const language = refuseOtherLanguages(request.body.language, 'body.language');
      const result = await extract(pool, text, min_checkworthiness, 'body.text');
      return {
        language,
        candidates: await withClaimants(app.db, result.candidates),
        stats: { ...result.stats, elapsed_ms: result.elapsed },
      };
    },
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
      const commit = request.query.commit === true;
      // Extraction runs before the transaction so that no database connection waits for it;
      // the commit then locks the source and checks that its text is still the one read.
      const read = await sourceToExtract(app.db, request.params.id, false);
      refuseLongText(read.text.length, maxLength, 'source.text');
      refuseOtherLanguages(read.language, 'source.language');
      const result = await extract(pool, read.text, body.min_checkworthiness, 'source.text');
      const stats = { ...result.stats, elapsed_ms: result.elapsed };
      const prepare = async (db: DbOrTx, source: SourceRow & { text: string }) => {
        const language = refuseOtherLanguages(source.language, 'source.language');
        const matched = await withClaimants(db, result.candidates);
        const existing = await attributionsByQuote(db, source.id, matched.map((c) => c.quote));
        const candidates: Candidate[] = matched.map((c) => ({ ...c, existing_attribution_id: existing.get(c.quote) ?? null }));
        const choices = resolveKeep(body.keep, candidates);
        const shown = body.keep === undefined ? candidates : choices.map((c) => c.candidate as Candidate);
        return { source, language, choices, shown, stats };
      };

      if (!commit) {
        const { source, language, shown } = await prepare(app.db, read);
        return { source_id: source.id, language, committed: false, candidates: shown, claims: [], skipped: [], stats };
      }
      return reply.sendAfterWrite(async (w) => {
        const { tx } = w;
        const locked = await sourceToExtract(tx, request.params.id, true);
        if (locked.text !== read.text) {
          throw new ApiError('conflict', 'The source’s text changed while its claims were being extracted; nothing was written. Send the request again.');
        }
        const prepared = await prepare(tx, locked);
        const toWrite = prepared.choices.filter((c) => !(c.candidate as Candidate).existing_attribution_id);
        const skipped = prepared.choices
          .filter((c) => (c.candidate as Candidate).existing_attribution_id)
          .map((c) => ({ index: c.candidate.index, id: c.candidate.id, attribution_id: (c.candidate as Candidate).existing_attribution_id as string, reason: 'already_committed' as const }));
        const rows = await commitCandidates(w, prepared.source, toWrite, {
          language: prepared.source.language ?? 'en',
          topics: body.topics,
        });
        const claims = await embedInClaims(tx, rows, ['attributions', 'claimants']);
        return {
          status: claims.length > 0 ? 201 : 200,
          body: {
            source_id: prepared.source.id,
            language: prepared.language,
            committed: claims.length > 0,
            candidates: prepared.shown,
            claims,
            skipped,
            stats: prepared.stats,
          },
        };
      });
    },
  );
};

export default extractRoutes;
