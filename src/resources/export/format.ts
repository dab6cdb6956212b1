import { stringify } from 'csv-stringify/sync';
import type { Db } from '../../db/client.js';
import type { ReviewRow } from '../../db/schema.js';
import { toClaimReview } from '../../domain/claimreview.js';
import { claimReviewInputs, reviewsOfClaim } from '../reviews/queries.js';
import type { Row } from './queries.js';
import type { ExportType } from './schemas.js';

/** Encoders: batches of rows in, text chunks out, one chunk per batch. */

export async function* ndjson(batches: AsyncIterable<Row[]>): AsyncGenerator<string> {
  for await (const rows of batches) {
    let chunk = '';
    for (const row of rows) chunk += `${JSON.stringify(row)}\n`;
    yield chunk;
  }
}

/** One CSV cell: lists of plain values joined with `|`, objects (and lists of objects) as JSON, null as nothing. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.every((v) => v === null || typeof v !== 'object') ? value.join('|') : JSON.stringify(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** RFC 4180: CRLF between records, a header row, fields with a comma, quote or line break quoted, quotes doubled. */
export async function* csv(batches: AsyncIterable<Row[]>, columns: string[]): AsyncGenerator<string> {
  let header = true;
  for await (const rows of batches) {
    yield stringify(
      rows.map((row) => columns.map((c) => csvCell(row[c]))),
      { header, columns, record_delimiter: 'windows', quoted_match: /[\r\n]/ },
    );
    header = false;
  }
  // An empty export is still a valid CSV file: its header.
  if (header) yield stringify([], { header: true, columns, record_delimiter: 'windows' });
}

/**
 * One ClaimReview per review, built as `GET /v1/reviews/{id}/claimreview` builds
 * it (claimReviewInputs + toClaimReview): per claim, a fixed number of queries.
 */
export async function* claimReviews(db: Db, type: ExportType, batches: AsyncIterable<Row[]>): AsyncGenerator<string> {
  for await (const rows of batches) {
    let chunk = '';
    if (type === 'reviews') {
      const byClaim = new Map<string, ReviewRow[]>();
      for (const r of rows as unknown as ReviewRow[]) byClaim.set(r.claim_id, [...(byClaim.get(r.claim_id) ?? []), r]);
      const docs = new Map<string, Record<string, unknown>>();
      for (const [claimId, reviewRows] of byClaim) {
        const inputs = await claimReviewInputs(db, claimId, reviewRows);
        inputs.forEach((input, i) => docs.set(reviewRows[i].id, toClaimReview(input)));
      }
      for (const r of rows) chunk += `${JSON.stringify(docs.get(r.id as string))}\n`;
    } else {
      for (const claim of rows) {
        const inputs = await claimReviewInputs(db, claim.id as string, await reviewsOfClaim(db, claim.id as string));
        for (const input of inputs) chunk += `${JSON.stringify(toClaimReview(input))}\n`;
      }
    }
    if (chunk) yield chunk;
  }
}
