import { sql } from 'drizzle-orm';
import t from 'tap';
import { rowsOf } from '../src/db/client.js';
import { similarity } from '../src/domain/matching.js';
import { SentenceEncoder, packVector, requestEncoder } from '../src/domain/sentence-vectors.js';
import { encodeQueuedClaims, queuedClaimCount, startMeaningQueue } from '../src/resources/claims/meanings.js';
import { makeClaim, type Json } from './factories.js';
import { buildTestApp, openTestDatabase } from './helper.js';

const api = await buildTestApp(t);
const db = api.database.db;

const stored = async () => rowsOf<{ id: string }>(await db.execute(sql`select claim_id as id from claim_meanings order by claim_id`)).map((r) => r.id);
const match = async (text: string) => {
  const res = await api.post('/v1/claims/match', { text, min_score: 0, limit: 5 });
  if (res.statusCode !== 200) throw new Error(`match answered ${res.statusCode}: ${res.body}`);
  return (res.json() as { data: { id: string; score: number; signals: Json }[] }).data.map((m) => ({ id: m.id, score: m.score, signals: m.signals }));
};

t.test('sentence vectors: the same thing said in other words is closer than another claim', async (t) => {
  const [claim, reworded, other] = await requestEncoder().encode([
    'The proceeds of Girl Scout Cookies are used to support Planned Parenthood.',
    "Don't buy their cookies: part of the money goes to the abortion provider PP.",
    'Girl Scout Troop 6000 serves girls living in the New York shelter system.',
  ]);
  t.equal(claim.length, 512);
  t.ok(similarity(claim, reworded) > similarity(claim, other), `${similarity(claim, reworded)} > ${similarity(claim, other)}`);
  t.equal(similarity(claim, claim), 1);
  t.same(packVector([0.5, -0.2, 0]), Int8Array.from([127, -51, 0]), 'packed: the largest component is ±127');
});

t.test('claims are queued for encoding however they are written, and a match answers the same before and after', async (t) => {
  await api.reset();
  const texts = [
    'Nabisco closed its Chicago plant and moved all production of Oreos to Mexico.',
    'Nabisco is producing Red Velvet Oreos for Valentine’s Day.',
    'The proceeds of Girl Scout Cookies are used to support Planned Parenthood.',
  ];
  const ids: string[] = [];
  for (const text of texts) ids.push((await makeClaim(api, { text, language: 'en' })).id as string);
  const bulk = await api.request({
    method: 'POST',
    url: '/v1/bulk',
    headers: { 'content-type': 'application/x-ndjson' },
    payload: JSON.stringify({ type: 'claim', data: { text: 'Muslims were banned from immigrating to the United States in 1952.' } }),
  });
  t.equal(bulk.statusCode, 200, bulk.body);
  t.equal(await queuedClaimCount(db), 4, 'single writes and bulk lines alike');
  t.same(await stored(), [], 'nothing encoded yet');

  const tweet = "Sad face, I will not be eating @Oreo as I just learned they outsourced their creation to Mexico. It's a sad day! #shameonoreos";
  const before = await match(tweet);
  t.equal(before[0]?.id, ids[0], 'the right claim first, its vector encoded on the spot');
  t.ok(before.every((m) => typeof m.signals.sentence === 'number' && typeof m.signals.sentence_lead === 'number'));

  await api.encodeClaims();
  t.equal(await queuedClaimCount(db), 0);
  t.equal((await stored()).length, 4);
  t.same(await match(tweet), before, 'the same matches, scores and signals once every claim has its stored vector');
});

t.test('a changed text is encoded again; a deleted claim takes its vector with it', async (t) => {
  await api.reset();
  const claim = await makeClaim(api, { text: 'The harbour tunnel will cost 2.4 billion euros.', language: 'en' });
  const other = await makeClaim(api, { text: 'The city council voted to close three libraries.', language: 'en' });
  await api.encodeClaims();
  t.same(await stored(), [claim.id, other.id].sort());

  const patched = await api.patch(`/v1/claims/${claim.id}`, { text: 'The harbour tunnel will cost 3 billion euros.' });
  t.equal(patched.statusCode, 200, patched.body);
  t.same(await stored(), [other.id], 'the old vector is gone');
  t.equal(await queuedClaimCount(db), 1, 'and the claim queued again');
  const unchanged = await api.patch(`/v1/claims/${other.id}`, { topics: ['libraries'] });
  t.equal(unchanged.statusCode, 200, unchanged.body);
  t.equal(await queuedClaimCount(db), 1, 'a change that leaves the text alone queues nothing');

  await api.encodeClaims();
  t.same(await stored(), [claim.id, other.id].sort());
  t.equal((await api.del(`/v1/claims/${claim.id}`)).statusCode, 204);
  t.same(await stored(), [other.id]);
});

t.test('a text changed while its claim is being encoded keeps the claim queued for the new text', async (t) => {
  await api.reset();
  const claim = await makeClaim(api, { text: 'Wind farms supplied 40 percent of the country’s power last year.', language: 'en' });
  // An encoder slow enough for the text to change under it.
  const slow = new SentenceEncoder();
  t.teardown(() => slow.close());
  const encode = slow.encode.bind(slow);
  slow.encode = async (texts: string[]) => {
    const vectors = await encode(texts);
    const res = await api.patch(`/v1/claims/${claim.id}`, { text: 'Wind farms supplied 30 percent of the country’s power last year.' });
    t.equal(res.statusCode, 200, res.body);
    return vectors;
  };
  t.equal(await encodeQueuedClaims(db, slow), 1);
  t.same(await stored(), [], 'the vector of the old text is not stored');
  t.equal(await queuedClaimCount(db), 1);
  t.equal(await encodeQueuedClaims(db, requestEncoder()), 1, 'and the claim can be taken again at once, its lease cleared');
  t.same(await stored(), [claim.id]);
});

t.test('the background encoder outlives a database that has gone away, and says so', async (t) => {
  const gone = await openTestDatabase();
  await gone.close();
  const warnings: object[] = [];
  const queue = startMeaningQueue(gone.db, requestEncoder(), { warn: (obj) => warnings.push(obj) }, 10);
  await new Promise((r) => setTimeout(r, 100));
  await queue.stop();
  t.ok(warnings.length >= 2, `kept trying: ${warnings.length} warnings`);
});

t.test('stopping does not wait for a batch being encoded: its claims go back to the queue at once', async (t) => {
  await api.reset();
  for (const text of ['The state cut school funding by 20 percent in 2019.', 'The city council voted to close three libraries.']) await makeClaim(api, { text, language: 'en' });
  // An encoder that is still at it however long one waits (a busy machine, a long batch).
  let asked = 0;
  const stuck = { encode: () => (asked++, new Promise<Int8Array[]>(() => {})) } as unknown as SentenceEncoder;
  const queue = startMeaningQueue(db, stuck, { warn: () => {} }, 10);
  for (let i = 0; i < 200 && asked === 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(asked, 1, 'a batch is being encoded');
  const leased = async () => rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from claim_meanings_pending where leased_until is not null`))[0].n;
  t.equal(await leased(), 2, 'under lease');
  await queue.stop();
  t.equal(await queuedClaimCount(db), 2, 'stopped: both claims still queued');
  t.equal(await leased(), 0, 'and free for the next encoder now, not when the lease runs out');
});

t.test('with CLAIMLEDGER_MATCH_BACKGROUND off, a listening server leaves the queue to others, and its matches answer the same', async (t) => {
  const quiet = await buildTestApp(t, { CLAIMLEDGER_MATCH_BACKGROUND: 'off' });
  await quiet.app.listen({ host: '127.0.0.1', port: 0 });
  const texts = ['Nabisco closed its Chicago plant and moved all production of Oreos to Mexico.', 'Nabisco is producing Red Velvet Oreos for Valentine’s Day.'];
  for (const text of texts) await makeClaim(quiet, { text, language: 'en' });
  // The queue is looked at every second by a server that works it: three seconds and nothing taken.
  await new Promise((r) => setTimeout(r, 3000));
  const queued = async () => rowsOf<{ n: number }>(await quiet.database.db.execute(sql`select count(*)::int as n from claim_meanings_pending`))[0].n;
  t.equal(await queued(), 2, 'both claims still queued');
  const ask = async () => (await quiet.post('/v1/claims/match', { text: 'Oreo moved its production to Mexico #shameonoreos', min_score: 0 })).json() as { data: { text: string; score: number }[] };
  const before = await ask();
  t.equal(before.data[0]?.text, texts[0], 'a match encodes the candidates it meets on the spot');
  await quiet.encodeClaims(); // as another instance would
  t.same(await ask(), before, 'the same answer once another has encoded them');
});

// Last: once listening, the app encodes in the background for the rest of the file.
t.test('a listening server encodes new claims in the background', async (t) => {
  await api.reset();
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  await makeClaim(api, { text: 'The state cut school funding by 20 percent in 2019.', language: 'en' });
  await makeClaim(api, { text: 'The city council voted to close three libraries.', language: 'en' });
  for (let i = 0; i < 600 && (await queuedClaimCount(db)) > 0; i++) await new Promise((r) => setTimeout(r, 50));
  t.equal(await queuedClaimCount(db), 0, 'the queue is worked through');
  t.equal((await stored()).length, 2);
});
