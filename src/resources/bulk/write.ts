import { and, getTableColumns, isNotNull, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/client.js';
import { withWrite, type Write } from '../../db/write.js';
import { attributions, claimantColumns, claimColumns, reviewEvidence, reviews, sources } from '../../db/schema.js';
import { anchorQuotation, type QuotationAnchor } from '../../domain/anchor.js';
import type { Actor } from '../../lib/actor.js';
import { ApiError } from '../../lib/errors.js';
import { problemFromPgError } from '../../lib/pg-errors.js';
import { fieldPath, rowProblem, type RowFailure } from '../../lib/row-failures.js';
import { attributionValues, createAttribution, quoteMissMessage } from '../attributions/queries.js';
import { createClaimants, resolveClaimantNames } from '../claimants/queries.js';
import { lockClaims } from '../lock-order.js';
import { refreshClaimsDerived } from '../claims/derived.js';
import { rowsOf } from '../../db/client.js';
import { claimValues, createClaim } from '../claims/queries.js';
import { checkRatings, createReview, reviewValues } from '../reviews/queries.js';
import { createSource, sourceValues, urlOrRefuse } from '../sources/queries.js';
import type { RawLine } from './ndjson.js';
import { newId } from '../../lib/ids.js';
import { LinePreparer, type Prepared } from './prepare.js';
import { BulkReport, type BulkMode, type LineFailure } from './report.js';
import { BULK_TYPES, type BulkType } from './schemas.js';

/**
 * Writes a bulk request in one transaction.
 *
 * Lines are read and validated one by one, and written in windows of a few
 * hundred: within a window all sources go first, then claimants, claims,
 * attributions and reviews, so every `*_ref` (which always names an earlier
 * line) points at a row that exists by the time it is used.
 *
 * The common lines (sources, claimants, claims without inline attributions,
 * attributions naming claimants by id) take a batched path: one INSERT per type
 * and window, fed by a single JSON parameter, that also stages the rows' events
 * (built by PostgreSQL from the inserted rows, in the shape recordEvent gives
 * them), with the same checks, defaults, url normalisation and anchoring as the
 * single endpoints. While the database writes one window, the next one is read
 * and validated. Everything else, and any batch whose INSERT fails unexpectedly,
 * goes line by line through the single endpoints' own functions (createSource,
 * createClaim, createAttribution, createReview…), each in a savepoint of the
 * write (`Write.savepoint`), so one bad line never takes its neighbours down and
 * its events go with it.
 *
 * The write's events are staged in its temporary table after every window
 * (`Write.stage`) and appended to the change log at commit, as for every
 * write; memory stays flat whatever the size of the upload.
 */

const WINDOW_LINES = 1000;
const WINDOW_BYTES = 8 * 1024 * 1024;
/** Texts read at once for anchoring, in UTF-16 units. */
const TEXT_BUDGET = 8_000_000;
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

type FastResult = { failed: Map<Prepared, LineFailure> };

class BulkWriter {
  readonly preparer: LinePreparer;
  private window: Prepared[] = [];
  private windowBytes = 0;
  private inflight: Promise<void> = Promise.resolve();
  private analyzedAt = 0;

  constructor(
    private readonly w: Write,
    private readonly report: BulkReport,
  ) {
    this.preparer = new LinePreparer(report);
  }

  async add(item: Prepared) {
    // A claim's row depends on nothing in the database: make it now, while the
    // previous window is being written, rather than on the way to the database.
    if (item.type === 'claim' && !needsSinglePath(item)) item.row = JSON.stringify({ ...claimRow(item, new Date()), _n: item.index, _event: newId() });
    this.window.push(item);
    this.windowBytes += item.bytes;
    if (this.window.length >= WINDOW_LINES || this.windowBytes >= WINDOW_BYTES) {
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

  /**
   * Refreshing derived fields joins the claims being written with their
   * attributions and reviews. Tables that grew inside this transaction have no
   * statistics for it, and the planner, guessing, picks plans that go quadratic
   * (a hash of all sources built for every claim). So statistics are refreshed
   * after the first thousand rows and whenever this request has written four
   * times what it had at the last refresh: a handful of ANALYZEs even for a very
   * large import. ANALYZE sees this transaction's rows; it waits at most a second
   * for a lock, else it is skipped.
   */
  private async analyzeIfGrown() {
    const written = this.report.created;
    if (written < Math.max(1000, 4 * this.analyzedAt)) return;
    this.analyzedAt = written;
    const [previous] = rowsOf<{ value: string }>(await this.w.tx.execute(sql`select current_setting('lock_timeout') as value`));
    await this.w
      .savepoint(async ({ tx }) => {
        await tx.execute(sql`select set_config('lock_timeout', '1s', true)`);
        await tx.execute(sql`analyze sources, claims, attributions, reviews`);
        await tx.execute(sql`select set_config('lock_timeout', ${previous.value}, true)`);
      })
      .catch(() => {}); // no lock within the second: skipped, the import goes on
  }

  private take(): Prepared[] {
    const window = this.window;
    this.window = [];
    this.windowBytes = 0;
    return window;
  }

  private async flush(window: Prepared[]) {
    for (const type of ORDER) {
      const items = window.filter((i) => i.type === type);
      if (items.length === 0) continue;
      if (type === 'attribution' || type === 'review') await this.analyzeIfGrown();
      const batched = items.filter((i) => !needsSinglePath(i));
      if (batched.length) await this.runBatched(type, batched);
      for (const item of items) if (needsSinglePath(item)) await this.runSingle(item);
    }
    await this.w.stage();
  }

  private written(item: Prepared) {
    this.report.written(item.index, item.type);
    if (item.claimant) this.report.resolvedClaimant(item.index, item.claimant);
  }

  private failed(item: Prepared, failure: LineFailure) {
    this.preparer.markFailed(item);
    this.report.fail(item.index, failure);
  }

  /** One INSERT for the window's lines of a type; if it fails unexpectedly, the lines go one by one. */
  private async runBatched(type: BulkType, items: Prepared[]) {
    let result: FastResult;
    try {
      result = await this.w.savepoint((w) => BATCHED[type](w, items as never, this.preparer.failedIds));
    } catch (err) {
      if (!lineFailure(err, items[0])) throw err; // not about the data: the request fails
      for (const item of items) await this.runSingle(item);
      return;
    }
    for (const item of items) {
      const failure = result.failed.get(item);
      if (failure) this.failed(item, failure);
      else this.written(item);
    }
  }

  /** The single endpoint's own function, in a savepoint of its own: a failed line's rows and events go with it. */
  private async runSingle(item: Prepared) {
    try {
      await this.w.savepoint((w) => SINGLE[item.type](w, item as never));
    } catch (err) {
      const failure = lineFailure(err, item, this.preparer.failedIds);
      if (!failure) throw err;
      this.failed(item, failure);
      return;
    }
    this.written(item);
  }
}

/** Lines the batched path does not handle: they go through the single endpoint's function. */
function needsSinglePath(item: Prepared): boolean {
  if (item.type === 'claim') return (item.body.attributions?.length ?? 0) > 0;
  return false;
}

const SINGLE: { [T in BulkType]: (w: Write, item: Extract<Prepared, { type: T }>) => Promise<unknown> } = {
  source: (w, item) => createSource(w, item.body, { id: item.id }),
  claimant: async (w, item) => {
    const { failures } = await createClaimants(w, [{ id: item.id, body: item.body }]);
    if (failures.length) throw rowProblem(failures);
  },
  claim: (w, item) => createClaim(w, item.body, { id: item.id }),
  attribution: async (w, item) => {
    item.claimant = (await createAttribution(w, item.body, { id: item.id })).claimant_resolution;
  },
  review: (w, item) => createReview(w, item.claimId, item.body, { id: item.id }),
};

/**
 * An error of one line as the single endpoint would report it, with `body.` paths
 * read as `data.`; undefined for errors that are not about the line's data
 * (a lost connection, a bug), which fail the whole request.
 */
function lineFailure(err: unknown, item: Prepared, failedIds?: Map<string, number>): LineFailure | undefined {
  let problem = err instanceof ApiError ? err : undefined;
  if (!problem) {
    problem = problemFromPgError(err);
    if (problem && ['unavailable', 'timeout'].includes(problem.code)) return undefined;
  }
  if (!problem) return undefined;
  let listed = problem.extra.errors?.length ? problem.extra.errors : [{ path: 'body', message: problem.message }];
  // POST /claims/{id}/reviews answers 404 for an unknown claim; here the claim is a field.
  if (problem.code === 'not_found' && item.type === 'review') listed = [{ path: 'body.claim_id', message: `refers to no existing claim (${item.claimId})` }];
  const code = problem.code === 'not_found' ? 'unprocessable' : problem.code;
  const errors = listed.map((e) => {
    const path = e.path.replace(/^body/, 'data');
    return { line: item.line, path: item.aliases.get(path) ?? path, message: explainMissing(e.message, failedIds), code };
  });
  return { errors, existing_id: typeof problem.extra.existing_id === 'string' ? problem.extra.existing_id : undefined };
}

/** "refers to no existing claim (X)" where X is a line of this request that failed: say so. */
function explainMissing(message: string, failedIds?: Map<string, number>): string {
  const m = /refers to no existing (\w+) \(([0-9a-f-]{36})\)/.exec(message);
  const line = m && failedIds?.get(m[2]);
  return line ? `names line ${line}, which was not written` : message;
}

/**
 * A set-based write's failures as the lines' failures: `data.` in front of the
 * field (`id` is the line's own), a line number for another row of the input.
 */
function lineFailures(items: readonly Prepared[], failures: readonly RowFailure[]): Map<Prepared, LineFailure> {
  const failed = new Map<Prepared, LineFailure>();
  for (const f of failures) {
    const item = items[f.row];
    const path = f.field === 'id' ? 'id' : fieldPath('data', f.field);
    const message = f.same_as === undefined ? f.message : `is also the ${f.field} of line ${items[f.same_as].line}`;
    const existing = f.same_as === undefined ? f.existing_id : items[f.same_as].id;
    const known = failed.get(item);
    const error = { line: item.line, path: item.aliases.get(path) ?? path, message, code: f.code };
    if (known) known.errors.push(error);
    else failed.set(item, { errors: [error], existing_id: existing });
  }
  return failed;
}

const fieldFailure = (item: Prepared, path: string, message: string, code: string, existing_id?: string): LineFailure => ({
  errors: [{ line: item.line, path: item.aliases.get(path) ?? path, message, code }],
  existing_id,
});

const missing = (item: Prepared, path: string, what: string, id: string, failedIds: Map<string, number>) => {
  const line = failedIds.get(id);
  return fieldFailure(item, path, line ? `names line ${line}, which was not written` : `refers to no existing ${what} (${id})`, 'unprocessable');
};

/** The columns an event snapshot holds: what the API shows (sources: without their text). */
const SNAPSHOT_COLUMNS: Record<BulkType, PgColumn[]> = {
  source: Object.values(getTableColumns(sources)).filter((c) => c.name !== 'text'),
  claimant: Object.values(claimantColumns),
  claim: Object.values(claimColumns),
  attribution: Object.values(getTableColumns(attributions)),
  review: Object.values(getTableColumns(reviews)),
};

/** `after` as recordEvent writes it (JSON.stringify of the row): timestamps as RFC 3339 UTC with milliseconds. */
function snapshotSql(entity: BulkType): string {
  const pairs = SNAPSHOT_COLUMNS[entity].map((c) => {
    const value = c.columnType === 'PgTimestamp' ? `to_char(ins."${c.name}" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : `ins."${c.name}"`;
    return `'${c.name}', ${value}`;
  });
  return `jsonb_build_object(${pairs.join(', ')})`;
}

/**
 * INSERT … SELECT from one JSON parameter (any number of rows, one round trip, no
 * parameter limit), staging a `<entity>.created` event for every row inserted.
 * With `skipTaken`, rows whose id (or another unique value) is taken are skipped
 * and the caller finds out which from the returned ids; without (a plain INSERT
 * is faster), the caller has made sure there are none, and if one appears anyway
 * the statement fails and its lines go one by one.
 */
async function insertRows(
  w: Write,
  entity: BulkType,
  table: string,
  columns: Record<string, string>,
  /** Rows, or rows already written as JSON with their order `_n` and event id `_event`. */
  rows: (Record<string, unknown> | string)[],
  options: {
    skipTaken?: boolean;
    /** Input fields that are not columns of the table but belong in the event (a review's evidence). */
    extra?: { columns: Record<string, string>; snapshot: string };
  } = {},
): Promise<Set<string>> {
  const extra = options.extra ?? { columns: {}, snapshot: '' };
  if (rows.length === 0) return new Set();
  const first = await w.reserveStaged(rows.length);
  const input = `[${rows.map((row, n) => (typeof row === 'string' ? row : JSON.stringify({ ...row, _n: n, _event: newId() }))).join(',')}]`;
  const names = Object.keys(columns).map((c) => `"${c}"`).join(', ');
  const types = Object.entries({ ...columns, ...extra.columns }).map(([c, t]) => `"${c}" ${t}`).join(', ');
  const result = await w.tx.execute(sql`
    with input as (
      select * from json_to_recordset(${input}::json) as r(${sql.raw(types)}, "_n" integer, "_event" uuid)
    ), ins as (
      insert into ${sql.raw(table)} (${sql.raw(names)}) select ${sql.raw(names)} from input
      ${sql.raw(options.skipTaken ? 'on conflict do nothing' : '')}
      returning *
    ), staged as (
      insert into write_events (ord, id, type, entity_type, entity_id, key_id, request_id, occurred_at, before, after)
      select ${first}::bigint + row_number() over (order by input."_n") - 1, input."_event", ${`${entity}.created`}, ${entity}, ins.id,
             ${w.actor.keyId}::uuid, ${w.actor.requestId}, ${new Date().toISOString()}::timestamptz, null, ${sql.raw(snapshotSql(entity) + extra.snapshot)}
        from ins join input on input.id = ins.id
    )
    select id::text as id from ins`);
  return new Set(rowsOf<{ id: string }>(result).map((r) => r.id));
}

const LIFECYCLE = { created_at: 'timestamptz', updated_at: 'timestamptz', version: 'integer' };

type Batched<T extends BulkType> = (w: Write, items: Extract<Prepared, { type: T }>[], failedIds: Map<string, number>) => Promise<FastResult>;

const ids = (values: Iterable<string>) => sql.param([...new Set(values)]);

/** The id is taken (a re-imported export) or, for sources, the url: say which, as the single endpoint would. */
function takenId(item: Prepared): LineFailure {
  return fieldFailure(item, 'id', `is already the id of an existing ${item.type}`, 'conflict', item.id);
}

/** Lines that bring their own id (an import of an export) fail if a row has it already; the others go on. */
async function freeIds<T extends Prepared>(tx: Write['tx'], table: string, items: T[], failed: Map<Prepared, LineFailure>): Promise<T[]> {
  const own = items.filter((i) => i.ownId).map((i) => i.id);
  if (own.length === 0) return items;
  const taken = new Set(
    rowsOf<{ id: string }>(await tx.execute(sql`select id::text as id from ${sql.raw(table)} where id = any(${sql.param(own)}::uuid[])`)).map((r) => r.id),
  );
  return items.filter((item) => {
    if (!taken.has(item.id)) return true;
    failed.set(item, takenId(item));
    return false;
  });
}

const batchSources: Batched<'source'> = async (w, items) => {
  const { tx } = w;
  const failed = new Map<Prepared, LineFailure>();
  const now = new Date();
  const rows = new Map<Prepared, Record<string, unknown>>();
  const byUrl = new Map<string, Prepared>();
  for (const item of items) {
    const body = item.body;
    let url: string | null;
    try {
      url = urlOrRefuse(body.url, 'data.url');
    } catch (err) {
      failed.set(item, lineFailure(err, item)!);
      continue;
    }
    if (url !== null) {
      const earlier = byUrl.get(url);
      if (earlier) {
        failed.set(item, fieldFailure(item, 'data.url', `is also the url of line ${earlier.line}`, 'conflict', earlier.id));
        continue;
      }
      byUrl.set(url, item);
    }
    rows.set(item, {
      id: item.id,
      ...sourceValues(body, url),
      created_at: now,
      updated_at: now,
      version: 1,
    });
  }
  const inserted = await insertRows(
    w,
    'source',
    'sources',
    {
      id: 'uuid',
      kind: 'text',
      url: 'text',
      title: 'text',
      publisher: 'text',
      authors: 'text[]',
      language: 'text',
      published_at: 'timestamptz',
      metadata: 'jsonb',
      text: 'text',
      text_length: 'integer',
      content_sha256: 'text',
      ...LIFECYCLE,
    },
    [...rows.values()],
    { skipTaken: true },
  );
  const lost = [...rows.keys()].filter((item) => !inserted.has(item.id));
  const takenUrls = new Map<string, string>();
  if (lost.length) {
    const urls = lost.map((item) => rows.get(item)!.url).filter((u): u is string => typeof u === 'string');
    if (urls.length) {
      for (const r of await tx.select({ id: sources.id, url: sources.url }).from(sources).where(sql`${sources.url} = any(${sql.param(urls)}::text[])`)) {
        takenUrls.set(r.url!, r.id);
      }
    }
  }
  for (const [item, row] of rows) {
    if (inserted.has(item.id)) continue;
    const existing = takenUrls.get(row.url as string);
    failed.set(
      item,
      existing && existing !== item.id
        ? fieldFailure(item, 'data.url', 'is already used by another source', 'conflict', existing)
        : takenId(item),
    );
  }
  return { failed };
};

const batchClaimants: Batched<'claimant'> = async (w, items) => {
  const { failures } = await createClaimants(w, items.map((item) => ({ id: item.id, body: item.body })));
  return { failed: lineFailures(items, failures) };
};

/** A claim as createClaim inserts it (and as its event shows it). */
function claimRow(item: Extract<Prepared, { type: 'claim' }>, now: Date): Record<string, unknown> {
  const body = item.body;
  return {
    id: item.id,
    ...claimValues(body),
    created_at: now,
    updated_at: now,
    version: 1,
  };
}

const batchClaims: Batched<'claim'> = async (w, items) => {
  const { tx } = w;
  const failed = new Map<Prepared, LineFailure>();
  const now = new Date();
  await insertRows(
    w,
    'claim',
    'claims',
    { id: 'uuid', text: 'text', language: 'text', topics: 'text[]', status: 'text', ...LIFECYCLE },
    (await freeIds(tx, 'claims', items, failed)).map((item) => item.row ?? claimRow(item, now)),
  );
  return { failed };
};

const batchAttributions: Batched<'attribution'> = async (w, items, failedIds) => {
  const { tx } = w;
  const failed = new Map<Prepared, LineFailure>();
  // In the lock order (lock-order.ts): sources FOR SHARE (their text must not change
  // under the anchors), then claimants (claimant_name), then claims FOR UPDATE (their
  // derived fields are recomputed below).
  const sourceLengths = new Map(
    rowsOf<{ id: string; text_length: number | null }>(
      await tx.execute(
        sql`select id::text as id, text_length from sources where id = any(${ids(items.map((i) => i.body.source_id))}::uuid[]) order by id for share`,
      ),
    ).map((r) => [r.id, r.text_length === null ? null : Number(r.text_length)]),
  );
  const seenClaims = new Set(
    rowsOf<{ id: string }>(await tx.execute(sql`select id::text as id from claims where id = any(${ids(items.map((i) => i.body.claim_id))}::uuid[])`)).map((r) => r.id),
  );
  const named = items.map((i) => i.body.claimant_id).filter((id): id is string => typeof id === 'string');
  const claimantIds = new Set(
    named.length
      ? rowsOf<{ id: string }>(await tx.execute(sql`select id::text as id from claimants where id = any(${ids(named)}::uuid[])`)).map((r) => r.id)
      : [],
  );

  const ok: typeof items = [];
  for (const item of await freeIds(tx, 'attributions', items, failed)) {
    const body = item.body;
    const byName = body.claimant_name !== undefined;
    if (!seenClaims.has(body.claim_id)) failed.set(item, missing(item, 'data.claim_id', 'claim', body.claim_id, failedIds));
    else if (byName && body.claimant_id) failed.set(item, fieldFailure(item, 'data.claimant_name', 'cannot be given together with claimant_id', 'validation_failed'));
    else if (body.claimant_id && !claimantIds.has(body.claimant_id)) failed.set(item, missing(item, 'data.claimant_id', 'claimant', body.claimant_id, failedIds));
    else if (!byName && !body.claimant_id && !body.claimant_label) failed.set(item, fieldFailure(item, 'data', 'needs claimant_id, claimant_name or claimant_label', 'validation_failed'));
    else if (!sourceLengths.has(body.source_id)) failed.set(item, missing(item, 'data.source_id', 'source', body.source_id, failedIds));
    else ok.push(item);
  }

  // Anchor quotes, reading source texts a few megabytes at a time.
  const anchors = new Map<Prepared, QuotationAnchor>();
  const needText = [...new Set(ok.filter((i) => i.body.quote && sourceLengths.get(i.body.source_id) !== null).map((i) => i.body.source_id))];
  for (let start = 0; start < needText.length; ) {
    const chunk: string[] = [];
    let budget = 0;
    while (start < needText.length && (chunk.length === 0 || budget + (sourceLengths.get(needText[start]) ?? 0) <= TEXT_BUDGET)) {
      budget += sourceLengths.get(needText[start]) ?? 0;
      chunk.push(needText[start++]);
    }
    const texts = new Map(
      (await tx.select({ id: sources.id, text: sources.text }).from(sources).where(and(sql`${sources.id} = any(${sql.param(chunk)}::uuid[])`, isNotNull(sources.text)))).map(
        (r) => [r.id, r.text!],
      ),
    );
    for (const item of ok) {
      const text = texts.get(item.body.source_id);
      if (text === undefined || !item.body.quote) continue;
      const found = anchorQuotation(text, item.body.quote);
      if ('anchor' in found) anchors.set(item, found.anchor);
      else failed.set(item, fieldFailure(item, 'data.quote', quoteMissMessage(found.miss), 'quote_not_in_source'));
    }
  }

  // claimant_name, for the window's good lines at once: a line that fails creates no claimant.
  const byName = ok.filter((item) => !failed.has(item) && item.body.claimant_name !== undefined);
  const resolutions = await resolveClaimantNames(w, byName.map((item) => item.body.claimant_name!));
  byName.forEach((item, k) => {
    item.body = { ...item.body, claimant_id: resolutions[k].claimant_id, claimant_name: undefined };
    item.claimant = resolutions[k];
  });
  const lockedClaims = await lockClaims(tx, ok.map((i) => i.body.claim_id));
  for (const item of ok) {
    if (!failed.has(item) && !lockedClaims.has(item.body.claim_id)) failed.set(item, missing(item, 'data.claim_id', 'claim', item.body.claim_id, failedIds));
  }

  const now = new Date();
  const rows = new Map<(typeof items)[number], Record<string, unknown>>();
  for (const item of ok) {
    if (failed.has(item)) continue;
    const body = item.body;
    const anchor = anchors.get(item);
    rows.set(item, {
      id: item.id,
      claim_id: body.claim_id,
      source_id: body.source_id,
      claimant_id: body.claimant_id ?? null,
      claimant_label: body.claimant_label ?? null,
      ...attributionValues(body),
      selector: anchor?.selector ?? null,
      parts: anchor?.parts ?? null,
      anchored: anchor !== undefined,
      created_at: now,
      updated_at: now,
      version: 1,
    });
  }
  const inserted = await insertRows(
    w,
    'attribution',
    'attributions',
    {
      id: 'uuid',
      claim_id: 'uuid',
      source_id: 'uuid',
      claimant_id: 'uuid',
      claimant_label: 'text',
      kind: 'text',
      stance: 'text',
      quote: 'text',
      said_at: 'timestamptz',
      selector: 'jsonb',
      parts: 'jsonb',
      anchored: 'boolean',
      ...LIFECYCLE,
    },
    [...rows.values()],
  );
  const touched: string[] = [];
  for (const item of rows.keys()) {
    if (inserted.has(item.id)) touched.push(item.body.claim_id);
    else failed.set(item, takenId(item));
  }
  // Once per window rather than once per line: the same final values, one claim.updated per claim.
  await refreshClaimsDerived(w, touched);
  return { failed };
};

const batchReviews: Batched<'review'> = async (w, items, failedIds) => {
  const { tx } = w;
  const failed = new Map<Prepared, LineFailure>();
  // As createReview: the claim FOR UPDATE, cited sources FOR SHARE.
  const claimIds = new Set(
    rowsOf<{ id: string }>(
      await tx.execute(sql`select id::text as id from claims where id = any(${ids(items.map((i) => i.claimId))}::uuid[]) order by id for update`),
    ).map((r) => r.id),
  );
  const cited = items.flatMap((i) => (i.body.evidence ?? []).map((e) => e.source_id));
  const sourceIds = new Set(
    cited.length
      ? rowsOf<{ id: string }>(await tx.execute(sql`select id::text as id from sources where id = any(${ids(cited)}::uuid[]) order by id for share`)).map((r) => r.id)
      : [],
  );
  const now = new Date();
  const rows = new Map<(typeof items)[number], Record<string, unknown>>();
  for (const item of await freeIds(tx, 'reviews', items, failed)) {
    const body = item.body;
    if (!claimIds.has(item.claimId)) {
      failed.set(item, missing(item, 'data.claim_id', 'claim', item.claimId, failedIds));
      continue;
    }
    const values = reviewValues(body);
    try {
      checkRatings(values);
    } catch (err) {
      failed.set(item, lineFailure(err, item)!);
      continue;
    }
    const evidence = (body.evidence ?? []).map((e) => ({ source_id: e.source_id, stance: e.stance, note: e.note ?? null }));
    const unknown = evidence.flatMap((e, i) => (sourceIds.has(e.source_id) ? [] : [{ e, i }]));
    if (unknown.length) {
      failed.set(item, {
        errors: unknown.map(({ e, i }) => {
          const path = `data.evidence[${i}].source_id`;
          const line = failedIds.get(e.source_id);
          return {
            line: item.line,
            path: item.aliases.get(path) ?? path,
            message: line ? `names line ${line}, which was not written` : `refers to no existing source (${e.source_id})`,
            code: 'unprocessable',
          };
        }),
      });
      continue;
    }
    rows.set(item, { id: item.id, claim_id: item.claimId, ...values, created_at: now, updated_at: now, version: 1, evidence });
  }
  const inserted = await insertRows(
    w,
    'review',
    'reviews',
    {
      id: 'uuid',
      claim_id: 'uuid',
      verdict: 'text',
      textual_rating: 'text',
      rating_value: 'double precision',
      best_rating: 'double precision',
      worst_rating: 'double precision',
      summary: 'text',
      reviewer_name: 'text',
      reviewer_url: 'text',
      url: 'text',
      published_at: 'timestamptz',
      language: 'text',
      ...LIFECYCLE,
    },
    [...rows.values()],
    { extra: { columns: { evidence: 'jsonb' }, snapshot: ` || jsonb_build_object('evidence', input."evidence")` } },
  );
  const evidenceRows: Record<string, unknown>[] = [];
  const touched: string[] = [];
  for (const [item, row] of rows) {
    if (!inserted.has(item.id)) {
      failed.set(item, takenId(item));
      continue;
    }
    touched.push(item.claimId);
    (row.evidence as { source_id: string; stance: string; note: string | null }[]).forEach((e, position) => evidenceRows.push({ review_id: item.id, position, ...e }));
  }
  if (evidenceRows.length) {
    await tx.execute(sql`
      insert into ${reviewEvidence} (review_id, position, source_id, stance, note)
      select review_id, position, source_id, stance, note
        from json_to_recordset(${JSON.stringify(evidenceRows)}::json) as r(review_id uuid, position smallint, source_id uuid, stance text, note text)`);
  }
  // A review moves its claim to `reviewed` and may change its verdict: once per window.
  await refreshClaimsDerived(w, touched, { reviewsChanged: true });
  return { failed };
};

const BATCHED: { [T in BulkType]: Batched<T> } = {
  source: batchSources,
  claimant: batchClaimants,
  claim: batchClaims,
  attribution: batchAttributions,
  review: batchReviews,
};

