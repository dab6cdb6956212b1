import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp } from './helper.js';
import { expectProblem, makeClaim, makeSource, qs, type Json } from './factories.js';
import { RANK_WINDOW, WALK_MIN_MATCHES } from '../src/lib/search.js';

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

t.test(`more than ${RANK_WINDOW} hits: the newest are ranked, the older follow newest first, every hit once`, async (t) => {
  await api.reset();
  // Rows straight into the table: a thousand POSTs would only slow the suite down.
  const total = RANK_WINDOW + 30;
  await api.database.db.execute(sql`
    insert into claims (id, text, created_at, updated_at)
    select (lpad(to_hex(1700000000000 + i), 12, '0') || '7000800000000000' || lpad(to_hex(i), 4, '0'))::uuid,
           'the tunnel' || repeat(' tunnel', i % 3) || ' claim ' || i, now(), now()
      from generate_series(1, ${total}) i`);
  const rows = await walk({ q: 'tunnel', limit: 200 });
  t.equal(rows.length, total, 'every hit');
  t.equal(new Set(rows.map((r) => r.id)).size, total, 'once');
  const ids = rows.map((r) => r.id as string);
  const windowRows = rows.slice(0, RANK_WINDOW);
  const older = rows.slice(RANK_WINDOW);
  const newest = [...ids].sort().reverse().slice(0, RANK_WINDOW);
  t.same(windowRows.map((r) => r.id).sort(), [...newest].sort(), 'the first pages hold the newest matches');
  t.ok(
    windowRows.every((r, i) => i === 0 || windowRows[i - 1].rank > r.rank || (windowRows[i - 1].rank === r.rank && windowRows[i - 1].id > r.id)),
    'ranked',
  );
  t.same(older.map((r) => r.id), [...older.map((r) => r.id)].sort().reverse(), 'then the older ones, newest first');
});

t.test(`with ${WALK_MIN_MATCHES} matches or more, the newest are found by walking the primary key, with the same order`, async (t) => {
  await api.reset();
  const total = WALK_MIN_MATCHES + 500;
  await api.database.db.execute(sql`
    insert into claims (id, text, created_at, updated_at)
    select (lpad(to_hex(1700000000000 + i), 12, '0') || '7000800000000000' || lpad(to_hex(i), 4, '0'))::uuid,
           'the bridge' || repeat(' bridge', i % 3) || ' claim ' || i, now(), now()
      from generate_series(1, ${total}) i`);
  await api.database.db.execute(sql`analyze claims`);
  const ids = ((await api.database.db.execute(sql`select id from claims order by id desc`)) as unknown as { rows: { id: string }[] }).rows.map((r) => r.id);
  const newest = new Set(ids.slice(0, RANK_WINDOW));
  const rows: Json[] = [];
  let cursor: string | null = null;
  while (rows.length < RANK_WINDOW + 300) {
    const page = await search(cursor ? { q: 'bridge', limit: 200, cursor } : { q: 'bridge', limit: 200 });
    rows.push(...page.data);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  t.ok(rows.slice(0, RANK_WINDOW).every((r) => newest.has(r.id)), 'the first pages hold the newest matches, ranked');
  t.same(rows.slice(RANK_WINDOW).map((r) => r.id), ids.slice(RANK_WINDOW, rows.length), 'then the older ones, newest first');
  t.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'no repeats');
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
