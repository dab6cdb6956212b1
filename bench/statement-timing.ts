/**
 * Loaded into the API process by `npm run bench:bulk -- --statements`: times the statements
 * of every transaction the API runs (a bulk import is one), per connection, from handing a
 * statement to the PostgreSQL driver to its answer (the database's execution, the wire,
 * reading the answer, and any wait behind a statement still running) and from one answer to
 * the next statement (the API's own work between them, and any wait for a CPU). It prints the
 * sums when the process is stopped. Statements outside transactions (the key lookup before
 * the body is read, say) are not counted, nor is the time before BEGIN.
 */
import pg from 'pg';

const totals = { transactions: 0, statements: 0, database: 0, between: 0 };
/** Per connection in a transaction: when its last answer came. */
const lastAnswer = new WeakMap<pg.Client, number>();

const textOf = (config: unknown) => (typeof config === 'string' ? config : typeof (config as { text?: unknown })?.text === 'string' ? (config as { text: string }).text : '');

const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function timedQuery(this: pg.Client, ...args: unknown[]) {
  const text = textOf(args[0]).trimStart().toLowerCase();
  const sent = performance.now();
  const begins = text.startsWith('begin');
  const ends = text.startsWith('commit') || (text.startsWith('rollback') && !text.startsWith('rollback to'));
  const previous = lastAnswer.get(this);
  if (previous !== undefined) totals.between += sent - previous;
  if (begins) totals.transactions++;
  const timed = begins || previous !== undefined;
  if (ends) lastAnswer.delete(this);
  const result = query.apply(this, args);
  // Promise-style calls only (drizzle's): a callback-style call is passed on untimed.
  if (timed && result && typeof (result as Promise<unknown>).then === 'function') {
    const answered = () => {
      const now = performance.now();
      totals.database += now - sent;
      totals.statements++;
      if (!ends) lastAnswer.set(this, now);
    };
    (result as Promise<unknown>).then(answered, answered);
  }
  return result;
} as typeof pg.Client.prototype.query;

process.on('SIGTERM', () => {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.error(
    `statements in ${totals.transactions} transactions: ${totals.statements}, waiting for the database ${s(totals.database)}, the API between statements ${s(totals.between)}`,
  );
});
