import { and, count, eq, not } from 'drizzle-orm';
import type { Write } from '../../db/write.js';
import { anyOf, type DbOrTx } from '../../db/client.js';
import { attributions, claimants, sources, type ClaimRow, type SourceRow } from '../../db/schema.js';
import type { CandidateClaim } from '../../domain/extract/index.js';
import type { AttributionInlineBody } from '../attributions/schemas.js';
import { createClaims } from '../claims/queries.js';
import { ApiError, notFound } from '../../lib/errors.js';
import type { RowFailure } from '../../lib/row-failures.js';
import { RESOLVE_MIN_SCORE, bestClaimantsFor, updateClaimant } from '../claimants/queries.js';
import type { ClaimantMatchOut } from './schemas.js';

/** A match at least this close is shown on the candidate. */
export const SUGGEST_SCORE = 0.45;
/**
 * A match at least this close is used when committing: the same threshold at which
 * `claimant_name` reuses a claimant (the same name or alias, or a spelling variant).
 * Below it the speaker is committed by name, which then creates a claimant.
 */
export const COMMIT_SCORE = RESOLVE_MIN_SCORE;

/** A source that has text to extract claims from. */
export type SourceWithText = SourceRow & { text: string };

/** The source to read, under a share lock when committing so its text cannot change until the claims are written. */
export async function sourceToExtract(db: DbOrTx, id: string, lock: boolean): Promise<SourceWithText> {
  const query = db.select().from(sources).where(eq(sources.id, id));
  const [row] = lock ? await query.for('share') : await query;
  if (!row) throw notFound('source', id);
  if (row.text === null || row.text.length === 0) {
    throw new ApiError('unprocessable', 'The source has no text to extract claims from; give it `text` first.', {
      errors: [{ path: 'source.text', message: 'is empty' }],
    });
  }
  return row as SourceWithText;
}

/** The best existing claimant for each speaker name, by claimant lookup's matcher and 0–1 score. */
export async function matchClaimantsByName(db: DbOrTx, names: string[]): Promise<Map<string, ClaimantMatchOut>> {
  const out = new Map<string, ClaimantMatchOut>();
  for (const [name, hit] of await bestClaimantsFor(db, names)) {
    if (hit.score >= SUGGEST_SCORE) out.set(name, { id: hit.id, name: hit.name, kind: hit.kind, score: hit.score });
  }
  return out;
}

/** Attributions of the source by their quote, to flag candidates already committed. */
export async function attributionsByQuote(db: DbOrTx, sourceId: string, quotes: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (quotes.length === 0) return out;
  const rows = await db
    .select({ id: attributions.id, quote: attributions.quote })
    .from(attributions)
    .where(and(eq(attributions.source_id, sourceId), anyOf(attributions.quote, [...new Set(quotes)])))
    .orderBy(attributions.id);
  for (const row of rows) if (row.quote && !out.has(row.quote)) out.set(row.quote, row.id);
  return out;
}

export interface CommitChoice {
  /** Where the request's `keep` named it, for error paths. */
  keepIndex?: number;
  candidate: CandidateClaim & { claimant: ClaimantMatchOut | null };
  claim_text?: string;
  claimant_id?: string;
  claimant_name?: string;
  claimant_label?: string | null;
  kind?: CandidateClaim['kind'];
  stance?: CandidateClaim['stance'];
}

/**
 * Who the attribution names: a correction from the request, else the matched
 * claimant when the match is close, else the speaker by name (matched exactly
 * or created, like `claimant_name` everywhere). Anonymous and group speakers
 * ("one official", "city officials") become a `claimant_label`.
 */
export function attributionFor(source: SourceRow, choice: CommitChoice): AttributionInlineBody {
  const c = choice.candidate;
  const base: AttributionInlineBody = {
    source_id: source.id,
    kind: choice.kind ?? c.kind,
    stance: choice.stance ?? c.stance,
    quote: c.quote,
  };
  const corrected = choice.claimant_id !== undefined || choice.claimant_name !== undefined || choice.claimant_label !== undefined;
  if (corrected) {
    return {
      ...base,
      ...(choice.claimant_id ? { claimant_id: choice.claimant_id } : {}),
      ...(choice.claimant_name ? { claimant_name: choice.claimant_name } : {}),
      ...(choice.claimant_label !== undefined ? { claimant_label: choice.claimant_label } : {}),
    };
  }
  const close = c.claimant && c.claimant.score >= COMMIT_SCORE ? c.claimant : null;
  if (c.speaker_type === 'anonymous') return { ...base, claimant_label: c.speaker };
  if (c.speaker_type === 'group') return { ...base, claimant_label: c.speaker, ...(close ? { claimant_id: close.id } : {}) };
  return close ? { ...base, claimant_id: close.id } : { ...base, claimant_name: c.speaker };
}

const MAX_CLAIM_TEXT = 2000;

function clip(text: string): string {
  if (text.length <= MAX_CLAIM_TEXT) return text;
  const cut = text.slice(0, MAX_CLAIM_TEXT - 1);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), MAX_CLAIM_TEXT / 2))}…`;
}

/**
 * Creates one claim with its attribution per choice, in the caller's transaction: all or
 * nothing. Refused: the failures of the first choice that failed, its fields named as the
 * choice's own (`quote`, `claimant_name`), not as the claim's (`attributions[0].quote`).
 */
export async function commitCandidates(
  w: Write,
  source: SourceRow,
  choices: CommitChoice[],
  options: { language: string; topics?: string[] },
): Promise<{ claims: ClaimRow[]; failures: RowFailure[] }> {
  const { created, failures } = await createClaims(
    w,
    choices.map((choice) => ({
      body: {
        text: clip(choice.claim_text ?? choice.candidate.claim_text),
        language: options.language,
        topics: options.topics,
        attributions: [attributionFor(source, choice)],
      },
    })),
  );
  if (failures.length) {
    const first = failures.filter((f) => f.row === failures[0].row);
    return { claims: [], failures: first.map((f) => ({ ...f, field: f.field.replace(/^attributions\[0\]\.?/, '') })) };
  }
  const claims = created.map((row) => row!);
  for (const [k, choice] of choices.entries()) await giveNewClaimantItsKind(w, claims[k].id, choice, claims.map((c) => c.id));
  return { claims, failures: [] };
}

/**
 * A speaker committed by name becomes a claimant of kind `unknown` (that is
 * how `claimant_name` creates one). When the claimant is new — still at
 * version 1, named by no attribution but those of this commit (`committed`,
 * its claims) — the extractor knows better: set `person` or `organization`.
 * An existing claimant is never touched.
 */
async function giveNewClaimantItsKind(w: Write, claimId: string, choice: CommitChoice, committed: string[]): Promise<void> {
  const { tx } = w;
  const kind = choice.candidate.speaker_type;
  if (choice.claimant_id || (kind !== 'person' && kind !== 'organization')) return;
  const [attribution] = await tx.select({ claimant_id: attributions.claimant_id }).from(attributions).where(eq(attributions.claim_id, claimId)).limit(1);
  if (!attribution?.claimant_id) return;
  const [row] = await tx.select({ kind: claimants.kind, version: claimants.version }).from(claimants).where(eq(claimants.id, attribution.claimant_id));
  if (!row || row.kind !== 'unknown' || row.version !== 1) return;
  const [uses] = await tx
    .select({ n: count() })
    .from(attributions)
    .where(and(eq(attributions.claimant_id, attribution.claimant_id), not(anyOf(attributions.claim_id, committed))));
  if (Number(uses?.n) !== 0) return;
  await updateClaimant(w, attribution.claimant_id, { kind });
}
