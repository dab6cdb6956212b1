import { getTableColumns, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Actor } from '../lib/actor.js';
import { changedFields, type Snapshot } from '../lib/changes.js';
import { newId } from '../lib/ids.js';
import { InputProblem, failuresOf, type Created, type RowFailure } from '../lib/row-failures.js';
import { rowsOf, type Db, type DbOrTx, type Tx } from './client.js';
import { holdKey, storeAnswer, type KeyedRequest, type StoredAnswer } from './idempotency.js';
import { events } from './schema.js';

export type EntityType = 'source' | 'claimant' | 'claim' | 'attribution' | 'review' | 'api_key';

/**
 * One recorded change-log entry. `json` is its row of `events` (all but `seq`, which the log
 * gives) as the JSON object it is inserted from: made once, when recorded, so the snapshots
 * are serialised once and the event cannot change afterwards.
 */
export interface RecordedEvent {
  readonly entityId: string;
  readonly json: string;
}

/** One change-log entry as a write describes it; `record` gives it its id, actor and time. */
export interface EventInput {
  action: 'created' | 'updated' | 'deleted';
  entityType: EntityType;
  entityId: string;
  before?: Snapshot | null;
  after?: Snapshot | null;
}

/** A write made for a request with an Idempotency-Key. */
export interface KeyedWrite<T> {
  request: KeyedRequest;
  /** The answer to the request, from what the write returned; stored before COMMIT. */
  answer(result: T): StoredAnswer;
}

// Any constant shared by every claimledger process.
const EVENT_LOG_LOCK = 4_242_002;

/** Events inserted (or staged) by one statement. */
const EVENTS_PER_STATEMENT = 2000;

/**
 * The change log's columns a write gives (the log numbers its entries itself), typed as the
 * drizzle schema types them: the staging table, the JSON rows are read as and the inserts are
 * all made from these, so none can drift from `events`.
 */
const LOGGED = Object.values(getTableColumns(events)).filter((column) => column.name !== 'seq');
// An event is recorded as JSON keyed by drizzle's property names and read back by column
// name (`json_to_recordset`): a column named apart from its property would silently be null.
for (const [key, column] of Object.entries(getTableColumns(events))) {
  if (key !== column.name) throw new Error(`events.${key} must be named as its column (${column.name})`);
}
const loggedNames = sql.raw(LOGGED.map((column) => `"${column.name}"`).join(', '));
const orderedColumns = sql.raw(['ord bigint', ...LOGGED.map((column) => `"${column.name}" ${column.getSQLType()}`)].join(', '));

/**
 * Everything a write needs, handed to it as one value: its transaction, who
 * makes it, and the change-log events it has recorded so far. Query functions
 * that change rows take a Write; those that only read take the transaction
 * (`w.tx`).
 *
 * Events are plain values appended in the order the changes happened, each one
 * final when recorded (a write records a row's event once the row is settled).
 * They are inserted just before COMMIT (see `withWrite`), so they commit or
 * roll back with the change they describe. A large write (a bulk import) may
 * `stage` them: they move, in order, into a temporary table of the transaction
 * that COMMIT empties into the change log; memory stays flat.
 */
export class Write {
  /** Recorded and not yet staged, in order. */
  readonly events: RecordedEvent[] = [];
  /** Events recorded in all, staged or not (this write's own and its committed savepoints'). */
  recorded = 0;
  /** `recorded` when the planner's statistics were last refreshed (`analyzeIfGrown`). */
  private analyzedAt = 0;

  private constructor(
    readonly tx: Tx,
    readonly actor: Actor,
    private readonly log: StagedLog,
    private readonly parent?: Write,
    /** Set on a write run `apart`: its events wait for the caller, so they are never staged from here. */
    private readonly holding = false,
  ) {}

  /** @internal Opens the root write of a transaction; use `withWrite`. */
  static open(tx: Tx, actor: Actor): Write {
    return new Write(tx, actor, { nextOrd: 0, created: false });
  }

  /** Appends one entry to the change log of this write. */
  record(event: EventInput): void {
    const row: Omit<typeof events.$inferInsert, 'seq'> = {
      id: newId(),
      type: `${event.entityType}.${event.action}`,
      entity_type: event.entityType,
      entity_id: event.entityId,
      key_id: this.actor.keyId,
      request_id: this.actor.requestId,
      // Dates become RFC 3339 strings, as clients see them in the API.
      before: event.before ?? null,
      after: event.after ?? null,
      occurred_at: new Date(),
    };
    this.events.push({ entityId: event.entityId, json: JSON.stringify(row) });
    this.recorded++;
  }

  /** Records an update when something changed (lifecycle fields aside); returns whether it did. */
  recordUpdate(entityType: EntityType, entityId: string, before: Snapshot, after: Snapshot): boolean {
    const diff = changedFields(before, after);
    if (diff) this.record({ action: 'updated', entityType, entityId, ...diff });
    return diff !== null;
  }

  /**
   * Runs `fn` in a savepoint (drizzle's nested transaction): if it throws, its
   * changes and the events it recorded are undone and the error goes on; the
   * surrounding write is intact. For isolating one item of many.
   */
  async savepoint<T>(fn: (w: Write) => Promise<T>): Promise<T> {
    let inner: Write | undefined;
    const hadTable = this.log.created;
    let result: T;
    try {
      result = await this.tx.transaction(async (nested) => {
        inner = new Write(nested as unknown as Tx, this.actor, this.log, this, this.holding);
        return fn(inner);
      });
    } catch (err) {
      // A staging table created in the savepoint went with it.
      this.log.created = hadTable;
      throw err;
    }
    this.events.push(...inner!.events);
    this.recorded += inner!.recorded;
    return result;
  }

  /**
   * Runs `fn` in this transaction with its events kept apart and handed back,
   * for the caller to `append` once the events that must come before them are
   * recorded: a claim created with its attributions is logged, settled, before
   * the attributions (and the claimants they create).
   */
  async apart<T>(fn: (w: Write) => Promise<T>): Promise<{ result: T; events: RecordedEvent[] }> {
    const inner = new Write(this.tx, this.actor, this.log, this, true);
    const result = await fn(inner);
    return { result, events: inner.events };
  }

  /** Appends events recorded `apart`, in their order. */
  append(recorded: readonly RecordedEvent[]): void {
    this.events.push(...recorded);
    this.recorded += recorded.length;
  }

  /**
   * A long write joins the rows it writes with their parents and children (refreshing derived
   * fields), and tables that grew inside its transaction have no statistics for it: the
   * planner, guessing, picks plans that go quadratic (a hash of all sources built for every
   * claim). So a long write calls this between its steps, and the statistics of the tables it
   * grows are refreshed once it has recorded a thousand events (one to four per row written) and then
   * whenever it has recorded four times what it had at the last refresh: a handful of
   * ANALYZEs even for a very large import. ANALYZE sees this transaction's rows; it waits at
   * most a second for a lock, else it is skipped and the write goes on.
   */
  async analyzeIfGrown(): Promise<void> {
    if (this.recorded < Math.max(1000, 4 * this.analyzedAt)) return;
    this.analyzedAt = this.recorded;
    const [previous] = rowsOf<{ value: string }>(await this.tx.execute(sql`select current_setting('lock_timeout') as value`));
    await this.savepoint(async ({ tx }) => {
      await tx.execute(sql`select set_config('lock_timeout', '1s', true)`);
      await tx.execute(sql`analyze sources, claims, attributions, reviews`);
      await tx.execute(sql`select set_config('lock_timeout', ${previous.value}, true)`);
    }).catch(() => {});
  }

  /**
   * Moves the events recorded so far (those of the enclosing writes first, so
   * the order holds) into the transaction's staging table. In a savepoint that
   * rolls back, what it staged rolls back with it.
   */
  async stage(): Promise<void> {
    if (this.holding) return;
    await this.parent?.stage();
    if (this.events.length === 0) return;
    await this.stagingTable();
    await this.insertEvents('write_events', this.events.splice(0));
  }

  /**
   * Inserts events, in their order, into the change log or the staging table (which keeps
   * their position, `ord`, for the change log's insert at commit).
   */
  private async insertEvents(table: 'events' | 'write_events', recorded: readonly RecordedEvent[]) {
    const columns = table === 'events' ? loggedNames : sql`ord, ${loggedNames}`;
    for (let i = 0; i < recorded.length; i += EVENTS_PER_STATEMENT) {
      // Each event's JSON object is opened to put its position first: no parse, no copy.
      const rows = recorded.slice(i, i + EVENTS_PER_STATEMENT).map((event) => `{"ord":${this.log.nextOrd++},${event.json.slice(1)}`);
      // The brackets go on the first and last rows, not around the joined string: `join` makes
      // one contiguous string, and wrapping it would make a string V8 keeps in pieces and copies
      // into one when the driver first measures it (on 50,000 mixed bulk lines, 0.41 s of CPU
      // for that measuring, 0.18 s now).
      rows[0] = `[${rows[0]}`;
      rows[rows.length - 1] += ']';
      await this.tx.execute(sql`
        insert into ${sql.identifier(table)} (${columns})
        select ${columns} from json_to_recordset(${rows.join(',')}::json) as r(${orderedColumns})
        order by ord`);
    }
  }

  private async stagingTable() {
    if (this.log.created) return;
    await this.tx.execute(sql`create temp table write_events (${orderedColumns}) on commit drop`);
    this.log.created = true;
  }

  /**
   * Appends the events to the change log under a transaction-scoped lock held
   * until commit, so `seq` follows commit order: a feed reader that has seen
   * seq N never later finds a smaller seq committed by a slower transaction.
   * Only this tail (the insert and the commit) is serialised.
   */
  /** Whether this write staged its events: a long one, such as a bulk import. */
  get long(): boolean {
    return this.log.created;
  }

  async flushToLog(): Promise<void> {
    if (this.recorded === 0) return;
    // A write that staged its events is a long one (a bulk import): the term statistics'
    // deltas of all its statements are folded now, in one pass, so readers and later writers
    // never inherit them (migrations/0012). Before the log's lock, which other writers wait on.
    if (this.log.created) await this.tx.execute(sql`select claimledger_fold_all_term_stats()`);
    await this.tx.execute(sql`select pg_advisory_xact_lock(${EVENT_LOG_LOCK})`);
    if (this.log.created) {
      await this.stage();
      await this.tx.execute(sql`insert into events (${loggedNames}) select ${loggedNames} from write_events order by ord`);
      return;
    }
    await this.insertEvents('events', this.events.splice(0));
  }
}

interface StagedLog {
  /** The position (`ord`) the next event inserted or staged gets. */
  nextOrd: number;
  created: boolean;
}

/**
 * Runs `fn` as one write: a transaction whose events are appended to the change
 * log at its end (`Write.flushToLog`).
 *
 * With `keyed`, the transaction first holds the request's Idempotency-Key (409
 * while another request holds it; AnsweredBefore if one already committed) and
 * stores the request's answer before COMMIT: the answer exists exactly when the
 * write does, whatever happens to the connection afterwards.
 */
export async function withWrite<T>(db: Db, actor: Actor, fn: (w: Write) => Promise<T>, keyed?: KeyedWrite<T>): Promise<T> {
  let long = false;
  const result = await db.transaction(async (tx) => {
    const w = Write.open(tx, actor);
    if (keyed) await holdKey(tx, keyed.request);
    const result = await fn(w);
    if (keyed) await storeAnswer(tx, keyed.request, keyed.answer(result));
    await w.flushToLog();
    long = w.long;
    return result;
  });
  if (long) await vacuumTermDeltas(db);
  return result;
}

/**
 * Creates a set of rows so that no row's failure takes the others down. The set goes in one
 * savepoint, and `create` reports the rows it refused as failures. If its statements throw
 * for a reason that is about the rows' data (a concurrent write took a unique value between
 * check and insert, say), the savepoint rolls back and the rows go one by one, each in a
 * savepoint of its own: a refused row also takes back whatever it wrote before it was refused
 * (a claimant it named). An error that is not about the data (a lost connection, a bug) is
 * thrown. `created[i]` and the failures' `row` are positions in `items`.
 */
export async function createIsolated<Item, Row>(
  w: Write,
  items: readonly Item[],
  create: (w: Write, items: readonly Item[]) => Promise<Created<Row>>,
): Promise<Created<Row>> {
  try {
    return await w.savepoint((inner) => create(inner, items));
  } catch (err) {
    if (!failuresOf(err)) throw err;
  }
  const created: (Row | undefined)[] = [];
  const failures: RowFailure[] = [];
  for (const [row, item] of items.entries()) {
    try {
      const one = await w.savepoint(async (inner) => {
        const result = await create(inner, [item]);
        if (result.failures.length) throw new InputProblem(...result.failures);
        return result;
      });
      created.push(one.created[0]);
    } catch (err) {
      const refused = failuresOf(err);
      if (!refused) throw err;
      created.push(undefined);
      failures.push(...refused.map((failure) => ({ ...failure, row })));
    }
  }
  return { created, failures };
}

/**
 * A long write's final fold leaves its term deltas deleted but still in the table, where every
 * lookup by term (search, matching) would visit them until a vacuum: so the write vacuums the
 * table once committed (migrations/0015). Small, so it takes milliseconds; skipped when another
 * vacuum holds it, and a failure changes nothing the write did (autovacuum will come).
 */
async function vacuumTermDeltas(db: Db): Promise<void> {
  await db.execute(sql`vacuum (skip_locked) search_term_deltas`).catch(() => {});
}

/**
 * Inserts any number of rows with one statement and one parameter: the rows
 * travel as a JSON array and PostgreSQL unpacks them (`json_to_recordset`), so
 * there is no limit of 65,535 parameters and no per-value encoding on either
 * side. The column list and each column's SQL type come from the drizzle
 * table; every row must give the same columns (those of the first row).
 *
 * `skipTaken`: a row whose id or other unique value is already taken is left
 * out (ON CONFLICT DO NOTHING) instead of failing the statement; the caller
 * tells which from the rows returned. Without it (ids made here, no other
 * unique column: nothing can be taken) the plain INSERT is cheaper. Returned rows carry the `returning`
 * columns, read as drizzle reads them.
 */
export async function insertMany<R>(
  tx: DbOrTx,
  table: PgTable,
  rows: readonly Record<string, unknown>[],
  options: { returning?: Record<string, PgColumn>; skipTaken?: boolean } = {},
): Promise<R[]> {
  if (rows.length === 0) return [];
  const byKey = getTableColumns(table) as Record<string, PgColumn>;
  const keys = Object.keys(rows[0]).filter((key) => key in byKey);
  const names = keys.map((key) => sql.identifier(byKey[key].name));
  const types = sql.raw(keys.map((key) => `"${byKey[key].name}" ${byKey[key].getSQLType()}`).join(', '));
  // JSON carries the table's own names; the input is keyed by drizzle's.
  const input = JSON.stringify(rows.map((row) => Object.fromEntries(keys.map((key) => [byKey[key].name, row[key] ?? null]))));
  const returning = Object.entries(options.returning ?? {});
  const result = await tx.execute(sql`
    insert into ${table} (${sql.join(names, sql`, `)})
    select ${sql.join(names, sql`, `)} from json_to_recordset(${input}::json) as r(${types})
    ${options.skipTaken ? sql`on conflict do nothing` : sql``}
    ${returning.length ? sql`returning ${sql.join(returning.map(([key, column]) => sql`${sql.identifier(column.name)} as ${sql.identifier(key)}`), sql`, `)}` : sql``}`);
  if (returning.length === 0) return [];
  return rowsOf<Record<string, unknown>>(result).map((raw) => {
    const row: Record<string, unknown> = {};
    for (const [key, column] of returning) row[key] = raw[key] === null ? null : column.mapFromDriverValue(raw[key]);
    return row as R;
  });
}
