import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp } from './helper.js';
import { expectProblem, makeClaimant, makeSource, qs, type Json } from './factories.js';

const api = await buildTestApp(t);

/**
 * A small newsroom whose numbers are known by construction:
 * - 2 publishers (Gazette: 2 sources, Courier: 1 source) and one source without publisher;
 * - claims said on known UTC days (one just before midnight UTC, one just after);
 * - verdicts from reviews, topics, languages, claimants.
 */
async function newsroom() {
  const gazette1 = await makeSource(api, { publisher: 'The Harbour Gazette', text: null });
  const gazette2 = await makeSource(api, { publisher: 'The Harbour Gazette', text: null });
  const courier = await makeSource(api, { publisher: 'Coastal Courier', text: null });
  const blog = await makeSource(api, { publisher: null, text: null });
  const mayor = await makeClaimant(api, { name: 'Ana Lindqvist' });
  const port = await makeClaimant(api, { name: 'Port Authority', kind: 'organization' });

  const claim = async (body: Json, verdicts: string[] = []) => {
    const res = await api.post('/v1/claims', body);
    t.equal(res.statusCode, 201, res.body);
    const created = res.json();
    for (const [i, verdict] of verdicts.entries()) {
      const r = await api.post(`/v1/claims/${created.id}/reviews`, { verdict, published_at: `2026-03-1${i}T12:00:00Z` });
      t.equal(r.statusCode, 201, r.body);
    }
    return created;
  };
  const at = (source: Json, claimant: Json | null, said_at: string) =>
    claimant ? { source_id: source.id, claimant_id: claimant.id, said_at } : { source_id: source.id, claimant_label: 'an official', said_at };

  const c = [
    // 2026-03-02 is a Monday (ISO week 10); 2026-03-01 a Sunday (week 9).
    await claim({ text: 'c1', language: 'en', topics: ['budget', 'tunnel'], attributions: [at(gazette1, mayor, '2026-03-02T08:00:00Z')] }, ['false']),
    await claim({ text: 'c2', language: 'en', topics: ['budget'], attributions: [at(gazette1, mayor, '2026-03-01T23:59:59.999Z'), at(courier, port, '2026-03-04T10:00:00Z')] }, ['true', 'misleading']),
    await claim({ text: 'c3', language: 'sv', topics: ['tunnel', 'tunnel'], attributions: [at(courier, port, '2026-03-02T00:00:00Z')] }),
    await claim({ text: 'c4', language: 'sv', topics: [], status: 'in_review', attributions: [at(blog, null, '2026-04-15T12:00:00Z')] }),
    await claim({ text: 'c5', topics: ['jobs'], attributions: [at(gazette2, port, '2026-03-09T00:00:00Z'), at(gazette1, port, '2026-03-10T00:00:00Z')] }, ['false']),
    await claim({ text: 'c6', topics: ['jobs'] }), // never seen: no attributions
  ];
  return { sources: { gazette1, gazette2, courier, blog }, mayor, port, claims: c };
}

const stats = async (params: Record<string, string | number | boolean>) => {
  const res = await api.get(`/v1/stats/claims?${qs(params)}`);
  if (res.statusCode !== 200) throw new Error(`stats answered ${res.statusCode}: ${res.body}`);
  return res.json() as { group_by: string; total: number; groups: { key: string | null; label: string; count: number }[]; from?: string; to?: string };
};

const countsOf = (body: { groups: { key: string | null; count: number }[] }) => Object.fromEntries(body.groups.map((g) => [String(g.key), g.count]));

t.test('counts by verdict, status, language, topic, claimant and publisher match what was created', async (t) => {
  await api.reset();
  const room = await newsroom();

  const verdict = await stats({ group_by: 'verdict' });
  t.equal(verdict.total, 6);
  t.same(
    verdict.groups.map((g) => g.key),
    ['true', 'mostly_true', 'mixed', 'mostly_false', 'false', 'misleading', 'unverifiable', null],
    'every verdict in order, zeros included, then claims without one',
  );
  // c2's newest review (published last) is `misleading`.
  t.same(countsOf(verdict), { true: 0, mostly_true: 0, mixed: 0, mostly_false: 0, false: 2, misleading: 1, unverifiable: 0, null: 3 });
  t.equal(verdict.groups.find((g) => g.key === 'mostly_false')!.label, 'Mostly false');

  t.same(countsOf(await stats({ group_by: 'status' })), { unreviewed: 2, in_review: 1, reviewed: 3 });

  const language = await stats({ group_by: 'language' });
  t.same(countsOf(language), { en: 2, sv: 2, null: 2 });
  t.equal(language.groups.find((g) => g.key === 'sv')!.label, 'Swedish');

  const topic = await stats({ group_by: 'topic' });
  t.equal(topic.total, 6, 'total counts claims, not topics');
  t.same(countsOf(topic), { budget: 2, tunnel: 2, jobs: 2, null: 1 }, 'a topic repeated on one claim counts once');
  t.same(topic.groups.map((g) => g.key), ['budget', 'jobs', 'tunnel', null], 'largest first, ties by key');

  const claimant = await stats({ group_by: 'claimant' });
  t.same(countsOf(claimant), { [room.port.id]: 3, [room.mayor.id]: 2, null: 2 }, 'claims with several attributions to one claimant count once');
  t.same(claimant.groups.map((g) => g.label), ['Port Authority', 'Ana Lindqvist', 'No named claimant']);

  const publisher = await stats({ group_by: 'publisher' });
  t.same(countsOf(publisher), { 'The Harbour Gazette': 3, 'Coastal Courier': 2, null: 2 });

  t.same(
    (await stats({ group_by: 'topic', limit: 1 })).groups.map((g) => g.key),
    ['budget', null],
    'limit keeps the largest groups (and the null group)',
  );
});

t.test('counts by textual rating keep "Pants on Fire" apart from "False", by each claim\'s current review', async (t) => {
  await api.reset();
  const claim = async (text: string, reviews: Json[]) => {
    const created = (await api.post('/v1/claims', { text })).json();
    for (const review of reviews) t.equal((await api.post(`/v1/claims/${created.id}/reviews`, review)).statusCode, 201);
    return created;
  };
  await claim('p1', [{ verdict: 'false', textual_rating: 'Pants on Fire', published_at: '2026-03-01T00:00:00Z' }]);
  await claim('p2', [{ verdict: 'false', textual_rating: 'Pants on Fire', published_at: '2026-03-01T00:00:00Z' }]);
  await claim('f1', [{ verdict: 'false', textual_rating: 'False', published_at: '2026-03-01T00:00:00Z' }]);
  // Rated "Half True" first, then "Pants on Fire" by a newer review: the newer one counts, as it does for the verdict.
  await claim('h1', [
    { verdict: 'mixed', textual_rating: 'Half True', published_at: '2026-03-01T00:00:00Z' },
    { verdict: 'false', textual_rating: 'Pants on Fire', published_at: '2026-03-05T00:00:00Z' },
  ]);
  await claim('h2', [{ verdict: 'mixed', textual_rating: 'Half True', published_at: '2026-03-01T00:00:00Z' }]);
  await claim('n1', [{ verdict: 'true', published_at: '2026-03-01T00:00:00Z' }]);
  await claim('u1', []);

  const body = await stats({ group_by: 'textual_rating' });
  t.equal(body.total, 7);
  t.same(
    body.groups,
    [
      { key: 'Pants on Fire', label: 'Pants on Fire', count: 3 },
      { key: 'False', label: 'False', count: 1 },
      { key: 'Half True', label: 'Half True', count: 1 },
      { key: null, label: 'No textual rating', count: 2 },
    ],
    'largest first (ties by name), then claims without a review or without a textual rating',
  );
  t.same(countsOf(await stats({ group_by: 'verdict' })).false, 4, 'the verdict groups them together');
  t.same(countsOf(await stats({ group_by: 'textual_rating', verdict: 'false' })), { 'Pants on Fire': 3, False: 1 }, 'filters apply');
  t.same((await stats({ group_by: 'textual_rating', limit: 1 })).groups.map((g) => g.key), ['Pants on Fire', null], 'limit keeps the largest');
});

t.test('every claim filter narrows the counts, exactly as it narrows GET /v1/claims', async (t) => {
  await api.reset();
  const room = await newsroom();
  const filters: Record<string, string | boolean>[] = [
    { topic: 'budget' },
    { verdict: 'false' },
    { status: 'unreviewed' },
    { language: 'sv' },
    { claimant_id: room.port.id },
    { source_id: room.sources.gazette1.id },
    { has_review: true },
    { has_review: false },
    { seen_from: '2026-03-02T00:00:00Z', seen_to: '2026-03-05T00:00:00Z' },
    { topic: 'tunnel', language: 'sv' },
  ];
  for (const filter of filters) {
    const listed = await api.get(`/v1/claims?${qs({ ...filter, count: true, limit: 200 })}`);
    const expected = listed.json() as { total: number; data: Json[] };
    for (const groupBy of ['verdict', 'textual_rating', 'status', 'topic', 'claimant', 'month']) {
      const body = await stats({ ...filter, group_by: groupBy });
      t.equal(body.total, expected.total, `${JSON.stringify(filter)} by ${groupBy}: total`);
    }
    const byVerdict = countsOf(await stats({ ...filter, group_by: 'verdict' }));
    const fromList: Record<string, number> = {};
    for (const c of expected.data) fromList[String(c.verdict)] = (fromList[String(c.verdict)] ?? 0) + 1;
    for (const [key, n] of Object.entries(fromList)) t.equal(byVerdict[key], n, `${JSON.stringify(filter)}: verdict ${key}`);
  }
});

t.test('time buckets are UTC days, ISO weeks and months, with empty buckets filled', async (t) => {
  await api.reset();
  await newsroom();

  const day = await stats({ group_by: 'day', from: '2026-03-01T00:00:00Z', to: '2026-03-05T00:00:00Z' });
  t.same(
    day.groups.map((g) => [g.key, g.count]),
    [
      ['2026-03-01', 1],
      ['2026-03-02', 2],
      ['2026-03-03', 0],
      ['2026-03-04', 0],
    ],
    'c2 was first said at 23:59:59.999 UTC on the 1st; c1 and c3 on the 2nd',
  );
  t.equal(day.total, 3, 'from/to filter the claims too');
  t.equal(day.from, '2026-03-01T00:00:00.000Z');
  t.equal(day.to, '2026-03-05T00:00:00.000Z');

  const week = await stats({ group_by: 'week' });
  t.same(
    week.groups.map((g) => [g.key, g.label, g.count]),
    [
      ['2026-02-23', '2026-W09', 1],
      ['2026-03-02', '2026-W10', 2],
      ['2026-03-09', '2026-W11', 1],
      ['2026-03-16', '2026-W12', 0],
      ['2026-03-23', '2026-W13', 0],
      ['2026-03-30', '2026-W14', 0],
      ['2026-04-06', '2026-W15', 0],
      ['2026-04-13', '2026-W16', 1],
      [null, 'Unknown date', 1],
    ],
    'without from/to the buckets span the data; the claim never seen is the null group',
  );
  t.equal(week.total, 6);

  const month = await stats({ group_by: 'month', from: '2026-01-15T00:00:00Z', to: '2026-06-01T00:00:00Z' });
  t.same(
    month.groups.map((g) => [g.key, g.label, g.count]),
    [
      ['2026-01-01', '2026-01', 0],
      ['2026-02-01', '2026-02', 0],
      ['2026-03-01', '2026-03', 4],
      ['2026-04-01', '2026-04', 1],
      ['2026-05-01', '2026-05', 0],
    ],
  );

  const created = await stats({ group_by: 'day', time_field: 'created_at' });
  t.equal(created.groups.length, 1, 'every claim was recorded today');
  t.equal(created.groups[0].key, new Date().toISOString().slice(0, 10));
  t.equal(created.groups[0].count, 6);

  const empty = await stats({ group_by: 'month', topic: 'no such topic' });
  t.same(empty, { group_by: 'month', total: 0, groups: [] }, 'no data and no range: no buckets');
});

t.test('answers are cacheable: ETag, 304 while unchanged, a new ETag after a write', async (t) => {
  await api.reset();
  await newsroom();
  const url = '/v1/stats/claims?group_by=verdict';
  const first = await api.get(url);
  t.equal(first.statusCode, 200);
  t.match(first.headers['cache-control'], /^private, max-age=\d+$/);
  const etag = first.headers.etag as string;
  t.match(etag, /^W\/".+"$/);
  const again = await api.request({ method: 'GET', url, headers: { 'if-none-match': etag } });
  t.equal(again.statusCode, 304);
  t.equal(again.body, '');

  await api.post('/v1/claims', { text: 'one more claim' });
  const changed = await api.request({ method: 'GET', url, headers: { 'if-none-match': etag } });
  t.equal(changed.statusCode, 200, 'a changed count changes the ETag');
  t.not(changed.headers.etag, etag);

  const overview = await api.get('/v1/stats/overview');
  t.ok(overview.headers.etag);
  t.equal((await api.request({ method: 'GET', url: '/v1/stats/overview', headers: { 'if-none-match': overview.headers.etag as string } })).statusCode, 304);
});

t.test('counts kept on the server follow every write, even one made straight in the database', async (t) => {
  await api.reset();
  await newsroom();
  const before = await stats({ group_by: 'language' });
  t.same(await stats({ group_by: 'language' }), before, 'asked again: the same answer');
  await api.database.db.execute(sql`update claims set language = 'fr' where language = 'sv'`);
  t.same(countsOf(await stats({ group_by: 'language' })), { en: 2, fr: 2, null: 2 }, 'an UPDATE outside the API is counted at once');
  await api.database.db.execute(sql`delete from claims where language = 'fr'`);
  t.equal((await stats({ group_by: 'language' })).total, 4);
  await api.reset();
  t.equal((await stats({ group_by: 'language' })).total, 0, 'and so is a TRUNCATE');
});

t.test('bad stats requests are 400 problems', async (t) => {
  await api.reset();
  const cases: [string, string][] = [
    ['', 'query.group_by'],
    ['group_by=colour', 'query.group_by'],
    ['group_by=verdict&colour=red', 'query.colour'],
    ['group_by=verdict&limit=0', 'query.limit'],
    ['group_by=day&from=yesterday', 'query.from'],
    ['group_by=day&from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'query.to'],
    ['group_by=day&from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'query.group_by'],
    ['group_by=verdict&claimant_id=nope', 'query.claimant_id'],
  ];
  for (const [query, path] of cases) {
    const problem = expectProblem(t, await api.get(`/v1/stats/claims?${query}`), 400, 'validation_failed');
    t.ok(problem.errors.some((e: Json) => e.path === path), `${query}: names ${path} in ${JSON.stringify(problem.errors)}`);
  }
});

t.test('the overview counts every resource, claims by status and verdict, and the newest changes', async (t) => {
  await api.reset();
  const room = await newsroom();
  const res = await api.get('/v1/stats/overview');
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.same(body.totals, { sources: 4, claimants: 2, claims: 6, attributions: 7, reviews: 4 });
  t.same(body.created_last_7_days, { sources: 4, claims: 6, reviews: 4 });
  t.same(countsOf({ groups: body.claims_by_status }), { unreviewed: 2, in_review: 1, reviewed: 3 });
  t.same(countsOf({ groups: body.claims_by_verdict }), { true: 0, mostly_true: 0, mixed: 0, mostly_false: 0, false: 2, misleading: 1, unverifiable: 0, null: 3 });
  t.equal(body.recent_events.length, 10);
  t.ok(body.last_event_seq > 10);
  t.equal(body.recent_events[0].seq, body.last_event_seq, 'newest first');
  t.ok(body.recent_events.every((e: Json, i: number) => i === 0 || e.seq < body.recent_events[i - 1].seq));
  t.match(body.recent_events[0].occurred_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.ok(room.claims.length);
});
