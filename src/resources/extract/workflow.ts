import type { DbOrTx } from '../../db/client.js';
import type { Write } from '../../db/write.js';
import type { CandidateClaim } from '../../domain/extract/index.js';
import { ExtractionBusyError, ExtractionTimeoutError, type ExtractionPool, type TimedExtraction } from '../../domain/extract/pool.js';
import { ApiError, type FieldError } from '../../lib/errors.js';
import { rowProblem } from '../../lib/row-failures.js';
import { embedInClaims } from '../claims/queries.js';
import { attributionsByQuote, commitCandidates, matchClaimantsByName, sourceToExtract, type CommitChoice, type SourceWithText } from './queries.js';
import type { ClaimantMatchOut, ExtractRequestBody, KeepItem, SourceExtractBody } from './schemas.js';

/**
 * Claim extraction from start to finish: the text checked, the extractor run on
 * its threads, speakers matched to claimants, and, for a stored source, the kept
 * candidates committed as claims. Routes call these with the request's values;
 * errors name the request's fields (`body.text`, `body.keep[2]`) or the source's
 * (`source.text`).
 */

/** What extracts: the process's pool of threads, and the longest text it takes (UTF-16 code units). */
export interface Extractor {
  pool: ExtractionPool;
  maxTextLength: number;
}

type Candidate = CandidateClaim & { claimant: ClaimantMatchOut | null; existing_attribution_id?: string | null };
type Choice = CommitChoice & { candidate: Candidate };

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
async function runExtraction(pool: ExtractionPool, text: string, minCheckworthiness: number | undefined, path: string) {
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
  const { candidates, stats, elapsedMs } = result;
  return { candidates, stats: { ...stats, elapsed_ms: Math.round(elapsedMs * 10) / 10 } };
}

/** Adds the matching claimant to each candidate; anonymous speakers are never matched. */
async function withClaimants(db: DbOrTx, candidates: CandidateClaim[]): Promise<Candidate[]> {
  const named = candidates.filter((c) => c.speaker_type !== 'anonymous').map((c) => c.speaker);
  const matches = await matchClaimantsByName(db, named);
  return candidates.map((c) => ({ ...c, claimant: c.speaker_type === 'anonymous' ? null : (matches.get(c.speaker.trim()) ?? null) }));
}

/** Turns `keep` into the candidates to commit; any reference to no candidate is 422 before anything is written. */
function resolveKeep(keep: KeepItem[] | undefined, candidates: Candidate[]): Choice[] {
  if (keep === undefined) return candidates.map((candidate) => ({ candidate }));
  const errors: FieldError[] = [];
  const seen = new Map<number, number>();
  const choices: Choice[] = [];
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
    const candidate = (byIndex ?? byId)!;
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

/** Candidate claims in a text the client sent, with the claimants they match; writes nothing. */
export async function extractFromText(db: DbOrTx, extractor: Extractor, body: ExtractRequestBody) {
  refuseLongText(body.text.length, extractor.maxTextLength, 'body.text');
  const language = refuseOtherLanguages(body.language, 'body.language');
  const { candidates, stats } = await runExtraction(extractor.pool, body.text, body.min_checkworthiness, 'body.text');
  return { language, candidates: await withClaimants(db, candidates), stats };
}

/** A stored source's text and the candidates extracted from it, before anything is matched or written. */
export interface SourceExtraction {
  source: SourceWithText;
  candidates: CandidateClaim[];
  stats: Awaited<ReturnType<typeof runExtraction>>['stats'];
}

/**
 * Reads the source and extracts its candidates. Run it outside any transaction,
 * so that no database connection waits for the extractor; `commitSourceExtraction`
 * then checks that the source's text is still the one read.
 */
export async function extractFromSource(db: DbOrTx, extractor: Extractor, sourceId: string, minCheckworthiness?: number): Promise<SourceExtraction> {
  const source = await sourceToExtract(db, sourceId, false);
  refuseLongText(source.text.length, extractor.maxTextLength, 'source.text');
  refuseOtherLanguages(source.language, 'source.language');
  const { candidates, stats } = await runExtraction(extractor.pool, source.text, minCheckworthiness, 'source.text');
  return { source, candidates, stats };
}

/** The candidates matched to claimants and to the source's attributions, and those `keep` chooses. */
async function prepare(db: DbOrTx, source: SourceWithText, extracted: CandidateClaim[], keep: KeepItem[] | undefined) {
  const language = refuseOtherLanguages(source.language, 'source.language');
  const matched = await withClaimants(db, extracted);
  const existing = await attributionsByQuote(db, source.id, matched.map((c) => c.quote));
  const candidates: Candidate[] = matched.map((c) => ({ ...c, existing_attribution_id: existing.get(c.quote) ?? null }));
  const choices = resolveKeep(keep, candidates);
  const shown = keep === undefined ? candidates : choices.map((c) => c.candidate);
  return { language, choices, shown };
}

/** What committing the extraction would keep, without writing anything. */
export async function previewSourceExtraction(db: DbOrTx, extraction: SourceExtraction, keep: KeepItem[] | undefined) {
  const { source, stats } = extraction;
  const { language, shown } = await prepare(db, source, extraction.candidates, keep);
  return { source_id: source.id, language, committed: false, candidates: shown, claims: [], skipped: [], stats };
}

/**
 * Creates the kept candidates as claims, each with its attribution to the
 * source, in the write's transaction. The source is locked first: if its text
 * is no longer the one extracted from, that is a conflict and nothing is
 * written. Candidates whose quote the source already has an attribution for
 * are skipped, not written twice.
 */
export async function commitSourceExtraction(w: Write, extraction: SourceExtraction, body: Pick<SourceExtractBody, 'keep' | 'topics'>) {
  const source = await sourceToExtract(w.tx, extraction.source.id, true);
  if (source.text !== extraction.source.text) {
    throw new ApiError('conflict', 'The source’s text changed while its claims were being extracted; nothing was written. Send the request again.');
  }
  const { language, choices, shown } = await prepare(w.tx, source, extraction.candidates, body.keep);
  const toWrite = choices.filter((c) => !c.candidate.existing_attribution_id);
  const skipped = choices
    .filter((c) => c.candidate.existing_attribution_id)
    .map((c) => ({ index: c.candidate.index, id: c.candidate.id, attribution_id: c.candidate.existing_attribution_id!, reason: 'already_committed' as const }));
  const written = await commitCandidates(w, source, toWrite, { language: source.language ?? 'en', topics: body.topics });
  if (written.failures.length) {
    // Named as the client named the candidate: the kept one, or the candidate as shown.
    const choice = toWrite[written.failures[0].row];
    throw rowProblem(written.failures, choice.keepIndex !== undefined ? `body.keep[${choice.keepIndex}]` : `candidates[${choice.candidate.index}]`);
  }
  const claims = await embedInClaims(w.tx, written.claims, ['attributions', 'claimants']);
  return { source_id: source.id, language, committed: claims.length > 0, candidates: shown, claims, skipped, stats: extraction.stats };
}
