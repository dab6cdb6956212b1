import { AttributionCreate } from '../resources/attributions/schemas.js';
import { ClaimantCreate } from '../resources/claimants/schemas.js';
import { ClaimCreate } from '../resources/claims/schemas.js';
import { ReviewCreate } from '../resources/reviews/schemas.js';
import { SourceCreate } from '../resources/sources/schemas.js';
import type { BulkType } from '../resources/bulk/schemas.js';

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

/** What a row of each type may be created with: its create endpoint's body (a review's claim as a field, as bulk lines give it). */
const WRITABLE: Record<BulkType, string[]> = {
  source: Object.keys(SourceCreate.properties),
  claimant: Object.keys(ClaimantCreate.properties),
  claim: Object.keys(ClaimCreate.properties),
  attribution: Object.keys(AttributionCreate.properties),
  review: ['claim_id', ...Object.keys(ReviewCreate.properties)],
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
