import { stringify } from 'csv-stringify/sync';
import type { Db } from '../../db/client.js';
import type { ReviewRow } from '../../db/schema.js';
import { toClaimReview } from '../../domain/claimreview.js';
import { claimReviewInputs, reviewsOfClaims } from '../reviews/queries.js';
import { columnNames, exportRows, retryingTimeouts, type Row } from './queries.js';
import type { ExportFormat, ExportType } from './schemas.js';

/**
 * Encoders: pages of rows in, text chunks out, one chunk per page.
 *
 * An export that stops midway must not look whole. The NDJSON encoders end with
 * one more line, `{"export_complete":true,"rows":N}`, written only after the last
 * row: a file without it was cut short. CSV has no room for such a line; there the
 * route aborts the connection instead of ending the response.
 */

/** The last line of a complete NDJSON or ClaimReview export; `rows` counts the lines before it. */
export const exportSummary = (rows: number) => `${JSON.stringify({ export_complete: true, rows })}\n`;

/** True for the summary line that ends an export (not a row). */
export const isExportSummary = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && (value as { export_complete?: unknown }).export_complete === true;

export async function* ndjson(batches: AsyncIterable<Row[]>): AsyncGenerator<string> {
  let count = 0;
  for await (const rows of batches) {
    let chunk = '';
    for (const row of rows) chunk += `${JSON.stringify(row)}\n`;
    count += rows.length;
    yield chunk;
  }
  yield exportSummary(count);
}

/**
 * Text a spreadsheet would read as a formula (https://owasp.org/www-community/attacks/CSV_Injection):
 * a leading `=`, `+`, `-`, `@`, tab or carriage return.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell: lists of plain values joined with `|`, objects (and lists of objects)
 * as JSON, null as nothing. Text that would start a formula gets a leading `'`, which
 * spreadsheets show as text and do not run; numbers are left as they are.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  let text: string;
  if (value instanceof Date) text = value.toISOString();
  else if (Array.isArray(value)) text = value.every((v) => v === null || typeof v !== 'object') ? value.join('|') : JSON.stringify(value);
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
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
 * it (claimReviewInputs + toClaimReview), a page at a time in a fixed number of
 * queries: `type=reviews` in review id order, `type=claims` claim by claim in
 * claim id order, each claim's reviews oldest first.
 */
export async function* claimReviews(db: Db, type: ExportType, batches: AsyncIterable<Row[]>): AsyncGenerator<string> {
  let count = 0;
  for await (const rows of batches) {
    // The page's rows are in hand; the queries that complete them are retried as the page's own are.
    const { reviewRows, inputs } = await retryingTimeouts(async () => {
      let reviewRows: ReviewRow[];
      if (type === 'reviews') reviewRows = rows as unknown as ReviewRow[];
      else {
        const byClaim = new Map<string, ReviewRow[]>(rows.map((c) => [c.id as string, []]));
        for (const r of await reviewsOfClaims(db, [...byClaim.keys()])) byClaim.get(r.claim_id)!.push(r);
        reviewRows = [...byClaim.values()].flat();
      }
      return { reviewRows, inputs: await claimReviewInputs(db, reviewRows) };
    });
    let chunk = '';
    for (const input of inputs) chunk += `${JSON.stringify(toClaimReview(input))}\n`;
    count += reviewRows.length;
    if (chunk) yield chunk;
  }
  yield exportSummary(count);
}

/**
 * The export of `type` rows matching the list `filters`, encoded as `format`: a
 * page of rows is read only when the chunks before it have been taken.
 */
export function exportFile(db: Db, type: ExportType, format: ExportFormat, filters: Record<string, unknown>): AsyncGenerator<string> {
  const rows = exportRows(db, type, filters, { reviewedClaimsOnly: format === 'claimreview' });
  if (format === 'csv') return csv(rows, columnNames(type));
  if (format === 'claimreview') return claimReviews(db, type, rows);
  return ndjson(rows);
}
