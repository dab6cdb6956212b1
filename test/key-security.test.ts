import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, InjectOptions } from 'fastify';
import t from 'tap';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { rowsOf, type Database } from '../src/db/client.js';
import { hashSecret } from '../src/lib/keys.js';
import { REVOKED_ADMIN_KEY_NOTICE, bootstrapKeys } from '../src/resources/keys/queries.js';
import { eventsOf } from './factories.js';
import { TEST_ADMIN_KEY, backend, buildTestApp } from './helper.js';

/*
 * API keys against what a careless client or operator, or a fault, can do:
 * secrets kept out of storage and events; revocation in force in every instance
 * before the revoke answers; the bootstrap key staying revoked. Building an app is
 * slow, so the file shares one second instance (another process on the same
 * database) between its tests.
 */

// Several app builds: slow on a busy machine.
t.setTimeout(400_000);

const api = await buildTestApp(t);
const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const randomSecret = () => `clk_${randomBytes(32).toString('base64url')}`;

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

function inject(app: FastifyInstance, secret: string | undefined, options: Partial<InjectOptions> = {}) {
  return app.inject({ method: 'GET', url: '/v1/claims?limit=1', ...options, headers: { ...(secret ? bearer(secret) : {}), ...(options.headers ?? {}) } } as InjectOptions);
}

async function makeKey(scopes: string[], extra: Json = {}): Promise<Json> {
  const res = await api.post('/v1/keys', { name: `key ${scopes.join('+')}`, scopes, ...extra });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json();
}

/** A second app build on the test's database, as another instance of the service would be. */
async function anotherInstance(t: { teardown(fn: () => unknown): void }, env: Record<string, string> = {}, logLines?: string[]): Promise<FastifyInstance> {
  const logger = logLines
    ? {
        level: 'info',
        stream: new Writable({
          write(chunk, _enc, cb) {
            logLines.push(String(chunk));
            cb();
          },
        }),
      }
    : undefined;
  const app = await buildApp({ config: loadConfig({ CLAIMLEDGER_ADMIN_KEY: TEST_ADMIN_KEY, ...env }), database: api.database, migrate: false, logger });
  t.teardown(() => app.close());
  await app.ready();
  return app;
}

const second = await anotherInstance(t);

/** Every row of every table, as text: where a secret would show if it were stored. */
async function everythingStored(database: Database): Promise<string> {
  const tables = rowsOf<{ name: string }>(
    await database.db.execute(sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`),
  );
  let text = '';
  for (const { name } of tables) {
    const rows = rowsOf<{ row: string }>(await database.db.execute(sql`select t::text as row from ${sql.identifier(name)} t`));
    text += rows.map((r) => r.row).join('\n');
  }
  return text;
}

t.test('a key created with expires_at in the past is refused with 400 naming body.expires_at, and nothing is written', async (t) => {
  await api.reset();
  for (const expiresAt of [new Date(Date.now() - 60_000).toISOString(), '2000-01-01T00:00:00Z']) {
    const res = await api.post('/v1/keys', { name: 'already stale', scopes: ['read'], expires_at: expiresAt });
    t.equal(res.statusCode, 400, expiresAt);
    t.equal(res.headers['content-type'], PROBLEM_JSON);
    t.equal(res.json().code, 'validation_failed');
    t.same(res.json().errors, [{ path: 'body.expires_at', message: 'must be in the future' }]);
  }
  t.same((await api.get('/v1/keys?include_revoked=true')).json().data.map((k: Json) => k.name), ['CLAIMLEDGER_ADMIN_KEY'], 'no key was created');
  t.same(await eventsOf(api), [], 'and no event written');
  const later = await api.post('/v1/keys', { name: 'for a year', scopes: ['read'], expires_at: new Date(Date.now() + 365 * 86_400_000).toISOString() });
  t.equal(later.statusCode, 201, 'a future expiry is accepted');
});

t.test('a replayed key creation answers the key without its secret, and the secret is stored nowhere', async (t) => {
  await api.reset();
  const request = { method: 'POST' as const, url: '/v1/keys', headers: { 'idempotency-key': 'desk-tool-key-1' }, payload: { name: 'desk tool', scopes: ['read'] } };
  const first = await api.request(request);
  t.equal(first.statusCode, 201);
  const key = first.json();
  t.match(key.secret, /^clk_/, 'the first answer shows the secret');
  t.notOk('secret_note' in key);

  const replay = await api.request(request);
  t.equal(replay.statusCode, 201);
  t.equal(replay.headers['idempotent-replayed'], 'true');
  t.equal(replay.headers.location, `/v1/keys/${key.id}`);
  const replayed = replay.json();
  t.notOk('secret' in replayed, 'a replay does not show the secret');
  t.match(replayed.secret_note, /shown only in the first answer and is not stored anywhere/);
  const { secret: _secret, ...metadata } = key;
  t.same({ ...replayed, secret_note: undefined }, { ...metadata, secret_note: undefined }, 'it answers the same key');
  t.equal((await api.get('/v1/keys')).json().data.length, 2, 'one key was created, besides the admin key');

  const stored = await everythingStored(api.database);
  t.notOk(stored.includes(key.secret.slice('clk_'.length)), 'no table holds the secret (idempotency records included)');
  t.ok(stored.includes(hashSecret(key.secret)), 'its hash is stored, as a check that the scan reads api_keys');
  t.equal((await api.request({ method: 'GET', url: '/v1/claims?limit=1', headers: bearer(key.secret) })).statusCode, 200, 'the key works');
});

t.test('no event carries characters of a secret: key creations and revocations record metadata only', async (t) => {
  await api.reset();
  const key = await makeKey(['read', 'write']);
  t.equal((await api.del(`/v1/keys/${key.id}`)).statusCode, 204);
  const events = await eventsOf(api, key.id);
  t.same(events.map((e) => e.type), ['api_key.created', 'api_key.updated']);
  for (const event of events) {
    for (const field of ['prefix', 'last4', 'secret', 'secret_hash']) {
      t.notOk(event.after && field in event.after, `${event.type} after has no ${field}`);
      t.notOk(event.before && field in event.before, `${event.type} before has no ${field}`);
    }
    const text = JSON.stringify(event);
    t.notOk(text.includes(key.prefix), `${event.type} does not contain the prefix`);
    t.notOk(text.includes(key.secret.slice(4, 14)), `${event.type} does not contain the secret's start`);
  }
  t.same(events[0].after.scopes, ['read', 'write'], 'the creation still records the metadata');
});

t.test('key events are for admin keys only: a read key gets 403 asking for them and never sees them in the feed', async (t) => {
  await api.reset();
  const read = await makeKey(['read']);
  const write = await makeKey(['write']);
  t.equal((await api.post('/v1/claims', { text: 'The tunnel will cost 2.4 billion euros' })).statusCode, 201);

  const asAdmin = (await api.get('/v1/events')).json().data.map((e: Json) => e.type);
  t.same(asAdmin, ['api_key.created', 'api_key.created', 'claim.created'], 'an admin key sees every event');
  for (const [name, key] of [['read', read], ['write', write]] as const) {
    const feed = await api.request({ method: 'GET', url: '/v1/events', headers: bearer(key.secret) });
    t.equal(feed.statusCode, 200);
    t.same(feed.json().data.map((e: Json) => e.type), ['claim.created'], `a ${name} key's feed leaves key events out`);
    t.equal(feed.json().next_after, 3, 'and still continues after the newest event it shows');
    for (const query of ['entity_type=api_key', 'type=api_key.created', 'type=api_key.updated&after=0']) {
      const asked = await api.request({ method: 'GET', url: `/v1/events?${query}`, headers: bearer(key.secret) });
      t.equal(asked.statusCode, 403, `${name} key: ${query} is 403`);
      t.equal(asked.json().code, 'forbidden');
    }
    const stats = await api.request({ method: 'GET', url: '/v1/stats/overview', headers: bearer(key.secret) });
    t.notOk(stats.json().recent_events.some((e: Json) => e.entity_type === 'api_key'), `a ${name} key's dashboard lists no key events`);
  }
  t.same((await api.get('/v1/events?entity_type=api_key')).json().data.length, 2, 'an admin key may ask for key events');
});

t.test('revoking the CLAIMLEDGER_ADMIN_KEY key survives a restart, and the start says it stays revoked', async (t) => {
  await api.reset();
  const other = await makeKey(['admin']);
  const bootstrap = (await api.get('/v1/keys')).json().data.find((k: Json) => k.name === 'CLAIMLEDGER_ADMIN_KEY');
  const revoke = await api.request({ method: 'DELETE', url: `/v1/keys/${bootstrap.id}`, headers: bearer(other.secret) });
  t.equal(revoke.statusCode, 204);
  t.equal((await inject(api.app, TEST_ADMIN_KEY)).statusCode, 401, 'refused at once');

  // A restart: the same setting, a new process on the same database.
  const log: string[] = [];
  const restarted = await anotherInstance(t, {}, log);
  t.ok(log.some((line) => JSON.parse(line).msg === REVOKED_ADMIN_KEY_NOTICE), `the start logs "${REVOKED_ADMIN_KEY_NOTICE}"`);
  t.equal((await inject(restarted, TEST_ADMIN_KEY)).statusCode, 401, 'the restarted instance refuses it');
  t.equal((await inject(api.app, TEST_ADMIN_KEY)).statusCode, 401, 'and so does the running one');
  const [row] = rowsOf<Json>(await api.database.db.execute(sql`select revoked_at from api_keys where id = ${bootstrap.id}::uuid`));
  t.ok(row.revoked_at, 'revoked_at is still set');
  t.same((await eventsOf(api, bootstrap.id)).map((e) => e.type), ['api_key.updated'], 'and nothing changed it behind the change log');
});

t.test('a revoke through one instance is refused by another on the same database as soon as it answers', async (t) => {
  await api.reset();
  for (const [revoker, other] of [
    [second, api.app],
    [api.app, second],
  ] as const) {
    const key = await makeKey(['read']);
    // Both instances have the key cached.
    t.equal((await inject(api.app, key.secret)).statusCode, 200);
    t.equal((await inject(second, key.secret)).statusCode, 200);
    const revoked = await revoker.inject({ method: 'DELETE', url: `/v1/keys/${key.id}`, headers: bearer(TEST_ADMIN_KEY) });
    t.equal(revoked.statusCode, 204);
    t.equal((await inject(other, key.secret)).statusCode, 401, 'the other instance refuses it on the next request');
    t.equal((await inject(revoker, key.secret)).statusCode, 401, 'and so does the one that revoked it');
  }
});

t.test('an unknown key is remembered briefly, yet a key created with that secret elsewhere is admitted at once', async (t) => {
  await api.reset();
  const secret = randomSecret();
  t.equal((await inject(api.app, secret)).statusCode, 401);
  // Written behind the API's back (no announcement): the instance still answers from what it remembers.
  const id = '0190f3a4-1b2c-7d3e-8f40-000000000001';
  await api.database.db.execute(
    sql`insert into api_keys (id, name, secret_hash, prefix, last4, scopes, created_at, updated_at)
        values (${id}::uuid, 'behind the back', ${hashSecret(secret)}, 'clk_xxxxxx', 'xxxx', array['read'], now(), now())`,
  );
  t.equal((await inject(api.app, secret)).statusCode, 401, 'a repeated unknown key costs no lookup');
  await api.database.db.execute(sql`delete from api_keys where id = ${id}::uuid`);
  // What another instance does at its start with this secret as CLAIMLEDGER_ADMIN_KEY.
  await bootstrapKeys(api.database.db, secret);
  const created = performance.now();
  let status = 0;
  while (status !== 200 && performance.now() - created < 4_000) {
    status = (await inject(api.app, secret)).statusCode;
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const ms = performance.now() - created;
  t.equal(status, 200, 'the new key is admitted');
  t.ok(ms < 1_000, `as soon as its creation is announced (${Math.round(ms)} ms), not when the memory of it as unknown (5 s) runs out`);
});

t.test('a key created through the API is admitted by every instance at once', async (t) => {
  await api.reset();
  for (let i = 0; i < 5; i++) {
    const created = await second.inject({ method: 'POST', url: '/v1/keys', headers: bearer(TEST_ADMIN_KEY), payload: { name: `new ${i}`, scopes: ['read'] } });
    t.equal((await inject(api.app, created.json().secret)).statusCode, 200);
  }
});

t.test('after the connection that carries key changes drops, the cache is emptied when it is back', { skip: backend !== 'postgres' && 'PostgreSQL only: the embedded database delivers changes in-process' }, async (t) => {
  await api.reset();
  const key = await makeKey(['read']);
  t.equal((await inject(api.app, key.secret)).statusCode, 200, 'cached');
  const listeners = async () =>
    rowsOf<{ pid: number }>(await api.database.db.execute(sql`select pid from pg_stat_activity where application_name = 'claimledger key listener' and datname = current_database()`)).map((r) => r.pid);
  const before = await listeners();
  t.ok(before.length >= 1, 'this instance listens');
  await api.database.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'claimledger key listener' and datname = current_database()`);
  // A revocation this instance never hears of (made while it was not listening).
  await api.database.db.execute(sql`update api_keys set revoked_at = now() where id = ${key.id}::uuid`);
  const deadline = Date.now() + 5_000;
  let after: number[] = [];
  while (Date.now() < deadline) {
    after = await listeners();
    if (after.length >= before.length && after.every((pid) => !before.includes(pid))) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.ok(after.length >= 1 && after.every((pid) => !before.includes(pid)), 'it listens again, on a new connection');
  t.equal((await inject(api.app, key.secret)).statusCode, 401, 'the key revoked meanwhile is refused, well within the cache lifetime');
});

