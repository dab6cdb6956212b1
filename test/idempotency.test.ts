import { sql } from 'drizzle-orm';
import pg from 'pg';
import t from 'tap';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openPostgres, rowsOf, type Database } from '../src/db/client.js';
import { TEST_ADMIN_KEY, backend, buildTestApp } from './helper.js';
import { HARBOUR_TEXT, countOf, eventLog, expectProblem, makeClaim, makeSource, type Json } from './factories.js';
import { TcpProxy } from './support/tcp-proxy.js';

const api = await buildTestApp(t);

const CLAIM = { text: 'The harbour tunnel will cost 2.4 billion euros', topics: ['transport'], language: 'en' };

const postWithKey = (url: string, key: string, payload: Json, headers: Record<string, string> = {}) =>
  api.request({ method: 'POST', url, payload, headers: { 'idempotency-key': key, ...headers } });

async function storedKeys(): Promise<Json[]> {
  return rowsOf<Json>(await api.database.db.execute(sql`select * from idempotency_keys order by created_at`));
}

t.test('the same key with the same body replays the first response without writing again', async (t) => {
  await api.reset();
  const first = await postWithKey('/v1/claims', 'desk-7f3a-001', CLAIM);
  t.equal(first.statusCode, 201);
  t.equal(first.headers['idempotent-replayed'], undefined, 'the first answer is no replay');
  const id = first.json().id;

  const again = await postWithKey('/v1/claims', 'desk-7f3a-001', { language: 'en', topics: ['transport'], text: CLAIM.text });
  t.equal(again.statusCode, 201, 'same status');
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.equal(again.json().id, id, 'same id');
  t.strictSame(again.json(), first.json(), 'same body');
  t.equal(again.body, first.body, 'byte for byte');
  t.equal(again.headers.location, `/v1/claims/${id}`, 'same Location');
  t.equal(again.headers.location, first.headers.location);
  t.equal(again.headers.etag, first.headers.etag, 'same ETag');
  t.equal(again.headers['content-type'], 'application/json; charset=utf-8');

  const third = await postWithKey('/v1/claims', 'desk-7f3a-001', CLAIM);
  t.equal(third.json().id, id);
  t.equal(await countOf(api, '/v1/claims'), 1, 'one claim');
  t.same(await eventLog(api), [['claim.created', id]], 'one event');
});

t.test('replays work for every POST: a review is written once and moves the claim once', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const source = await makeSource(api);
  const body = { verdict: 'false', evidence: [{ source_id: source.id, stance: 'refutes' }] };
  const first = await postWithKey(`/v1/claims/${claim.id}/reviews`, 'review-1', body);
  const second = await postWithKey(`/v1/claims/${claim.id}/reviews`, 'review-1', body);
  t.equal(first.statusCode, 201);
  t.equal(second.statusCode, 201);
  t.equal(second.headers['idempotent-replayed'], 'true');
  t.equal(second.json().id, first.json().id);
  t.equal(second.headers.location, first.headers.location);
  t.equal(await countOf(api, '/v1/reviews'), 1);
  const read = (await api.get(`/v1/claims/${claim.id}`)).json();
  t.equal(read.review_count, 1);
  t.equal(read.version, 2, 'the claim moved once');

  const s1 = await postWithKey('/v1/sources', 'source-1', { kind: 'article', title: 'A', url: 'https://news.example/a' });
  const s2 = await postWithKey('/v1/sources', 'source-1', { kind: 'article', title: 'A', url: 'https://news.example/a' });
  t.equal(s1.statusCode, 201);
  t.equal(s2.statusCode, 201, 'a replay, not a duplicate-url 409');
  t.equal(s2.json().id, s1.json().id);
});

t.test('every POST that writes keeps its answer with the write: claimants, attributions, keys and extraction commits replay too', async (t) => {
  await api.reset();
  const source = await makeSource(api, { text: HARBOUR_TEXT });
  const claim = await makeClaim(api);
  const writes: [string, Json][] = [
    ['/v1/claimants', { name: 'Ana Lindqvist', kind: 'person' }],
    ['/v1/attributions', { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: 'The harbour tunnel will cost 2.4 billion euros' }],
    ['/v1/keys', { name: 'desk tool', scopes: ['write'] }],
    [`/v1/sources/${source.id}/extract?commit=true`, {}],
  ];
  for (const [url, body] of writes) {
    const first = await postWithKey(url, `every-post ${url}`.replace(/\s/g, '-'), body);
    t.equal(first.statusCode, 201, `${url}: written (${first.body.slice(0, 200)})`);
    const log = await eventLog(api);
    const again = await postWithKey(url, `every-post ${url}`.replace(/\s/g, '-'), body);
    t.equal(again.statusCode, 201, `${url}: the retry answers the same status`);
    t.equal(again.headers['idempotent-replayed'], 'true', `${url}: as a replay`);
    t.equal(again.headers.location, first.headers.location, `${url}: with the same Location`);
    t.equal(again.json().id ?? again.json().source_id, first.json().id ?? first.json().source_id, `${url}: naming the same row`);
    t.same(await eventLog(api), log, `${url}: and writing nothing`);
  }
});

t.test('the same key with another body is 422 idempotency_key_reused and writes nothing', async (t) => {
  await api.reset();
  const first = await postWithKey('/v1/claims', 'reused-key', CLAIM);
  t.equal(first.statusCode, 201);
  const logBefore = await eventLog(api);

  const other = await postWithKey('/v1/claims', 'reused-key', { ...CLAIM, text: 'The harbour tunnel will cost 3 billion euros' });
  expectProblem(t, other, 422, 'idempotency_key_reused');
  t.equal(other.headers['idempotent-replayed'], undefined, 'a refusal, not a replay');
  expectProblem(t, await postWithKey('/v1/claims', 'reused-key', { ...CLAIM, topics: [] }), 422, 'idempotency_key_reused');
  expectProblem(t, await postWithKey('/v1/sources', 'reused-key', { kind: 'article', title: 'T' }), 422, 'idempotency_key_reused');
  expectProblem(t, await postWithKey('/v1/claimants', 'reused-key', { name: 'Ana Lindqvist', kind: 'person' }), 422, 'idempotency_key_reused');

  t.equal(await countOf(api, '/v1/claims'), 1);
  t.equal(await countOf(api, '/v1/sources'), 0);
  t.same(await eventLog(api), logBefore, 'nothing was logged');
  const replay = await postWithKey('/v1/claims', 'reused-key', CLAIM);
  t.equal(replay.json().id, first.json().id, 'the original request still replays');
});

t.test('an invalid key is 400 and writes nothing', async (t) => {
  await api.reset();
  for (const [what, key] of [
    ['300 characters', 'k'.repeat(300)],
    ['a space', 'desk tool 1'],
    ['a non-ASCII letter', 'clé-1'],
    ['empty', ''],
  ]) {
    const problem = expectProblem(t, await postWithKey('/v1/claims', key, CLAIM), 400, 'validation_failed');
    t.equal(problem.errors?.[0]?.path, 'headers.idempotency-key', what);
  }
  t.equal((await postWithKey('/v1/claims', 'k'.repeat(255), CLAIM)).statusCode, 201, '255 characters are fine');
  t.equal(await countOf(api, '/v1/claims'), 1);
  t.equal((await storedKeys()).length, 1);
});

t.test('keys are per key: two keys create two rows', async (t) => {
  await api.reset();
  const a = await postWithKey('/v1/claims', 'key-a', CLAIM);
  const b = await postWithKey('/v1/claims', 'key-b', CLAIM);
  t.equal(a.statusCode, 201);
  t.equal(b.statusCode, 201);
  t.not(a.json().id, b.json().id);
  t.equal(b.headers['idempotent-replayed'], undefined);
  const plain = await api.post('/v1/claims', CLAIM);
  t.equal(plain.statusCode, 201, 'without a key every POST writes');
  t.equal(await countOf(api, '/v1/claims'), 3);
});

t.test('a key belongs to the API key that used it: another client’s same key is its own request', async (t) => {
  await api.reset();
  const created = await api.post('/v1/keys', { name: 'desk tool', scopes: ['write'] });
  t.equal(created.statusCode, 201);
  const desk = `Bearer ${created.json().secret}`;
  const mine = await postWithKey('/v1/claims', 'shared-123', CLAIM);
  const theirs = await postWithKey('/v1/claims', 'shared-123', CLAIM, { authorization: desk });
  t.equal(mine.statusCode, 201);
  t.equal(theirs.statusCode, 201);
  t.equal(theirs.headers['idempotent-replayed'], undefined, 'no one else’s response is replayed');
  t.not(theirs.json().id, mine.json().id);
  const theirsAgain = await postWithKey('/v1/claims', 'shared-123', CLAIM, { authorization: desk });
  t.equal(theirsAgain.json().id, theirs.json().id);
  t.equal(await countOf(api, '/v1/claims'), 2);
});

t.test('8 parallel POSTs with one key: one claim; every answer is that claim or 409 in progress', async (t) => {
  await api.reset();
  const answers = await Promise.all(Array.from({ length: 8 }, () => postWithKey('/v1/claims', 'race-key', CLAIM)));
  const created = answers.filter((a) => a.statusCode === 201);
  const busy = answers.filter((a) => a.statusCode === 409);
  t.equal(created.length + busy.length, 8, `only 201 or 409 (got ${answers.map((a) => a.statusCode).join(',')})`);
  t.ok(created.length >= 1, 'at least the first ran');
  const ids = new Set(created.map((a) => a.json().id));
  t.equal(ids.size, 1, 'every 201 names the same claim');
  t.equal(created.filter((a) => a.headers['idempotent-replayed'] === undefined).length, 1, 'exactly one answer is not a replay');
  for (const b of busy) {
    t.equal(b.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.equal(b.json().code, 'idempotency_key_in_progress');
  }
  t.equal(await countOf(api, '/v1/claims'), 1, 'exactly one claim exists');
  t.equal((await eventLog(api)).length, 1);
  const after = await postWithKey('/v1/claims', 'race-key', CLAIM);
  t.equal(after.statusCode, 201, 'once finished, a retry replays');
  t.equal(after.json().id, [...ids][0]);
});

t.test('a write refused with 4xx keeps no key: the retry runs again, and succeeds once the cause is gone', async (t) => {
  await api.reset();
  // 422 after the write began: the attribution's quote is not in the source, so its transaction rolls back.
  const source = await makeSource(api, { text: 'The council met on Tuesday.' });
  const claim = await makeClaim(api);
  const quote = 'The tunnel will cost nothing at all';
  const body = { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote };
  expectProblem(t, await postWithKey('/v1/attributions', 'quote-1', body), 422, 'quote_not_in_source');
  t.same(await storedKeys(), [], 'nothing is stored under the key');
  const again = await postWithKey('/v1/attributions', 'quote-1', body);
  expectProblem(t, again, 422, 'quote_not_in_source');
  t.equal(again.headers['idempotent-replayed'], undefined, 'the retry ran again: not a replay');
  t.equal((await api.patch(`/v1/sources/${source.id}`, { text: `The mayor said: “${quote}.”` })).statusCode, 200);
  const fixed = await postWithKey('/v1/attributions', 'quote-1', body);
  t.equal(fixed.statusCode, 201, 'once the source holds the quote, the same request with the same key writes');
  t.equal(fixed.headers['idempotent-replayed'], undefined);
  t.equal(await countOf(api, '/v1/attributions'), 1);

  // 409: the url is taken; once that source is gone, the retry creates its own.
  const taken = await makeSource(api, { url: 'https://news.example/taken' });
  const sourceBody = { kind: 'article', title: 'Taken', url: 'https://news.example/taken' };
  expectProblem(t, await postWithKey('/v1/sources', 'url-1', sourceBody), 409, 'conflict');
  t.equal((await api.del(`/v1/sources/${taken.id}`)).statusCode, 204);
  const created = await postWithKey('/v1/sources', 'url-1', sourceBody);
  t.equal(created.statusCode, 201, 'the 409 was not kept');
  t.not(created.json().id, taken.id);

  // 404: the claim to review does not exist (yet).
  const missing = '0190a5b0-0000-7000-8000-000000000000';
  expectProblem(t, await postWithKey(`/v1/claims/${missing}/reviews`, 'review-404', { verdict: 'false' }), 404, 'not_found');
  const replay404 = await postWithKey(`/v1/claims/${missing}/reviews`, 'review-404', { verdict: 'false' });
  expectProblem(t, replay404, 404, 'not_found');
  t.equal(replay404.headers['idempotent-replayed'], undefined);
  t.same((await storedKeys()).map((k) => k.key), ['quote-1', 'url-1'], 'only the writes that committed keep their key');
});

t.test('a request refused by validation stores no key: the corrected request may use it', async (t) => {
  await api.reset();
  expectProblem(t, await postWithKey('/v1/claims', 'fix-me', { text: '' }), 400, 'validation_failed');
  const fixed = await postWithKey('/v1/claims', 'fix-me', CLAIM);
  t.equal(fixed.statusCode, 201);
  t.equal(fixed.headers['idempotent-replayed'], undefined);
  t.equal(await countOf(api, '/v1/claims'), 1);
});

t.test('keys are kept 24 hours; an expired key is forgotten and may be used again', async (t) => {
  await api.reset();
  const first = await postWithKey('/v1/claims', 'old-key', CLAIM);
  const [stored] = await storedKeys();
  t.equal(stored.key, 'old-key');
  t.equal(stored.response_status, 201);
  const kept = new Date(stored.expires_at).getTime() - new Date(stored.created_at).getTime();
  t.ok(kept >= 24 * 60 * 60 * 1000, `kept ${kept} ms`);

  await api.database.db.execute(sql`update idempotency_keys set expires_at = now() - interval '1 minute' where key = 'old-key'`);
  const fresh = await postWithKey('/v1/claims', 'old-key', { ...CLAIM, text: 'Another claim entirely' });
  t.equal(fresh.statusCode, 201, 'not 422: the old use has expired');
  t.not(fresh.json().id, first.json().id);
  t.equal(await countOf(api, '/v1/claims'), 2);
});

t.test('keys live in the database: a second app on the same database replays them', async (t) => {
  await api.reset();
  const first = await postWithKey('/v1/claims', 'restart-key', CLAIM);
  t.equal(first.statusCode, 201);

  const second = await buildApp({ config: loadConfig({ CLAIMLEDGER_ADMIN_KEY: TEST_ADMIN_KEY }), database: api.database, migrate: false });
  t.teardown(() => second.close());
  const headers = { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'idempotency-key': 'restart-key' };
  const replay = await second.inject({ method: 'POST', url: '/v1/claims', payload: CLAIM, headers });
  t.equal(replay.statusCode, 201);
  t.equal(replay.headers['idempotent-replayed'], 'true');
  t.equal(replay.json().id, first.json().id);
  t.equal(replay.headers.location, first.headers.location);
  const reused = await second.inject({ method: 'POST', url: '/v1/claims', payload: { text: 'Something else' }, headers });
  t.equal(reused.statusCode, 422);
  t.equal(reused.json().code, 'idempotency_key_reused');
  await second.close();
  t.equal(await countOf(api, '/v1/claims'), 1);
});

t.test('a streamed NDJSON import refuses Idempotency-Key instead of replaying another body', async (t) => {
  await api.reset();
  const res = await api.request({
    method: 'POST',
    url: '/v1/bulk',
    headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': 'import-1' },
    payload: '{"type":"claim","data":{"text":"One"}}\n',
  });
  t.equal(res.statusCode, 400);
  t.equal(res.json().code, 'validation_failed');
  t.equal((await api.get('/v1/claims?count=true')).json().total, 0, 'nothing was imported');
});

type Teardown = Pick<typeof t, 'teardown'>;

/** The test database's URL: the PostgreSQL-only tests below reach it from outside the app. */
const databaseUrl = () => new URL((api.database as Database & { url: string }).url);
const needsServer = backend === 'postgres' ? false : 'needs a PostgreSQL server: PGlite runs in-process, with no connection to lose';
const KEY_LOCK_SPACE = 4_242_003;

/** A second app on the test database, reaching it through a TCP proxy the test controls. */
async function appBehindProxy(t: Teardown) {
  const url = databaseUrl();
  const proxy = new TcpProxy(Number(url.port || 5432), url.hostname);
  await proxy.listen();
  url.port = String(proxy.port);
  const database = openPostgres({ url: url.toString() });
  const app = await buildApp({ config: loadConfig({ CLAIMLEDGER_ADMIN_KEY: TEST_ADMIN_KEY }), database, migrate: false });
  t.teardown(async () => {
    await app.close();
    await database.close();
    await proxy.close();
  });
  const post = (key: string, payload: Json) =>
    app.inject({ method: 'POST', url: '/v1/claims', payload, headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'idempotency-key': key } });
  return { proxy, post };
}

/**
 * Another session that keeps `claims` from being written, so a request creating a
 * claim waits inside its transaction, holding its Idempotency-Key, until `release()`.
 */
async function claimsLocked(t: Teardown) {
  const client = new pg.Client({ connectionString: databaseUrl().toString() });
  await client.connect();
  t.teardown(() => client.end().catch(() => {}));
  await client.query('begin');
  await client.query('lock table claims in share mode');
  return {
    /** The backend pid of the request's transaction, once it holds its Idempotency-Key (one keyed request at a time). */
    async keyHolder(): Promise<number> {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const { rows } = await client.query<{ pid: number }>(
          `select pid from pg_locks where locktype = 'advisory' and granted and classid = $1 and objsubid = 2
             and database = (select oid from pg_database where datname = current_database())`,
          [KEY_LOCK_SPACE],
        );
        if (rows[0]) return rows[0].pid;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error('no transaction took the Idempotency-Key within 10 s');
    },
    terminate: (pid: number) => client.query('select pg_terminate_backend($1)', [pid]),
    release: () => client.query('rollback'),
  };
}

t.test('a connection lost right after COMMIT: the client gets 503, and its retry replays the committed 201 with the same id; one claim exists', { skip: needsServer }, async (t) => {
  await api.reset();
  const { proxy, post } = await appBehindProxy(t);
  const cut = proxy.cutAfterNextCommit();
  const lost = await post('lost-commit', CLAIM);
  await cut;
  expectProblem(t, lost, 503, 'unavailable');
  const [row] = rowsOf<Json>(await api.database.db.execute(sql`select id from claims`));
  t.ok(row, 'the claim committed all the same');

  const retry = await post('lost-commit', CLAIM);
  t.equal(retry.statusCode, 201, 'the retry is answered 201, not 409 or 503');
  t.equal(retry.headers['idempotent-replayed'], 'true', 'as a replay of the committed answer');
  t.equal(retry.json().id, row.id, 'naming the claim that was written');
  t.equal(retry.headers.location, `/v1/claims/${row.id}`);
  const later = await post('lost-commit', CLAIM);
  t.equal(later.json().id, row.id, 'and so does every later retry');
  t.equal(await countOf(api, '/v1/claims'), 1, 'one claim, not two');
  t.same(await eventLog(api), [['claim.created', row.id]], 'one event');
});

t.test('a write whose connection is killed before COMMIT keeps no key: the retry runs at once and writes once', { skip: needsServer }, async (t) => {
  await api.reset();
  const blocker = await claimsLocked(t);
  const first = postWithKey('/v1/claims', 'killed-write', CLAIM);
  await blocker.terminate(await blocker.keyHolder());
  expectProblem(t, await first, 503, 'unavailable');
  await blocker.release();
  t.equal(await countOf(api, '/v1/claims'), 0, 'nothing was written');

  const retry = await postWithKey('/v1/claims', 'killed-write', CLAIM);
  t.equal(retry.statusCode, 201, `the retry runs at once: not 409 until a timeout (${retry.body.slice(0, 200)})`);
  t.equal(retry.headers['idempotent-replayed'], undefined, 'and is no replay');
  t.equal(await countOf(api, '/v1/claims'), 1);
});

t.test('while the first request with a key runs, another with the key is 409 at once; once the first commits, retries replay it', { skip: backend === 'postgres' ? false : 'PGlite runs one transaction at a time: a second request waits for the first and replays it (the 8-parallel test above)' }, async (t) => {
  await api.reset();
  const blocker = await claimsLocked(t);
  const first = postWithKey('/v1/claims', 'slow-first', CLAIM);
  await blocker.keyHolder();
  const started = performance.now();
  const second = await postWithKey('/v1/claims', 'slow-first', CLAIM);
  const ms = performance.now() - started;
  expectProblem(t, second, 409, 'idempotency_key_in_progress');
  t.ok(ms < 2_000, `answered without waiting for the first (${Math.round(ms)} ms)`);
  await blocker.release();
  const done = await first;
  t.equal(done.statusCode, 201, 'the first one wins');
  const third = await postWithKey('/v1/claims', 'slow-first', CLAIM);
  t.equal(third.statusCode, 201);
  t.equal(third.headers['idempotent-replayed'], 'true');
  t.equal(third.json().id, done.json().id);
  t.equal(await countOf(api, '/v1/claims'), 1);
});
