import type { Json } from '../factories.js';

/** RFC 4180, strictly: records end in CRLF; quotes, commas and line breaks only inside quoted fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else if (c === '"' || c === '\n' || c === '\r') {
      throw new Error(`unquoted ${JSON.stringify(c)} at ${i}`);
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || record.length) throw new Error('the last record does not end in CRLF');
  return records;
}

/**
 * The rows of an NDJSON (or ClaimReview) export, after checking that it ends with
 * its summary line and that the line counts them; throws for a file cut short.
 */
export function ndjsonExportRows(body: string): Json[] {
  const lines = body
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json);
  const summary = lines.pop();
  if (JSON.stringify(summary) !== JSON.stringify({ export_complete: true, rows: lines.length })) {
    throw new Error(`the export does not end with {"export_complete":true,"rows":${lines.length}} but with ${JSON.stringify(summary)}`);
  }
  return lines;
}
