import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp } from './helper.js';
import { expectProblem, makeClaim, makeSource, qs, type Json } from './factories.js';
import { rowsOf } from '../src/db/client.js';

process.env.TZ = 'UTC';

const api = await buildTestApp(t);

const search = async (params: Record<string, string | number | boolean>, path = '/v1/claims') => {
  const res = await api.get(`${path}?${qs(params)}`);
  if (res.statusCode !== 200) throw new Error(`${path}?${qs(params)} answered ${res.statusCode}: ${res.body}`);
  return res.json() as { data: Json[]; next_cursor: string | null; total?: number };
};
const textsOf = (page: { data: Json[] }) => page.data.map((c) => c.text as string);

/** Walks every page of a list and returns the rows in order. */
async function walk(params: Record<string, string | number | boolean>, path = '/v1/claims'): Promise<Json[]> {
  const rows: Json[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await search(cursor ? { ...params, cursor } : params, path);
    rows.push(...page.data);
    cursor = page.next_cursor;
    if (!cursor) return rows;
  }
  throw new Error('too many pages');
}

t.test('web-search syntax: words, "phrases", OR, -word, English stemming', async (t) => {
  await api.reset();
  const texts = [
    'The harbour tunnel will cost 2.4 billion euros.',
    'The tunnel under the harbour was approved by the council.',
    'Costs of the new bridge are rising.',
    'The ferry costed the city more than the bridge.',
    'Bus fares went up by 50 percent.',
    'Harbour pollution fell sharply last year.',
  ];
  for (const text of texts) await makeClaim(api, { text });
  const found = async (q: string) => textsOf(await search({ q, limit: 50 })).sort();

  t.same(await found('tunnel'), [texts[0], texts[1]].sort(), 'one word');
  t.same(await found('"harbour tunnel"'), [texts[0]], 'a phrase needs its words adjacent and in order');
  t.same(await found('harbour tunnel'), [texts[0], texts[1]].sort(), 'words without quotes: all of them, anywhere');
  t.same(await found('ferry OR fares'), [texts[3], texts[4]].sort(), 'OR');
  t.same(await found('harbour -tunnel'), [texts[5]], '-word excludes');
  t.same(await found('cost'), [texts[0], texts[2], texts[3]].sort(), 'stemming: cost, costs and costed');
  t.same(await found('COSTING'), [texts[0], texts[2], texts[3]].sort(), 'and case does not matter');
  t.same(await found('the of and'), [], 'only stop words: nothing, not an error');
  t.same(await found('"unbalanced quote'), [], 'unbalanced syntax is forgiven');
});

t.test('every hit has rank and an HTML-safe highlight; best first', async (t) => {
  await api.reset();
  const once = await makeClaim(api, { text: 'A long claim that mentions the tunnel only once among many other words about budgets, councils and votes.' });
  const twice = await makeClaim(api, { text: 'Tunnel, tunnel: the tunnel <b>costs</b> & more.' });
  await makeClaim(api, { text: 'Nothing to see here.' });
  const page = await search({ q: 'tunnel' });
  t.same(page.data.map((c) => c.id), [twice.id, once.id], 'more occurrences in a shorter text rank higher');
  for (const hit of page.data) {
    t.type(hit.rank, 'number');
    t.ok(hit.rank > 0);
    t.match(hit.highlight, /<mark>tunnel<\/mark>/i);
  }
  t.ok(page.data[0].rank > page.data[1].rank, 'ranks descend');
  t.equal(page.data[0].highlight, '<mark>Tunnel</mark>, <mark>tunnel</mark>: the <mark>tunnel</mark> &lt;b&gt;costs&lt;/b&gt; &amp; more.', 'the text is escaped, only <mark> is markup');
  const single = await api.get(`/v1/claims/${twice.id}`);
  t.notOk('rank' in single.json(), 'rank and highlight only come with q');
  const unranked = await search({ limit: 5 });
  t.notOk('highlight' in unranked.data[0]);
});

t.test('q combines with the other filters, count and an explicit sort', async (t) => {
  await api.reset();
  const source = await makeSource(api);
  const a = await makeClaim(api, { text: 'The tunnel will cost 2.4 billion euros.', topics: ['budget'] });
  const b = await makeClaim(api, { text: 'The tunnel will create 12,000 jobs.', topics: ['jobs'], status: 'in_review' });
  const c = await makeClaim(api, {
    text: 'The tunnel will take ten years to build.',
    topics: ['budget'],
    attributions: [{ source_id: source.id, claimant_name: 'Ana Lindqvist' }],
  });
  await makeClaim(api, { text: 'The bridge will cost 1 billion euros.', topics: ['budget'] });

  t.same(textsOf(await search({ q: 'tunnel', topic: 'budget' })).sort(), [a.text, c.text].sort(), 'topic');
  t.same((await search({ q: 'tunnel', status: 'in_review' })).data.map((r) => r.id), [b.id], 'status');
  t.same((await search({ q: 'tunnel', source_id: source.id })).data.map((r) => r.id), [c.id], 'source_id');
  t.same((await search({ q: 'tunnel', topic: 'budget', count: true })).total, 2, 'count=true counts the matches');
  const byDate = await search({ q: 'tunnel', sort: 'created_at' });
  t.same(byDate.data.map((r) => r.id), [a.id, b.id, c.id], 'an explicit sort orders the matches by it');
  t.ok(byDate.data.every((r) => typeof r.rank === 'number' || r.rank === undefined));
  const withInclude = await search({ q: 'tunnel', include: 'claimants', source_id: source.id });
  t.equal(withInclude.data[0].claimants[0].name, 'Ana Lindqvist', 'include works with q');
});

t.test('ranked pagination walks every hit exactly once, in rank order', async (t) => {
  await api.reset();
  const made: string[] = [];
  for (let i = 0; i < 23; i++) {
    // Varying lengths and repetitions give varying ranks, with ties among equal texts.
    const text = `Claim ${i}: the tunnel${' tunnel'.repeat(i % 3)} ${'and more words '.repeat(i % 4)}end`;
    made.push((await makeClaim(api, { text })).id);
  }
  await makeClaim(api, { text: 'A claim about the bridge.' });
  const rows = await walk({ q: 'tunnel', limit: 4 });
  t.equal(rows.length, 23);
  t.same([...new Set(rows.map((r) => r.id))].sort(), [...made].sort(), 'every hit once');
  for (let i = 1; i < rows.length; i++) {
    const [prev, cur] = [rows[i - 1], rows[i]];
    t.ok(prev.rank > cur.rank || (prev.rank === cur.rank && prev.id > cur.id), `row ${i} follows (rank desc, id desc)`);
  }
  const firstPage = await search({ q: 'tunnel', limit: 10 });
  t.same(firstPage.data.map((r) => r.id), rows.slice(0, 10).map((r) => r.id), 'pages agree with one big page');

  // Claims inserted while walking do not make rows repeat or vanish.
  const page1 = await search({ q: 'tunnel', limit: 5 });
  await makeClaim(api, { text: 'tunnel tunnel tunnel tunnel' });
  const rest = await walk({ q: 'tunnel', limit: 5, cursor: page1.next_cursor! });
  const seen = [...page1.data, ...rest].map((r) => r.id);
  t.equal(new Set(seen).size, seen.length, 'no repeats');
  t.ok(made.every((id) => seen.includes(id)), 'no losses');
});

/** Rank never rises from one row to the next, and equal ranks come in descending id. */
function inRankOrder(t: Test, rows: Json[], what: string) {
  const broken = rows.findIndex((r, i) => i > 0 && !(rows[i - 1].rank > r.rank || (rows[i - 1].rank === r.rank && rows[i - 1].id > r.id)));
  t.equal(broken, -1, `${what}: (rank desc, id desc) on every row${broken === -1 ? '' : ` (broken at row ${broken})`}`);
}

/** Rows straight into the table, oldest first: a thousand POSTs would only slow the suite down. */
const insertClaims = (total: number, text: ReturnType<typeof sql>) =>
  api.database.db.execute(sql`
    insert into claims (id, text, status, created_at, updated_at)
    select (lpad(to_hex(1700000000000 + i), 12, '0') || '7000800000000000' || lpad(to_hex(i), 4, '0'))::uuid,
           ${text}, case when i % 4 = 0 then 'in_review' else 'unreviewed' end, now(), now()
      from generate_series(1, ${total}) i`);

t.test('more than 1,000 matches: rank never rises across all pages and every hit appears exactly once', async (t) => {
  await api.reset();
  // The oldest claims are the most relevant (the word three times in a short text), so an
  // order that favoured recent matches would show them late.
  const total = 1_300;
  await insertClaims(
    total,
    sql`case when i <= 5 then 'tunnel tunnel tunnel'
             else 'the tunnel tunnel' || repeat(' tunnel', i % 3) || ' claim ' || i || case when i % 10 = 0 then ' and the harbour bridge' else '' end end`,
  );
  await makeClaim(api, { text: 'A claim about the harbour bridge.' });
  const ids = (await api.database.db.execute(sql`select id from claims where text like '%tunnel%' order by id`)) as unknown;
  const matching = rowsOf<{ id: string }>(ids).map((r) => r.id);
  const oldest = matching.slice(0, 5).sort().reverse();

  for (const [q, what] of [
    ['tunnel', 'one word'],
    ['tunnel claim', 'two words'],
    ['tunnel OR bridge', 'OR'],
    ['tunnel -"harbour bridge"', 'a word without a phrase'],
    ['"tunnel tunnel"', 'a phrase of one word'],
    ['tunnel OR -bridge', 'a query that can match without its words'],
  ] as const) {
    const rows = await walk({ q, limit: 200 });
    const expected = (await search({ q, count: true, limit: 1 })).total!;
    t.ok(expected > 1_000, `${what}: ${expected} matches`);
    t.equal(rows.length, expected, `${what}: every match`);
    t.equal(new Set(rows.map((r) => r.id)).size, rows.length, `${what}: each once`);
    inRankOrder(t, rows, what);
  }
  const rows = await walk({ q: 'tunnel', limit: 200 });
  t.same(rows.slice(0, 5).map((r) => r.id), oldest, 'the oldest, most relevant claims come first');
  t.same(rows.map((r) => r.id).sort(), [...matching].sort(), 'exactly the matching claims');
  t.ok(rows[0].rank > rows[rows.length - 1].rank);

  // A rank is a sum over the words: each hit of two words ranks as the sum of its ranks for each.
  const alone = async (q: string) => new Map((await walk({ q, limit: 200 })).map((r) => [r.id as string, r.rank as number]));
  const [tunnel, claim] = [await alone('tunnel'), await alone('claim')];
  const both = await walk({ q: 'tunnel claim', limit: 50 });
  const off = both.filter((r) => Math.abs(r.rank - (tunnel.get(r.id)! + claim.get(r.id)!)) > 1e-9);
  t.same(off, [], 'two words: every rank is the sum of the two');

  const filtered = await walk({ q: 'tunnel', status: 'in_review', limit: 100 });
  t.equal(filtered.length, (await search({ q: 'tunnel', status: 'in_review', count: true, limit: 1 })).total, 'with a filter: every match');
  t.ok(filtered.every((r) => r.status === 'in_review'));
  inRankOrder(t, filtered, 'with a filter');
  const wholeFiltered = new Map(rows.map((r) => [r.id, r.rank]));
  t.ok(filtered.every((r) => wholeFiltered.get(r.id) === r.rank), 'a filter does not change a rank');
});

t.test('two words whose best documents seldom hold both: every page exact, with and without a filter', async (t) => {
  await api.reset();
  // Each word's heaviest weights sit in short claims without the other word, so reading the
  // words' lists from the top does not settle the page and every match is scored instead.
  await insertClaims(
    2_400,
    sql`case when i <= 1000 then 'harbour harbour harbour'
             when i <= 2000 then 'ferry ferry ferry'
             else 'a long claim ' || i || ' about the harbour and the ferry' || repeat(' and the timetable of the night service', 1 + i % 4) end`,
  );
  const both = 400;
  for (const [params, what] of [
    [{ q: 'harbour ferry' }, 'two words'],
    [{ q: 'ferry harbour', status: 'in_review' }, 'two words with a filter'],
  ] as const) {
    const rows = await walk({ ...params, limit: 50 });
    const expected = (await search({ ...params, count: true, limit: 1 })).total!;
    t.equal(expected, 'status' in params ? both / 4 : both, `${what}: ${expected} matches`);
    t.equal(rows.length, expected, `${what}: every match`);
    t.equal(new Set(rows.map((r) => r.id)).size, rows.length, `${what}: each once`);
    inRankOrder(t, rows, what);
    const alone = async (q: string) => new Map((await walk({ q, limit: 200 })).map((r) => [r.id as string, r.rank as number]));
    const [harbour, ferry] = [await alone('harbour'), await alone('ferry')];
    const off = rows.filter((r) => Math.abs(r.rank - (harbour.get(r.id)! + ferry.get(r.id)!)) > 1e-9);
    t.same(off, [], `${what}: every rank is the sum of the two words' ranks`);
  }
});

t.test('rank is BM25: idf from the collection times the tf-weight of the word, exact', async (t) => {
  await api.reset();
  const short = await makeClaim(api, { text: 'Tunnel tunnel tunnel.' });
  const long = await makeClaim(api, { text: 'The harbour tunnel will cost far more than the council promised the voters.' });
  for (let i = 0; i < 8; i++) await makeClaim(api, { text: `The bridge number ${i} is closed.` });
  const page = await search({ q: 'tunnel' });
  // N = 10 claims, df = 2: idf = ln(1 + 8.5 / 2.5); L = 10.
  const idf = Math.round(10_000 * Math.log(1 + 8.5 / 2.5));
  const weight = (tf: number, length: number) => Math.round((10_000 * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * length) / 10)));
  // "harbour tunnel cost far council promised voters": 7 words after stop words.
  t.same(
    page.data.map((c) => [c.id, c.rank]),
    [
      [short.id, (idf * weight(3, 3)) / 1e8],
      [long.id, (idf * weight(1, 7)) / 1e8],
    ],
  );
  const two = await search({ q: 'tunnel cost' });
  const idfCost = Math.round(10_000 * Math.log(1 + 9.5 / 1.5));
  t.same(two.data.map((c) => [c.id, c.rank]), [[long.id, (idf * weight(1, 7) + idfCost * weight(1, 7)) / 1e8]], 'a sum over the words');
});

t.test('the terms follow every change of the text: update, delete, bulk', async (t) => {
  await api.reset();
  const claim = await makeClaim(api, { text: 'The tunnel will cost 2.4 billion euros.' });
  await makeClaim(api, { text: 'The tunnel is late.' });
  t.same((await search({ q: 'euros' })).data.map((c) => c.id), [claim.id]);
  const patched = await api.patch(`/v1/claims/${claim.id}`, { text: 'The bridge will cost 3 billion dollars.' });
  t.equal(patched.statusCode, 200);
  t.same((await search({ q: 'euros' })).data, [], 'the old words are gone');
  t.same((await search({ q: 'dollars' })).data.map((c) => c.id), [claim.id], 'the new ones are found');
  t.equal((await search({ q: 'tunnel' })).data.length, 1);
  t.equal((await api.patch(`/v1/claims/${claim.id}`, { status: 'in_review' })).statusCode, 200);
  t.same((await search({ q: 'dollars' })).data.map((c) => c.id), [claim.id], 'other changes leave them');
  t.equal((await api.del(`/v1/claims/${claim.id}`)).statusCode, 204);
  t.same((await search({ q: 'dollars' })).data, [], 'a deleted claim is not found');
  const stats = rowsOf<{ term: string; df: number }>(
    await api.database.db.execute(sql`select term, df::int from claimledger_term_df('claims', array['', 'tunnel', 'dollar', 'euro', 'cost'])`),
  );
  t.same(Object.fromEntries(stats.filter((r) => r.df !== 0).map((r) => [r.term, r.df])), { '': 1, tunnel: 1 }, 'the collection statistics follow');
  const terms = rowsOf<{ n: number }>(await api.database.db.execute(sql`select count(*)::int as n from claim_terms`));
  t.equal(terms[0].n, 2, 'only the remaining claim\'s terms are kept');

  const lines = ['The ferry will cost 9 million euros.', 'The ferry is late.', 'Ferry ferry ferry.'].map((text) => JSON.stringify({ type: 'claim', data: { text } }));
  const imported = await api.request({ method: 'POST', url: '/v1/bulk', headers: { 'content-type': 'application/x-ndjson' }, payload: lines.join('\n') + '\n' });
  t.equal(imported.statusCode, 200, imported.body);
  const ferries = await search({ q: 'ferry' });
  t.same(ferries.data.map((c) => c.text), ['Ferry ferry ferry.', 'The ferry is late.', 'The ferry will cost 9 million euros.'], 'bulk import keeps them too');
});

t.test("sources' and quotes' terms follow a change of their text; a change of anything else leaves them", async (t) => {
  await api.reset();
  const source = await makeSource(api, { title: 'Council approves harbour tunnel', publisher: 'The Gazette', text: 'The ferry will cost 9 million euros, said the mayor.' });
  const claim = await makeClaim(api, { text: 'The ferry costs 9 million' });
  const quoted = (await api.post('/v1/attributions', { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: 'The ferry will cost 9 million euros' })).json() as Json;
  t.equal((await api.patch(`/v1/sources/${source.id}`, { title: 'Council rejects bridge' })).statusCode, 200);
  t.same((await search({ q: 'tunnel' }, '/v1/sources')).data, [], 'the old title is gone');
  t.same((await search({ q: 'bridge' }, '/v1/sources')).data.map((r) => r.id), [source.id], 'the new one is found');
  t.equal((await api.patch(`/v1/sources/${source.id}`, { published_at: '2026-03-02T09:00:00Z' })).statusCode, 200);
  t.same((await search({ q: 'bridge' }, '/v1/sources')).data.map((r) => r.id), [source.id], 'other changes leave it');
  t.equal((await api.patch(`/v1/attributions/${quoted.id}`, { quote: 'said the mayor' })).statusCode, 200);
  t.same((await search({ q: 'ferry' }, '/v1/attributions')).data, [], 'the old quote is gone');
  t.same((await search({ q: 'mayor' }, '/v1/attributions')).data.map((r) => r.id), [quoted.id], 'the new one is found');
});

t.test('collection statistics stay exact through a many-window import with refused lines, which leaves no deltas behind', async (t) => {
  await api.reset();
  const db = api.database.db;
  /** Every term's df as readers see it (any term the statistics or deltas name too) against a recount from the terms themselves. */
  const drift = async () =>
    rowsOf<{ list: string; term: string; df: number | null; actual: number | null }>(
      await db.execute(sql`
        with actual as (
          select 'claims' as list, term, count(*)::int as n from claim_terms group by term
          union all select 'claims', '', count(*)::int from claims
          union all select 'attributions', term, count(*)::int from attribution_terms group by term
          union all select 'attributions', '', count(*)::int from attributions),
        named as (
          select list, term from actual
          union select list, term from search_term_stats where list in ('claims', 'attributions')
          union select list, term from search_term_deltas where list in ('claims', 'attributions')),
        seen as (
          select l.list, d.term, d.df::int as df
            from (values ('claims'), ('attributions')) l(list),
                 lateral claimledger_term_df(l.list, array(select n.term from named n where n.list = l.list)) d)
        select n.list, n.term, s.df, a.n as actual
          from named n
          left join actual a on a.list = n.list and a.term = n.term
          left join seen s on s.list = n.list and s.term = n.term
         where coalesce(s.df, 0) <> coalesce(a.n, 0)`),
    );
  const pending = async () => rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from search_term_deltas`))[0].n;
  const words = ['harbour', 'tunnel', 'ferry', 'bridge', 'council', 'budget', 'rail', 'school', 'water', 'energy'];
  const source = await makeSource(api, { title: 'Harbour news', text: 'The harbour tunnel will cost 2.4 billion euros.' });
  const lines: string[] = [];
  for (let i = 0; i < 2_600; i++) {
    const text = `Claim ${i}: the ${words[i % 10]} ${words[(i * 7) % 10]} costs ${i} euros`;
    lines.push(JSON.stringify({ type: 'claim', ref: `c${i}`, data: { text } }));
    // A quote not in its source every 500 lines: the set fails, its lines go one by one, that one is refused.
    const quote = i % 500 === 248 ? 'words the source never printed' : 'harbour tunnel';
    if (i % 4 === 0) lines.push(JSON.stringify({ type: 'attribution', data: { claim_ref: `c${i}`, source_id: source.id, claimant_label: 'an official', quote } }));
  }
  const res = await api.request({ method: 'POST', url: '/v1/bulk?mode=partial', headers: { 'content-type': 'application/x-ndjson' }, payload: lines.join('\n') });
  t.equal(res.statusCode, 200, res.body);
  t.same((res.json() as { counts: Json }).counts, { source: 0, claimant: 0, claim: 2_600, attribution: 645, review: 0 }, 'the refused lines only');
  t.same(await drift(), [], 'every df as read equals a recount, refused lines\' words included');
  t.equal(await pending(), 0, 'the import folded its deltas before it committed');
  // Folded deltas are deleted rows that every lookup by term would visit until a vacuum.
  const [{ bytes }] = rowsOf<{ bytes: number }>(await db.execute(sql`select pg_relation_size('search_term_deltas')::int as bytes`));
  t.ok(bytes <= 8192, `and vacuumed them away once committed (${bytes} bytes left)`);
  await makeClaim(api, { text: 'The harbour ferry is late.' });
  t.same(await drift(), [], 'and a write after it keeps the figures exact');
  t.same((await search({ q: 'late' })).data.map((c) => c.text), ['The harbour ferry is late.'], 'search reads them');
});

t.test('a fold undone with its savepoint is made again by the next statement that changes terms', async (t) => {
  await api.reset();
  const db = api.database.db;
  const insert = (tx: Pick<typeof db, 'execute'>, text: string) =>
    tx.execute(sql`insert into claims (id, text, created_at, updated_at, version) values (${randomUUID()}::uuid, ${text}, now(), now(), 1)`);
  const pending = await db.transaction(async (tx) => {
    // The first statement folds (and marks the transaction as folded) inside a savepoint that is rolled back.
    await tx
      .transaction(async (inner) => {
        await insert(inner, 'The tunnel will cost 2.4 billion euros.');
        inner.rollback();
      })
      .catch(() => {});
    await insert(tx, 'The bridge will cost 3 billion dollars.');
    return rowsOf<{ n: number }>(await tx.execute(sql`select count(*)::int as n from search_term_deltas`))[0].n;
  });
  t.equal(pending, 0, 'the statement after the rollback folded its own deltas');
  const stats = rowsOf<{ term: string; df: number }>(await db.execute(sql`select term, df::int from claimledger_term_df('claims', array['', 'tunnel', 'bridg'])`));
  t.same(Object.fromEntries(stats.filter((r) => r.df !== 0).map((r) => [r.term, r.df])), { '': 1, bridg: 1 }, 'and counts only what committed');
});

t.test('more than 1,000 sources and quotes: ranked across all pages, every hit once', async (t) => {
  await api.reset();
  const total = 1_100;
  await api.database.db.execute(sql`
    insert into sources (id, kind, title, publisher, created_at, updated_at)
    select (lpad(to_hex(1700000000000 + i), 12, '0') || '7000800000000000' || lpad(to_hex(i), 4, '0'))::uuid, 'article',
           'Tunnel report ' || i || repeat(' tunnel', i % 3) || repeat(' about the harbour', i % 4), 'The Gazette', now(), now()
      from generate_series(1, ${total}) i`);
  const claim = await makeClaim(api, { text: 'The tunnel will cost 2.4 billion euros.' });
  await api.database.db.execute(sql`
    insert into attributions (id, claim_id, source_id, claimant_label, quote, created_at, updated_at)
    select (lpad(to_hex(1800000000000 + i), 12, '0') || '7000800000000000' || lpad(to_hex(i), 4, '0'))::uuid, ${claim.id}::uuid,
           (lpad(to_hex(1700000000000 + i), 12, '0') || '7000800000000000' || lpad(to_hex(i), 4, '0'))::uuid, 'an official',
           'the tunnel' || repeat(' tunnel', i % 3) || ' will cost ' || i || repeat(' euros more', i % 5), now(), now()
      from generate_series(1, ${total}) i`);
  for (const [path, q] of [
    ['/v1/sources', 'tunnel'],
    ['/v1/sources', 'tunnel harbour'],
    ['/v1/attributions', 'tunnel'],
    ['/v1/attributions', 'cost OR euros'],
  ] as const) {
    const rows = await walk({ q, limit: 200 }, path);
    t.equal(rows.length, (await search({ q, count: true, limit: 1 }, path)).total, `${path}?q=${q}: every match`);
    t.equal(new Set(rows.map((r) => r.id)).size, rows.length, `${path}?q=${q}: each once`);
    inRankOrder(t, rows, `${path}?q=${q}`);
  }
});

t.test('sources: q over title and publisher; attributions: q over quotes', async (t) => {
  await api.reset();
  const tunnel = await makeSource(api, { title: 'Council approves harbour tunnel', publisher: 'The Harbour Gazette' });
  const bridge = await makeSource(api, { title: 'Bridge repairs delayed', publisher: 'Tunnel Times' });
  const other = await makeSource(api, { title: 'Ferry timetable changes', publisher: 'Coastal News' });
  const byTitle = await search({ q: 'tunnel' }, '/v1/sources');
  t.same(byTitle.data.map((s) => s.id).sort(), [tunnel.id, bridge.id].sort(), 'title or publisher');
  t.ok(byTitle.data.every((s) => typeof s.rank === 'number' && 'highlight' in s));
  t.same((await search({ q: 'ferry', kind: 'article' }, '/v1/sources')).data.map((s) => s.id), [other.id], 'with a filter');
  t.same((await search({ q: 'gazette' }, '/v1/sources')).data[0].highlight, 'Council approves harbour tunnel', 'the highlight is the title');

  const claim = await makeClaim(api, {
    attributions: [
      { source_id: tunnel.id, claimant_name: 'Ana Lindqvist', quote: 'The harbour tunnel will cost 2.4 billion euros — not a cent more' },
      { source_id: tunnel.id, claimant_label: 'the Port Authority', quote: '12,000 jobs over ten years' },
    ],
  });
  const quotes = await search({ q: '"not a cent"' }, '/v1/attributions');
  t.same(quotes.data.map((a) => a.id), [claim.attributions[0].id]);
  t.match(quotes.data[0].highlight, /not a <mark>cent<\/mark> more/, 'stop words of a phrase are not marked');
  t.same((await search({ q: 'jobs', claim_id: claim.id }, '/v1/attributions')).data.map((a) => a.id), [claim.attributions[1].id]);
  t.same((await walk({ q: 'tunnel OR jobs', limit: 1 }, '/v1/attributions')).length, 2, 'and ranked pages');
});

t.test('bad search input is 400', async (t) => {
  await api.reset();
  await makeClaim(api, { text: 'The tunnel will cost 2.4 billion euros.' });
  await makeClaim(api, { text: 'The tunnel will take ten years.' });
  expectProblem(t, await api.get('/v1/claims?q='), 400, 'validation_failed');
  expectProblem(t, await api.get(`/v1/claims?${qs({ q: 'x'.repeat(501) })}`), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/claims?sort=-rank'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/claimants?sort=-score'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/claims?sort=rank&q=tunnel'), 400, 'validation_failed');
  const page = await search({ q: 'tunnel', limit: 1 });
  t.ok(page.next_cursor);
  const other = expectProblem(t, await api.get(`/v1/claims?${qs({ q: 'cost', cursor: page.next_cursor! })}`), 400, 'invalid_cursor');
  t.match(other.detail, /another q/);
  expectProblem(t, await api.get(`/v1/claims?${qs({ q: 'tunnel', sort: 'created_at', cursor: page.next_cursor! })}`), 400, 'invalid_cursor');
  expectProblem(t, await api.get(`/v1/claims?${qs({ q: 'tunnel', cursor: 'bm9wZQ' })}`), 400, 'invalid_cursor');
  const unranked = await search({ limit: 1 });
  expectProblem(t, await api.get(`/v1/claims?${qs({ q: 'tunnel', cursor: unranked.next_cursor! })}`), 400, 'invalid_cursor');
});
