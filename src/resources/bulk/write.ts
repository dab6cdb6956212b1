import type { Db } from '../../db/client.js';
import { createIsolated, withWrite, type Write } from '../../db/write.js';
import type { Actor } from '../../lib/actor.js';
import { fieldPath, type Created, type RowFailure } from '../../lib/row-failures.js';
import { createAttributions } from '../attributions/queries.js';
import { createClaimants } from '../claimants/queries.js';
import { createClaims } from '../claims/queries.js';
import { createReviews } from '../reviews/queries.js';
import { createSources } from '../sources/queries.js';
import type { RawLine } from './ndjson.js';
import { LinePreparer, type Prepared } from './prepare.js';
import { BulkReport, type BulkMode, type LineFailure } from './report.js';
import { BULK_TYPES, type BulkType } from './schemas.js';

/**
 * Writes a bulk request in one transaction.
 *
 * Lines are read and validated one by one, and written in windows of up to a
 * thousand lines of any one type (4,000 lines, 8 MiB in all): within a window
 * all sources go first, then claimants, claims, attributions and reviews, so
 * every `*_ref` (which always names an earlier line) points at a row that
 * exists by the time it is used. Each type's lines
 * of a window go to the very function the single endpoint calls
 * (`createSources`, `createClaims`…), as one set: the same checks, locks,
 * anchoring and events, in a few statements per window. While the database
 * writes one window, the next one is read and validated.
 *
 * Each set goes through `createIsolated`, so one bad line never takes its
 * neighbours down, and before attributions and reviews the planner's
 * statistics are refreshed if the import has grown (`Write.analyzeIfGrown`).
 *
 * The write's events are staged in its temporary table after every window
 * (`Write.stage`) and appended to the change log at commit, as for every
 * write; memory stays flat whatever the size of the upload.
 */

/**
 * A window closes when one type has SET_ROWS lines in it: each set is written by a handful of
 * statements whatever its size, so a window of many types shares them among more lines (and a
 * claim named by several attributions of a window is refreshed, and its update logged, once),
 * while no one set grows past the size a thousand-line window gave it: on claims alone, windows
 * of 4,000 imported a tenth slower than windows of 1,000 (bench/STATS-BULK.md).
 */
export const SET_ROWS = 1000;
const WINDOW_LINES = 4000;
const WINDOW_BYTES = 8 * 1024 * 1024;
const ORDER: readonly BulkType[] = BULK_TYPES;

/** The request was refused as a whole (atomic mode, some line bad): nothing was written. */
export class BulkRejected extends Error {
  constructor(readonly report: BulkReport) {
    super('bulk request refused');
  }
}

export { BulkReport, type BulkMode };

export async function runBulk(db: Db, actor: Actor, lines: AsyncIterable<RawLine>, mode: BulkMode): Promise<BulkReport> {
  const report = new BulkReport(mode);
  await withWrite(db, actor, async (w) => {
    const writer = new BulkWriter(w, report);
    try {
      await readLines(writer, report, lines);
      await writer.finish();
    } catch (err) {
      // A window may still be on its way to the database: it must end before the
      // transaction rolls back, or its statements would run after, outside it.
      await writer.settle();
      throw err;
    }
    // Atomic: one bad line and the transaction rolls back, events and all.
    if (mode === 'atomic' && report.failed > 0) throw new BulkRejected(report);
  });
  return report;
}

async function readLines(writer: BulkWriter, report: BulkReport, lines: AsyncIterable<RawLine>) {
  for await (const raw of lines) {
    // A body already in memory yields lines without ever leaving the microtask queue;
    // step out now and then so the database's answers for the window in flight are
    // handled while the next one is read (otherwise they wait until it is full).
    if (report.lines % 64 === 63) await new Promise<void>((resolve) => setImmediate(resolve));
    const index = report.add(raw.number);
    const prepared = writer.preparer.prepare(raw, index);
    if (!prepared.ok) {
      report.describe(index, prepared.type, prepared.ref);
      report.fail(index, { errors: prepared.errors });
      continue;
    }
    report.describe(index, prepared.item.type, prepared.item.ref, prepared.item.id);
    await writer.add(prepared.item);
  }
}

class BulkWriter {
  readonly preparer: LinePreparer;
  private window: Prepared[] = [];
  private windowBytes = 0;
  private readonly ofType = new Map<BulkType, number>();
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly w: Write,
    private readonly report: BulkReport,
  ) {
    this.preparer = new LinePreparer(report);
  }

  async add(item: Prepared) {
    this.window.push(item);
    this.windowBytes += item.bytes;
    const ofType = (this.ofType.get(item.type) ?? 0) + 1;
    this.ofType.set(item.type, ofType);
    if (ofType >= SET_ROWS || this.window.length >= WINDOW_LINES || this.windowBytes >= WINDOW_BYTES) {
      const window = this.take();
      // One window in the database while the next is read and validated.
      await this.inflight;
      this.inflight = this.flush(window);
      this.inflight.catch(() => {}); // awaited (and thrown) at the next window or at the end
    }
  }

  /** Waits for the window in flight, whatever becomes of it. */
  async settle() {
    await this.inflight.catch(() => {});
  }

  async finish() {
    const window = this.take();
    await this.inflight;
    await this.flush(window);
  }

  private take(): Prepared[] {
    const window = this.window;
    this.window = [];
    this.windowBytes = 0;
    this.ofType.clear();
    return window;
  }

  private async flush(window: Prepared[]) {
    for (const type of ORDER) {
      const items = window.filter((i) => i.type === type);
      if (items.length === 0) continue;
      if (type === 'attribution' || type === 'review') await this.w.analyzeIfGrown();
      await this.writeSet(items);
    }
    await this.w.stage();
  }

  /** The lines of one type as one set, each line isolated from the others' failures. */
  private async writeSet(items: Prepared[]) {
    const result = await createIsolated(this.w, items, create);
    const failed = lineFailures(items, result.failures, this.preparer.failedIds);
    items.forEach((item, k) => {
      const failure = failed.get(item);
      if (failure) this.failed(item, failure);
      else this.written(item, result.created[k]);
    });
  }

  private written(item: Prepared, row: unknown) {
    this.report.written(item.index, item.type);
    const resolution = (row as { claimant_resolution?: { claimant_id: string; status: 'matched' | 'created' } }).claimant_resolution;
    if (resolution) this.report.resolvedClaimant(item.index, { claimant_id: resolution.claimant_id, status: resolution.status });
  }

  private failed(item: Prepared, failure: LineFailure) {
    this.preparer.markFailed(item);
    this.report.fail(item.index, failure);
  }
}

const linesOf = <T extends BulkType>(items: readonly Prepared[]) => items as Extract<Prepared, { type: T }>[];

/** The lines of one type, given to the function the single endpoint calls. */
function create(w: Write, items: readonly Prepared[]): Promise<Created<unknown>> {
  switch (items[0].type) {
    case 'source':
      return createSources(w, linesOf<'source'>(items).map((i) => ({ id: i.id, body: i.body })));
    case 'claimant':
      return createClaimants(w, linesOf<'claimant'>(items).map((i) => ({ id: i.id, body: i.body })));
    case 'claim':
      return createClaims(w, linesOf<'claim'>(items).map((i) => ({ id: i.id, body: i.body })));
    case 'attribution':
      return createAttributions(
        w,
        linesOf<'attribution'>(items).map(({ id, body: { claim_id, ...body } }) => ({ id, claim_id, body })),
      );
    case 'review':
      return createReviews(w, linesOf<'review'>(items).map((i) => ({ id: i.id, claim_id: i.claimId, body: i.body })));
  }
}

/**
 * A set's failures as its lines' failures: `data.` in front of the field (`id`
 * is the line's own), written as the client wrote it (`data.claim_ref`), and a
 * line number where the row named another line of the request.
 */
function lineFailures(items: readonly Prepared[], failures: readonly RowFailure[], failedIds: Map<string, number>): Map<Prepared, LineFailure> {
  const failed = new Map<Prepared, LineFailure>();
  for (const f of failures) {
    const item = items[f.row];
    const path = f.field === 'id' ? 'id' : fieldPath('data', f.field);
    const message = f.same_as === undefined ? explainMissing(f.message, failedIds) : `is also the ${f.field} of line ${items[f.same_as].line}`;
    const existing = f.same_as === undefined ? f.existing_id : items[f.same_as].id;
    const error = { line: item.line, path: item.aliases.get(path) ?? path, message, code: f.code };
    const known = failed.get(item);
    if (known) known.errors.push(error);
    else failed.set(item, { errors: [error], existing_id: existing });
  }
  return failed;
}

/** "refers to no existing claim (X)" where X is a line of this request that failed: say so. */
function explainMissing(message: string, failedIds: Map<string, number>): string {
  const m = /refers to no existing \w+ \(([0-9a-f-]{36})\)/.exec(message);
  const line = m && failedIds.get(m[1]);
  return line ? `names line ${line}, which was not written` : message;
}
