/**
 * claimledger import: sends NDJSON files to a running server's POST /v1/bulk.
 *
 *   npm run import -- [--url URL] [--key KEY] [--partial] [--type TYPE] FILE...
 *
 * A file holds either bulk lines (`{"type", "ref"?, "id"?, "data"}`) or rows of
 * an export (`GET /v1/export?type=…&format=ndjson`), which are converted on the
 * way (each keeps its id; derived fields are derived again). Several export
 * files are sent in dependency order (sources, claimants, claims, attributions,
 * reviews) in one request, so importing a whole export is one transaction:
 * everything or, by default, nothing. Files are streamed, never loaded whole.
 *
 * URL and key come from --url/--key or CLAIMLEDGER_URL/CLAIMLEDGER_API_KEY
 * (default URL http://127.0.0.1:3000). Exits 0 when every line was written.
 */
import { createReadStream, realpathSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { IMPORT_ORDER, bulkTypeOf, detectRowType, isBulkLine, rowToBulkLine } from './export-rows.js';
import type { BulkType } from '../resources/bulk/schemas.js';
import { isExportSummary } from '../resources/export/format.js';

export interface ImportOptions {
  url: string;
  key?: string;
  partial?: boolean;
  /** The type of the rows in export files, when it cannot be told from the file. */
  type?: BulkType;
  log?: (line: string) => void;
}

interface Planned {
  path: string;
  /** Export rows of this type, converted on the way; undefined: bulk lines, sent as they are. */
  rowType?: BulkType;
}

export class ImportError extends Error {}

async function firstLine(path: string): Promise<string | undefined> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line.trim()) return line;
    return undefined;
  } finally {
    lines.close();
  }
}

/** The file's last non-empty line, when it is short (an export's summary line is). */
async function lastShortLine(path: string): Promise<string | undefined> {
  const file = await open(path);
  try {
    const { size } = await file.stat();
    const length = Math.min(size, 4096);
    const { buffer } = await file.read(Buffer.alloc(length), 0, length, size - length);
    return buffer.toString('utf8').trimEnd().split('\n').at(-1);
  } finally {
    await file.close();
  }
}

function parsesAsSummary(line: string | undefined): boolean {
  try {
    return line !== undefined && isExportSummary(JSON.parse(line));
  } catch {
    return false;
  }
}

/** What each file holds, in the order to send them. */
export async function planFiles(paths: string[], type?: BulkType): Promise<Planned[]> {
  const planned: Planned[] = [];
  for (const path of paths) {
    const line = await firstLine(path);
    if (line === undefined) continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line.replace(/^\ufeff/, ''));
    } catch {
      throw new ImportError(`${path}: the first line is not JSON; import takes NDJSON (bulk lines or an ndjson export), not CSV.`);
    }
    if (isBulkLine(parsed)) {
      planned.push({ path });
      continue;
    }
    // An export ends with its summary line; without it, it was cut short and importing it would lose rows silently.
    if (isExportSummary(parsed)) continue;
    if (!parsesAsSummary(await lastShortLine(path))) {
      throw new ImportError(`${path}: this export does not end with its line {"export_complete":true,…}, so it was cut short; export it again.`);
    }
    const fromName = /claimledger-(claims|sources|claimants|attributions|reviews)-/.exec(basename(path))?.[1];
    const rowType = type ?? (fromName ? bulkTypeOf(fromName) : undefined) ?? detectRowType(parsed);
    if (!rowType) throw new ImportError(`${path}: cannot tell what rows these are; pass --type claims|sources|claimants|attributions|reviews.`);
    planned.push({ path, rowType });
  }
  const rank = (p: Planned) => (p.rowType ? IMPORT_ORDER.indexOf(p.rowType) : IMPORT_ORDER.length);
  return planned.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i).map(({ p }) => p);
}

/** The request body: every file's lines, converted where needed, in chunks of about 64 KiB. */
async function* body(files: Planned[]): AsyncGenerator<Buffer> {
  let chunk = '';
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(file.path, 'utf8'), crlfDelay: Infinity });
    for await (const raw of lines) {
      const line = raw.replace(/^\ufeff/, '');
      if (!line.trim()) continue;
      // A line that is not JSON goes as it is: the server names it in its answer.
      let out = line;
      if (file.rowType) {
        let row: unknown;
        try {
          row = JSON.parse(line);
          out = JSON.stringify(rowToBulkLine(file.rowType, row as Record<string, unknown>));
        } catch {
          out = line;
        }
        if (isExportSummary(row)) continue;
      }
      chunk += `${out}\n`;
      if (chunk.length >= 65_536) {
        yield Buffer.from(chunk);
        chunk = '';
      }
    }
  }
  if (chunk) yield Buffer.from(chunk);
}

interface LineError {
  line?: number;
  path: string;
  message: string;
}

export async function importFiles(paths: string[], options: ImportOptions): Promise<{ ok: boolean; status: number; body: Record<string, unknown> }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const files = await planFiles(paths, options.type);
  if (files.length === 0) throw new ImportError('Nothing to import: the files are empty.');
  for (const f of files) log(`${f.path}: ${f.rowType ? `exported ${f.rowType} rows` : 'bulk lines'}`);
  const url = new URL(`/v1/bulk${options.partial ? '?mode=partial' : ''}`, options.url);
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  const res = await fetch(url, { method: 'POST', headers, body: body(files) as unknown as RequestInit['body'], duplex: 'half' } as RequestInit);
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { detail: text };
  }
  if (res.ok) {
    const counts = Object.entries(parsed.counts as Record<string, number>)
      .filter(([, n]) => n > 0)
      .map(([t, n]) => `${n} ${t}${n === 1 ? '' : 's'}`)
      .join(', ');
    log(`created ${parsed.created} of ${parsed.lines} lines${counts ? `: ${counts}` : ''}`);
    const failed = (parsed.results as { line: number; status: string; errors?: LineError[] }[]).filter((r) => r.status === 'failed');
    for (const r of failed.slice(0, 100)) for (const e of r.errors ?? []) log(`  line ${r.line}: ${e.path || '(line)'} ${e.message}`);
    if (failed.length > 100) log(`  … and ${failed.length - 100} more failed lines`);
    return { ok: failed.length === 0, status: res.status, body: parsed };
  }
  log(`refused (${res.status}): ${parsed.detail ?? parsed.title ?? text}`);
  const errors = (parsed.errors as LineError[] | undefined) ?? [];
  for (const e of errors.slice(0, 100)) log(`  ${e.line ? `line ${e.line}: ` : ''}${e.path || '(line)'} ${e.message}`);
  if (errors.length > 100) log(`  … and ${errors.length - 100} more errors`);
  return { ok: false, status: res.status, body: parsed };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      partial: { type: 'boolean', default: false },
      type: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log('usage: npm run import -- [--url URL] [--key KEY] [--partial] [--type claims|sources|claimants|attributions|reviews] FILE...');
    process.exit(values.help ? 0 : 2);
  }
  const type = values.type ? bulkTypeOf(values.type) : undefined;
  if (values.type && !type) throw new ImportError(`--type ${values.type}: not one of claims, sources, claimants, attributions, reviews`);
  const result = await importFiles(positionals, {
    url: values.url ?? process.env.CLAIMLEDGER_URL ?? 'http://127.0.0.1:3000',
    key: values.key ?? process.env.CLAIMLEDGER_API_KEY,
    partial: values.partial,
    type,
  });
  process.exit(result.ok ? 0 : 1);
}

const invokedDirectly = process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
if (invokedDirectly) {
  main().catch((err) => {
    console.error(`claimledger import: ${(err as Error).message}`);
    process.exit(1);
  });
}
