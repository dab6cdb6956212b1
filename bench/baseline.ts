/**
 * The bare baseline of `npm run bench`: Fastify and `pg`, nothing else — no
 * validation, no auth, no plugins — serving the same two hot reads as the API with
 * the same SQL (the statements the API prepares, copied by bench/run.ts into
 * BASELINE_SQL_*). What the API serves beside it, in the same run, measures what
 * claimledger's own layers cost.
 *
 *   DATABASE_URL=… PORT=3999 BASELINE_SQL_BY_ID='select … where id = $1' BASELINE_SQL_LIST='select … limit $1' npx tsx bench/baseline.ts
 */
import Fastify from 'fastify';
import pg from 'pg';

const url = process.env.DATABASE_URL;
const byIdSql = process.env.BASELINE_SQL_BY_ID;
const listSql = process.env.BASELINE_SQL_LIST;
if (!url || !byIdSql || !listSql) throw new Error('set DATABASE_URL, BASELINE_SQL_BY_ID and BASELINE_SQL_LIST');

const pool = new pg.Pool({ connectionString: url, max: 10 });
pool.on('error', () => {});
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>('/v1/claims/:id', async (request, reply) => {
  const { rows } = await pool.query({ name: 'baseline_by_id', text: byIdSql, values: [request.params.id] });
  if (rows.length === 0) return reply.code(404).send({ code: 'not_found' });
  return rows[0];
});

app.get('/v1/claims', async () => {
  const { rows } = await pool.query({ name: 'baseline_list', text: listSql, values: [51] });
  const data = rows.slice(0, 50);
  return { data, next_cursor: rows.length > 50 ? 'more' : null };
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3999) });
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
