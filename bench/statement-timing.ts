/**
 * Loaded into the API process by `npm run bench:bulk -- --statements`: times the statements
 * of every transaction the API runs (a bulk import is one), per connection, from handing a
 * statement to the PostgreSQL driver to its answer ("waiting for the database": the
 * execution, the wire, the driver encoding the parameters and decoding the rows, and any wait
 * for a CPU) and from one answer to the next statement ("the API between statements": its own
 * work there, the line reader's turns, and any wait for a CPU). Statements outside
 * transactions (the key lookup before the body is read, the vacuum after a long write's
 * commit) are not counted, nor is the time before BEGIN.
 *
 * It prints the sums when the process exits. They cover the process's whole life: its
 * startup's transactions and the bench's one-line warm-up import besides the import measured.
 * It assumes one statement in flight per connection at a time, as drizzle's transactions and
 * the bulk writer send them.
 */
import pg from 'pg';

const totals = { transactions: 0, statements: 0, database: 0, between: 0 };
/** Per connection in a transaction: when its last answer came. */
const lastAnswer = new WeakMap<pg.Client, number>();
const inTransaction = new WeakSet<pg.Client>();

const textOf = (config: unknown) => (typeof config === 'string' ? config : typeof (config as { text?: unknown })?.text === 'string' ? (config as { text: string }).text : '');

const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function timedQuery(this: pg.Client, ...args: unknown[]) {
  const sent = performance.now();
  const head = textOf(args[0]).trimStart().slice(0, 16).toLowerCase();
  const begins = head.startsWith('begin');
  const ends = head.startsWith('commit') || (head.startsWith('rollback') && !head.startsWith('rollback to'));
  if (begins) {
    inTransaction.add(this);
    totals.transactions++;
  }
  const timed = inTransaction.has(this);
  const previous = lastAnswer.get(this);
  if (timed && previous !== undefined) totals.between += sent - previous;
  if (ends) {
    inTransaction.delete(this);
    lastAnswer.delete(this);
  }
  const result = query.apply(this, args);
  // Promise-style calls only (drizzle's): a callback-style call is passed on untimed.
  if (timed && result && typeof (result as Promise<unknown>).then === 'function') {
    const answered = () => {
      const now = performance.now();
      totals.database += now - sent;
      totals.statements++;
      if (inTransaction.has(this)) lastAnswer.set(this, now);
    };
    (result as Promise<unknown>).then(answered, answered);
  }
  return result;
} as typeof pg.Client.prototype.query;

// On exit rather than on SIGTERM: a listener of its own would take away SIGTERM's default
// action until the server installs its shutdown handler.
process.on('exit', () => {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.error(
    `statements in ${totals.transactions} transactions: ${totals.statements}, waiting for the database ${s(totals.database)}, the API between statements ${s(totals.between)}`,
  );
});
