import type { BulkType } from './schemas.js';

/**
 * Exported rows (GET /v1/export, format=ndjson) → bulk lines (POST /v1/bulk):
 * each row keeps its id and carries the fields its create endpoint takes;
 * everything the API derives (selectors, counts, verdicts, first_seen_at,
 * hashes, timestamps, versions) is derived again on import.
 */

export interface BulkLineObject {
  type: BulkType;
  id?: string;
  ref?: string;
  data: Record<string, unknown>;
}

const WRITABLE: Record<BulkType, string[]> = {
  source: ['kind', 'url', 'title', 'publisher', 'authors', 'language', 'published_at', 'text', 'metadata'],
  claimant: ['name', 'kind', 'aliases', 'description', 'wikidata_id', 'url'],
  claim: ['text', 'language', 'topics', 'status'],
  attribution: ['claim_id', 'source_id', 'claimant_id', 'claimant_label', 'kind', 'stance', 'quote', 'said_at'],
  review: [
    'claim_id',
    'verdict',
    'textual_rating',
    'rating_value',
    'best_rating',
    'worst_rating',
    'summary',
    'reviewer_name',
    'reviewer_url',
    'url',
    'published_at',
    'language',
    'evidence',
  ],
};

/** The order a whole export must be imported in: what a row refers to comes first. */
export const IMPORT_ORDER: readonly BulkType[] = ['source', 'claimant', 'claim', 'attribution', 'review'];

const EXPORT_NAMES: Record<string, BulkType> = {
  claims: 'claim',
  sources: 'source',
  claimants: 'claimant',
  attributions: 'attribution',
  reviews: 'review',
};

/** `claims` (an export's `type`) or `claim` (a bulk line's) → `claim`. */
export function bulkTypeOf(name: string): BulkType | undefined {
  if ((IMPORT_ORDER as readonly string[]).includes(name)) return name as BulkType;
  return EXPORT_NAMES[name];
}

/** Recognises an exported row by its fields. */
export function detectRowType(row: Record<string, unknown>): BulkType | undefined {
  if ('verdict' in row && 'claim_id' in row && 'evidence' in row) return 'review';
  if ('claim_id' in row && 'source_id' in row && 'stance' in row) return 'attribution';
  if ('topics' in row && 'text' in row && 'status' in row) return 'claim';
  if ('title' in row && 'kind' in row) return 'source';
  if ('name' in row && 'aliases' in row) return 'claimant';
  return undefined;
}

/** Whether a parsed line is already a bulk line rather than an exported row. */
export const isBulkLine = (value: Record<string, unknown>) => typeof value.type === 'string' && typeof value.data === 'object' && value.data !== null;

export function rowToBulkLine(type: BulkType, row: Record<string, unknown>): BulkLineObject {
  const data: Record<string, unknown> = {};
  for (const field of WRITABLE[type]) {
    const value = row[field];
    if (value === null || value === undefined) continue;
    // `reviewed` follows from the reviews, which are imported after the claim.
    if (type === 'claim' && field === 'status' && value === 'reviewed') continue;
    if (type === 'review' && field === 'evidence') {
      data.evidence = (value as Record<string, unknown>[]).map(({ source_id, stance, note }) => (note === null || note === undefined ? { source_id, stance } : { source_id, stance, note }));
      continue;
    }
    data[field] = value;
  }
  return { type, id: row.id as string, data };
}
