import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { buildTestApp } from './helper.js';
import { HARBOUR_TEXT, countAll, countOf, eventsOf, expectProblem, makeClaim, makeClaimant, makeSource, type Json } from './factories.js';
import { countTypes, newsroomLines, toNdjson, type Line } from './fixtures/bulk/newsroom.js';
import { SET_ROWS } from '../src/resources/bulk/write.js';

const api = await buildTestApp(t);

const bulk = (payload: string | Buffer | Readable, query = '', headers: Record<string, string> = {}) =>
  api.request({ method: 'POST', url: `/v1/bulk${query}`, headers: { 'content-type': 'application/x-ndjson', ...headers }, payload });

/** Every row count the API can show, plus the change log: what "nothing was written" compares. */
async function everything() {
  return { ...(await countAll(api)), reviews: await countOf(api, '/v1/reviews'), events: (await eventsOf(api)).length };
}

const withoutLifecycle = (row: Json) => {
  const { id: _id, created_at: _c, updated_at: _u, claim_id: _claim, source_id: _source, claimant_id: _claimant, url: _url, ...rest } = row;
  return rest;
};

t.test('a bulk line creates exactly what the single endpoint creates: defaults, normalised url, anchors, derived fields, events', async (t) => {
  await api.reset();
  const quote = '"The harbour tunnel will cost 2.4 billion euros - not a cent more,"';
  // Through the single endpoints.
  const source = await makeSource(api, { url: 'HTTPS://Harbourgazette.example/single?utm_source=x#top', metadata: { desk: 'city' } });
  const person = await makeClaimant(api, { name: 'Ana Lindqvist', aliases: ['Mayor Lindqvist'], wikidata_id: 'Q1' });
  const claim = await makeClaim(api, { text: 'The tunnel costs 2.4 billion', topics: ['budget'] });
  const attribution = (await api.post('/v1/attributions', { claim_id: claim.id, source_id: source.id, claimant_id: person.id, quote, said_at: '2026-03-02T10:00:00Z' })).json();
  const review = (await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'misleading', evidence: [{ source_id: source.id, stance: 'refutes' }] })).json();

  // The same content through bulk.
  const res = await bulk(
    toNdjson([
      { type: 'source', ref: 's', data: { kind: 'article', url: 'HTTPS://Harbourgazette.example/bulk?utm_source=x#top', title: 'Council approves harbour tunnel', publisher: 'The Harbour Gazette', language: 'en', published_at: '2026-03-03T09:00:00Z', text: HARBOUR_TEXT, metadata: { desk: 'city' } } },
      { type: 'claimant', ref: 'p', data: { name: 'Ana Lindqvist', aliases: ['Mayor Lindqvist'], wikidata_id: 'Q2', kind: 'person' } },
      { type: 'claim', ref: 'c', data: { text: 'The tunnel costs 2.4 billion', language: 'en', topics: ['budget'] } },
      { type: 'attribution', ref: 'a', data: { claim_ref: 'c', source_ref: 's', claimant_ref: 'p', quote, said_at: '2026-03-02T10:00:00Z' } },
      { type: 'review', ref: 'r', data: { claim_ref: 'c', verdict: 'misleading', evidence: [{ source_ref: 's', stance: 'refutes' }] } },
    ]),
  );
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  const body = res.json();
  t.same(body.counts, { source: 1, claimant: 1, claim: 1, attribution: 1, review: 1 });
  t.same(body.results.map((r: Json) => [r.line, r.type, r.ref, r.status]), [
    [1, 'source', 's', 'created'],
    [2, 'claimant', 'p', 'created'],
    [3, 'claim', 'c', 'created'],
    [4, 'attribution', 'a', 'created'],
    [5, 'review', 'r', 'created'],
  ]);
  const id = (ref: string) => body.results.find((r: Json) => r.ref === ref).id;

  const bulkSource = (await api.get(`/v1/sources/${id('s')}`)).json();
  t.equal(bulkSource.url, 'https://harbourgazette.example/bulk', 'url normalised');
  t.same(withoutLifecycle(bulkSource), withoutLifecycle((await api.get(`/v1/sources/${source.id}`)).json()));
  const bulkPerson = (await api.get(`/v1/claimants/${id('p')}`)).json();
  t.same({ ...withoutLifecycle(bulkPerson), wikidata_id: 'Q1' }, withoutLifecycle(person));
  const bulkAttribution = (await api.get(`/v1/attributions/${id('a')}`)).json();
  t.same(withoutLifecycle(bulkAttribution), withoutLifecycle(attribution), 'anchored at the same place');
  t.equal(bulkAttribution.anchored, true);
  t.equal(bulkAttribution.claim_id, id('c'));
  const bulkClaim = (await api.get(`/v1/claims/${id('c')}`)).json();
  const singleClaim = (await api.get(`/v1/claims/${claim.id}`)).json();
  t.same(withoutLifecycle(bulkClaim), withoutLifecycle(singleClaim), 'derived fields: first_seen_at, counts, verdict, status, version');
  t.same(withoutLifecycle((await api.get(`/v1/reviews/${id('r')}`)).json()).evidence, [{ source_id: id('s'), stance: 'refutes', note: null }]);
  t.ok(review.id);

  // The change log holds the same kinds of events, with the same fields.
  for (const [single, bulked] of [
    [source.id, id('s')],
    [person.id, id('p')],
    [claim.id, id('c')],
    [attribution.id, id('a')],
    [review.id, id('r')],
  ]) {
    const a = await eventsOf(api, single);
    const b = await eventsOf(api, bulked);
    t.same(b.map((e) => e.type), a.map((e) => e.type), `events of ${b[0]?.entity_type}`);
    t.same(Object.keys(b[0].after).sort(), Object.keys(a[0].after).sort(), `${b[0]?.type} carries the same fields`);
    t.equal(b[0].request_id, res.headers['x-request-id'] ?? b[0].request_id);
  }
  t.notOk('text' in (await eventsOf(api, id('s')))[0].after, 'source events leave the text out, as the single endpoint does');
});

t.test('a 5,000-line import with one bad line in the middle writes nothing, and with mode=partial everything but that line', async (t) => {
  await api.reset();
  const lines = newsroomLines(5000, 'five');
  const middle = lines.findIndex((l, i) => i >= 2499 && l.type === 'claim') + 1;
  t.ok(middle >= 2500 && middle < 2600, `the bad line, ${middle}, is in the middle`);
  const bad: Line[] = [...lines];
  bad[middle - 1] = { ...lines[middle - 1], data: { ...lines[middle - 1].data, text: 12345 } };
  const before = await everything();

  const refused = await bulk(toNdjson(bad));
  const problem = expectProblem(t, refused, 400, 'validation_failed');
  t.same(problem.errors, [{ line: middle, path: 'data.text', message: 'must be string', code: 'validation_failed' }], 'names the line, the field and what is wrong');
  t.equal(problem.failed, 1);
  t.equal(problem.lines, 5000);
  t.same(await everything(), before, 'nothing was written, not even events');

  // Lines that referred to the bad one fail too in partial mode: find them first.
  const badRef = lines[middle - 1].ref!;
  const dependents = lines.filter((l) => l.data.claim_ref === badRef).length;
  const partial = await bulk(toNdjson(bad), '?mode=partial');
  t.equal(partial.statusCode, 200, partial.body.slice(0, 500));
  const body = partial.json();
  t.equal(body.mode, 'partial');
  t.equal(body.lines, 5000);
  t.equal(body.failed, 1 + dependents);
  t.equal(body.created, 4999 - dependents);
  const failed = body.results.filter((r: Json) => r.status === 'failed');
  t.same(failed[0], { line: middle, type: 'claim', ref: badRef, status: 'failed', errors: [{ line: middle, path: 'data.text', message: 'must be string', code: 'validation_failed' }] });
  for (const f of failed.slice(1)) t.match(f.errors[0], { path: 'data.claim_ref', message: `names line ${middle}, which was not written`, code: 'unprocessable' });

  const expected = countTypes(lines);
  const attributionsLost = lines.filter((l) => l.type === 'attribution' && l.data.claim_ref === badRef).length;
  const reviewsLost = dependents - attributionsLost;
  t.same(await countAll(api), {
    sources: expected.source,
    claimants: expected.claimant,
    claims: expected.claim - 1,
    attributions: expected.attribution - attributionsLost,
  });
  t.equal(await countOf(api, '/v1/reviews'), expected.review - reviewsLost);
  const anchored = await countOf(api, '/v1/attributions?kind=direct_quote');
  t.ok(anchored > 0);
  // Every created row answers at the id the results gave.
  const sample = body.results.filter((r: Json) => r.status === 'created').filter((_: Json, i: number) => i % 499 === 0);
  for (const r of sample) t.equal((await api.get(`/v1/${r.type}s/${r.id}`)).statusCode, 200, `line ${r.line}`);
  // One created event per row written, plus claim.updated for derived fields.
  const events = await eventsOf(api);
  t.equal(events.filter((e) => e.type.endsWith('.created')).length, body.created);
  t.ok(events.every((e, i) => i === 0 || Number(e.seq) > Number(events[i - 1].seq)));

  // The good file, whole, goes in atomically.
  await api.reset();
  const ok = await bulk(toNdjson(lines));
  t.equal(ok.statusCode, 200);
  t.equal(ok.json().created, 5000);
  t.same(await countAll(api), { sources: expected.source, claimants: expected.claimant, claims: expected.claim, attributions: expected.attribution });
});

t.test('a line bad against the data (a quote not in its source) also refuses the whole request, and partial writes the rest', async (t) => {
  await api.reset();
  const lines = newsroomLines(1000, 'quote');
  const at = lines.findIndex((l, i) => i > 480 && l.type === 'attribution' && typeof l.data.quote === 'string');
  lines[at] = { ...lines[at], data: { ...lines[at].data, quote: 'words nobody wrote' } };
  const before = await everything();
  const problem = expectProblem(t, await bulk(toNdjson(lines)), 422, 'unprocessable');
  t.same(problem.errors, [{ line: at + 1, path: 'data.quote', message: 'is not in the source text', code: 'quote_not_in_source' }]);
  t.same(await everything(), before);
  const partial = (await bulk(toNdjson(lines), '?mode=partial')).json();
  t.equal(partial.failed, 1);
  t.equal(partial.created, 999);
});

t.test('an import naming 25,000 distinct sources and claimants stays within the database lock table', async (t) => {
  // Advisory locks live in a shared table of a few thousand entries, held until commit:
  // one per source and claimant named would run out of it ("out of shared memory").
  await api.reset();
  const claim = await makeClaim(api, { text: 'The tunnel costs 2.4 billion' });
  const randomId = () => crypto.randomUUID();
  const lines: Line[] = Array.from({ length: 25_000 }, () => ({ type: 'attribution', data: { claim_id: claim.id, source_id: randomId(), claimant_id: randomId() } }));
  const res = await bulk(toNdjson(lines), '?mode=partial');
  t.equal(res.statusCode, 200, res.body.slice(0, 500));
  const body = res.json();
  t.equal(body.failed, 25_000);
  t.match(body.results[0].errors[0], { path: 'data.claimant_id', message: /^refers to no existing claimant/, code: 'unprocessable' });
});

t.test('every bad line is listed, with its number, path and message', async (t) => {
  await api.reset();
  const existing = await makeSource(api, { url: 'https://news.example/taken' });
  const existingClaim = await makeClaim(api);
  const body = toNdjson([
    /* 1 */ { type: 'source', ref: 's', data: { kind: 'article', title: 'Fine', text: 'The quick brown fox.' } },
    /* 2 */ '{"type": "claim", "data": {"text": "unterminated"',
    /* 3 */ { type: 'claim', data: { text: 'x', verdict: 'false' } },
    /* 4 */ { type: 'planet', data: {} },
    /* 5 */ { type: 'claim', data: { text: 'ok' }, extra: 1 } as unknown as Line,
    /* 6 */ { type: 'attribution', data: { claim_ref: 'nope', source_ref: 's', claimant_label: 'x' } },
    /* 7 */ { type: 'attribution', data: { claim_ref: 's', source_ref: 's', claimant_label: 'x' } },
    /* 8 */ { type: 'source', ref: 's', data: { kind: 'article', title: 'Same ref again' } },
    /* 9 */ { type: 'source', data: { kind: 'article', title: 'Taken url', url: 'https://news.example/taken?utm_medium=x' } },
    /* 10 */ { type: 'claim', ref: 'c', data: { text: 'A claim' } },
    /* 11 */ { type: 'attribution', data: { claim_ref: 'c', source_ref: 's', claimant_label: 'x', quote: 'the slow red fox' } },
    /* 12 */ { type: 'attribution', data: { claim_ref: 'c', source_ref: 's' } },
    /* 13 */ { type: 'review', data: { verdict: 'false' } },
    /* 14 */ { type: 'review', data: { claim_id: '01900000-0000-7000-8000-000000000000', verdict: 'false' } },
    /* 15 */ { type: 'claim', id: existingClaim.id, data: { text: 'Same id' } },
    /* 16 */ { type: 'attribution', data: { claim_ref: 'c', source_id: existing.id, claimant_id: '01900000-0000-7000-8000-000000000001' } },
    /* 17 */ { type: 'claim', data: { text: 'x', attributions: [{ source_ref: 's', claimant_label: 'y', quote: 'not there' }] } },
    /* 18 */ { type: 'source', data: { kind: 'article', title: 'Same url as 19', url: 'https://news.example/twice' } },
    /* 19 */ { type: 'source', data: { kind: 'article', title: 'Same url as 18', url: 'https://news.example/twice#again' } },
    /* 20 */ { type: 'attribution', data: { claim_id: existingClaim.id, claim_ref: 'c', source_ref: 's', claimant_label: 'x' } },
    /* 21 */ '{"type": "claim", "data": {"text": "lone \\ud800 surrogate"}}',
  ]);
  const before = await everything();
  const problem = expectProblem(t, await bulk(body), 422, 'unprocessable');
  const byLine = (line: number) => problem.errors.filter((e: Json) => e.line === line).map((e: Json) => `${e.path}: ${e.message} (${e.code})`);
  t.same(byLine(1), []);
  t.match(byLine(2), [/^: is not valid JSON/]);
  t.same(byLine(3), ['data.verdict: is not a known field (validation_failed)']);
  t.same(byLine(4), ['type: must be one of: source, claimant, claim, attribution, review (validation_failed)']);
  t.same(byLine(5), ['extra: is not a known field (validation_failed)']);
  t.same(byLine(6), ['data.claim_ref: names no earlier line (no line before has ref "nope") and is not an id (unprocessable)']);
  t.same(byLine(7), ['data.claim_ref: names line 1, a source, not a claim (unprocessable)']);
  t.same(byLine(8), ['ref: is already used by line 1 (validation_failed)']);
  t.same(byLine(9), ['data.url: is already used by another source (conflict)']);
  t.same(byLine(11), ['data.quote: is not in the source text (quote_not_in_source)']);
  t.same(byLine(12), ['data: needs claimant_id, claimant_name or claimant_label (validation_failed)']);
  t.same(byLine(13), ['data.claim_id: is required (or claim_ref) (validation_failed)']);
  t.same(byLine(14), ['data.claim_id: refers to no existing claim (01900000-0000-7000-8000-000000000000) (unprocessable)']);
  t.same(byLine(15), ['id: is already the id of an existing claim (conflict)']);
  t.same(byLine(16), ['data.claimant_id: refers to no existing claimant (01900000-0000-7000-8000-000000000001) (unprocessable)']);
  t.same(byLine(17), ['data.attributions[0].quote: is not in the source text (quote_not_in_source)']);
  t.same(byLine(18), []);
  t.same(byLine(19), ['data.url: is also the url of line 18 (conflict)']);
  t.same(byLine(20), ['data.claim_ref: cannot be given together with claim_id (validation_failed)']);
  t.same(byLine(21), ['data.text: is not well-formed Unicode (lone surrogate) (validation_failed)'], 'the checks every JSON body gets');
  t.equal(problem.failed, 18);
  t.equal(problem.lines, 21);
  t.same(await everything(), before, 'nothing was written');

  const partial = (await bulk(body, '?mode=partial')).json();
  t.equal(partial.created, 3, 'lines 1, 10 and 18');
  t.equal(partial.results.find((r: Json) => r.line === 9).existing_id, existing.id, 'a url conflict names the source that has the url');
});

t.test('a bulk line with control characters is refused in the words the single endpoint uses', async (t) => {
  await api.reset();
  const data = { name: 'Ana Lindqvist\u200F', kind: 'person' };
  const single = expectProblem(t, await api.post('/v1/claimants', data), 400, 'validation_failed');
  const problem = expectProblem(t, await bulk(toNdjson([{ type: 'claimant', data }])), 400, 'validation_failed');
  t.same(
    problem.errors.map((e: Json) => e.message),
    single.errors.map((e: Json) => e.message),
  );
  t.same(problem.errors[0], { line: 1, path: 'data.name', message: 'must not contain control characters or bidirectional formatting characters', code: 'validation_failed' });
});

t.test('claimant lines: a wikidata_id held by an existing claimant or by an earlier line is a conflict naming the holder', async (t) => {
  await api.reset();
  const holder = await makeClaimant(api, { name: 'Ana Lindqvist', wikidata_id: 'Q7' });
  const res = await bulk(
    toNdjson([
      /* 1 */ { type: 'claimant', ref: 'a', data: { name: 'Jonas Berg', wikidata_id: 'Q8' } },
      /* 2 */ { type: 'claimant', data: { name: 'J. Berg', wikidata_id: 'Q8' } },
      /* 3 */ { type: 'claimant', data: { name: 'A. Lindqvist', wikidata_id: 'Q7' } },
      /* 4 */ { type: 'claimant', id: holder.id, data: { name: 'Same id' } },
      /* 5 */ { type: 'claimant', data: { name: 'Port Authority' } },
    ]),
    '?mode=partial',
  );
  t.equal(res.statusCode, 200, res.body);
  const body = res.json();
  t.same(body.counts.claimant, 2);
  const [first, second, third, fourth, fifth] = body.results;
  t.equal(first.status, 'created');
  t.same(second.errors, [{ line: 2, path: 'data.wikidata_id', message: 'is also the wikidata_id of line 1', code: 'conflict' }]);
  t.equal(second.existing_id, first.id);
  t.same(third.errors, [{ line: 3, path: 'data.wikidata_id', message: 'is already used by another claimant', code: 'conflict' }]);
  t.equal(third.existing_id, holder.id);
  t.same(fourth.errors, [{ line: 4, path: 'id', message: 'is already the id of an existing claimant', code: 'conflict' }]);
  t.equal(fifth.status, 'created');
  const single = expectProblem(t, await api.post('/v1/claimants', { name: 'Ana L.', wikidata_id: 'Q7' }), 409, 'conflict');
  t.equal(single.detail, 'A claimant with wikidata_id Q7 already exists.');
  t.equal(single.existing_id, holder.id);
  t.same(single.errors, [{ path: 'body.wikidata_id', message: 'is already used by another claimant' }]);
});

t.test('attribution lines by claimant_name report the claimant they resolved to; a line that fails creates none', async (t) => {
  await api.reset();
  const mayor = await makeClaimant(api, { name: 'Ana Lindqvist' });
  const res = await bulk(
    toNdjson([
      /* 1 */ { type: 'source', ref: 's', data: { kind: 'article', title: 'Harbour', text: HARBOUR_TEXT } },
      /* 2 */ { type: 'claim', ref: 'c', data: { text: 'The tunnel costs 2.4 billion' } },
      /* 3 */ { type: 'attribution', data: { claim_ref: 'c', source_ref: 's', claimant_name: 'ana lindqvist' } },
      /* 4 */ { type: 'attribution', data: { claim_ref: 'c', source_ref: 's', claimant_name: 'Jonas  Berg' } },
      /* 5 */ { type: 'attribution', data: { claim_ref: 'c', source_ref: 's', claimant_name: 'Jonas Berg' } },
      /* 6 */ { type: 'attribution', data: { claim_ref: 'c', source_ref: 's', claimant_name: 'Mira Solberg', quote: 'not in the text at all' } },
      /* 7 */ { type: 'attribution', data: { claim_ref: 'c', source_ref: 's', claimant_name: 'Per Holm', claimant_id: mayor.id } },
    ]),
    '?mode=partial',
  );
  t.equal(res.statusCode, 200, res.body);
  const results = res.json().results;
  t.match(results[2], { status: 'created', claimant_id: mayor.id, claimant_created: false });
  t.match(results[3], { status: 'created', claimant_created: true });
  t.match(results[4], { status: 'created', claimant_id: results[3].claimant_id, claimant_created: false }, 'the same new name twice is one claimant');
  t.equal(results[5].status, 'failed');
  t.notOk('claimant_id' in results[5]);
  t.same(results[6].errors, [{ line: 7, path: 'data.claimant_name', message: 'cannot be given together with claimant_id', code: 'validation_failed' }]);
  const jonas = (await api.get(`/v1/claimants/${results[3].claimant_id}`)).json();
  t.equal(jonas.name, 'Jonas Berg', 'spaces tidied');
  t.equal((await api.get(`/v1/attributions/${results[3].id}`)).json().claimant_id, jonas.id);
  const names = (await api.get('/v1/claimants?limit=10')).json().data.map((c: Json) => c.name).sort();
  t.same(names, ['Ana Lindqvist', 'Jonas Berg'], 'the failed line created no Mira Solberg');
  const log = (await eventsOf(api)).filter((e) => e.type === 'claimant.created').map((e) => e.entity_id);
  t.same(log, [mayor.id, jonas.id]);
});

t.test('a window naming 450 distinct existing claimants resolves each name to its own claimant', async (t) => {
  await api.reset();
  // Names built from syllables, so no two are alike; each exists, so each must match itself exactly.
  const syllables = ['ba', 'ke', 'li', 'mo', 'nu', 'ra', 'se', 'ti', 'vo', 'zu', 'da', 'fe', 'gi', 'ho', 'ju', 'pa', 'we', 'xi', 'yo', 'cu'];
  const word = (n: number) => [n % 20, Math.floor(n / 20) % 20, Math.floor(n / 400) % 20].map((k) => syllables[k]).join('');
  const names = Array.from({ length: 450 }, (_, i) => `${word(i * 7 + 11)} ${word(i * 13 + 5)}`.replace(/\b\w/g, (c) => c.toUpperCase()));
  t.equal(new Set(names).size, 450);
  const made = await bulk(toNdjson(names.map((name, i) => ({ type: 'claimant', ref: `p${i}`, data: { name } }))));
  t.equal(made.statusCode, 200, made.body.slice(0, 300));
  const idOf = new Map<string, string>(made.json().results.map((r: Json, i: number) => [names[i], r.id]));
  const claim = await makeClaim(api, { text: 'The tunnel costs 2.4 billion' });
  const source = await makeSource(api, { title: 'Harbour' });
  const res = await bulk(toNdjson(names.map((name) => ({ type: 'attribution', data: { claim_id: claim.id, source_id: source.id, claimant_name: name } }))));
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  const results = res.json().results as Json[];
  const wrong = results.flatMap((r, i) => (r.claimant_id === idOf.get(names[i]) && r.claimant_created === false ? [] : [[names[i], r.claimant_id, r.claimant_created]]));
  t.same(wrong, [], 'every name matched its own claimant, none created');
});

t.test('new names in one window: each person gets a claimant of their own, and a repeated name reuses it', async (t) => {
  await api.reset();
  const claim = await makeClaim(api, { text: 'The tunnel costs 2.4 billion' });
  const source = await makeSource(api, { title: 'Harbour' });
  // None of these exist yet, so each is resolved against the others of the window only.
  const names = ['Jonas Berg', 'Mira Solberg', 'jonas berg', 'Per Holm'];
  const res = await bulk(toNdjson(names.map((name) => ({ type: 'attribution', data: { claim_id: claim.id, source_id: source.id, claimant_name: name } }))));
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  const ids = (res.json().results as Json[]).map((r) => r.claimant_id);
  t.equal(new Set(ids).size, 3, 'three people, three claimants');
  t.equal(ids[2], ids[0], 'the same name again is the same claimant');
  const made = await Promise.all([ids[0], ids[1], ids[3]].map(async (id) => (await api.get(`/v1/claimants/${id}`)).json().name));
  t.same(made, ['Jonas Berg', 'Mira Solberg', 'Per Holm']);
});

t.test('a line that fails in its savepoint leaves neither rows nor events: the claimant its claimant_name created goes with it', async (t) => {
  await api.reset();
  const before = await everything();
  const res = await bulk(
    toNdjson([
      /* 1 */ { type: 'source', ref: 's', data: { kind: 'article', title: 'Harbour', text: HARBOUR_TEXT } },
      /* 2 */ { type: 'claim', data: { text: 'Fails', attributions: [{ source_ref: 's', claimant_name: 'Nora Vik' }, { source_ref: 's', claimant_label: 'x', quote: 'not in the text' }] } },
      /* 3 */ { type: 'claim', data: { text: 'Written', attributions: [{ source_ref: 's', claimant_name: 'Ola Dahl' }] } },
    ]),
    '?mode=partial',
  );
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json().results.map((r: Json) => r.status), ['created', 'failed', 'created']);
  const after = await everything();
  t.same(after, { ...before, sources: before.sources + 1, claims: before.claims + 1, claimants: before.claimants + 1, attributions: before.attributions + 1, events: before.events + 4 });
  t.same((await eventsOf(api)).map((e) => e.type), ['source.created', 'claim.created', 'claimant.created', 'attribution.created']);
});

t.test('lines may name existing rows by id, and create rows with a given id', async (t) => {
  await api.reset();
  const source = await makeSource(api);
  const claim = await makeClaim(api);
  const res = await bulk(
    toNdjson([
      { type: 'claimant', id: '01900000-0000-7000-8000-0000000000aa', data: { name: 'Given Id' } },
      { type: 'attribution', data: { claim_ref: claim.id, source_id: source.id, claimant_ref: '01900000-0000-7000-8000-0000000000aa', quote: 'wishful thinking' } },
    ]),
  );
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().results[0].id, '01900000-0000-7000-8000-0000000000aa');
  const a = (await api.get(`/v1/attributions/${res.json().results[1].id}`)).json();
  t.equal(a.claimant_id, '01900000-0000-7000-8000-0000000000aa');
  t.equal(a.selector.exact, 'wishful thinking');
  t.equal((await api.get(`/v1/claims/${claim.id}`)).json().attribution_count, 1, 'derived fields follow');
});

t.test('bodies: NDJSON or JSONL, CRLF, a byte-order mark, blank lines, gzip; anything else is refused', async (t) => {
  await api.reset();
  const text = '\ufeff{"type":"claim","data":{"text":"one"}}\r\n\r\n  \n{"type":"claim","data":{"text":"two"}}';
  const res = await bulk(text);
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json().results.map((r: Json) => r.line), [1, 4], 'line numbers count blank lines');
  t.equal((await bulk(text, '', { 'content-type': 'application/jsonl' })).statusCode, 200);
  const zipped = await bulk(gzipSync(Buffer.from(toNdjson([{ type: 'claim', data: { text: 'zipped' } }]))), '', { 'content-encoding': 'gzip' });
  t.equal(zipped.statusCode, 200, zipped.body);
  t.equal(await countOf(api, '/v1/claims'), 5);

  expectProblem(t, await api.post('/v1/bulk', [{ type: 'claim', data: { text: 'json' } }]), 415, 'unsupported_media_type');
  expectProblem(t, await bulk('{"type":"claim","data":{"text":"x"}}', '', { 'content-type': 'text/csv' }), 415, 'unsupported_media_type');
  expectProblem(t, await bulk('{}', '', { 'content-encoding': 'br' }), 415, 'unsupported_media_type');
  expectProblem(t, await bulk('garbage', '', { 'content-encoding': 'gzip' }), 400, 'validation_failed');
  expectProblem(t, await bulk('\n\n'), 400, 'validation_failed');
  t.same(expectProblem(t, await bulk('{}', '?mode=sometimes'), 400, 'validation_failed').errors, [{ path: 'query.mode', message: 'must be one of: atomic, partial' }]);
  const huge = expectProblem(t, await bulk(`{"type":"claim","data":{"text":"${'x'.repeat(9 * 1024 * 1024)}"}}\n{"type":"claim","data":{"text":"fine"}}`), 400, 'validation_failed');
  t.same(huge.errors, [{ line: 1, path: '', message: `is longer than ${8 * 1024 * 1024} bytes`, code: 'malformed_json' }]);
  const binary = expectProblem(t, await bulk(Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a])), 400, 'validation_failed');
  t.same(binary.errors, [{ line: 1, path: '', message: 'is not valid UTF-8', code: 'malformed_json' }]);
  t.equal(await countOf(api, '/v1/claims'), 5);
});

t.test('a line the batched insert cannot take is isolated: its neighbours are written, it is reported', async (t) => {
  await api.reset();
  // PostgreSQL text cannot hold NUL; JSON can. The batch fails, the lines go one by one.
  const lines: Line[] = [
    { type: 'source', data: { kind: 'article', title: 'one', text: 'first text' } },
    { type: 'source', data: { kind: 'article', title: 'two', text: 'nul \u0000 inside' } },
    { type: 'source', data: { kind: 'article', title: 'three' } },
  ];
  const res = await bulk(toNdjson(lines), '?mode=partial');
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json().results.map((r: Json) => r.status), ['created', 'failed', 'created']);
  t.equal(res.json().results[1].errors[0].code, 'validation_failed');
  t.equal(await countOf(api, '/v1/sources'), 2);
  t.same((await eventsOf(api)).map((e) => e.type), ['source.created', 'source.created']);
});

t.test('a body that breaks off midway writes nothing, even with windows already sent to the database', async (t) => {
  await api.reset();
  // Windows close at SET_ROWS attributions (tested below), so some go to the database before the body breaks off.
  const lines = newsroomLines(6 * SET_ROWS, 'broken').map((l) => `${JSON.stringify(l)}\n`);
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent < 5 * SET_ROWS) this.push(lines[sent++]);
      else this.destroy(new Error('connection reset by peer'));
    },
  });
  // The client side of inject sees its own stream fail; the server's handler rolls back.
  const outcome = await bulk(body, '?mode=partial').then(
    (res) => `answered ${res.statusCode}`,
    (err: Error) => err.message,
  );
  t.ok(outcome, outcome);
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.same(await everything(), { sources: 0, claimants: 0, claims: 0, attributions: 0, reviews: 0, events: 0 }, 'nothing, not even the windows already written');
  const later = await bulk(toNdjson(newsroomLines(10, 'after')));
  t.equal(later.statusCode, 200, 'and the next request goes through');
});

t.test('a window closes at SET_ROWS lines of one type, not before: a claim named across windows is refreshed once a window', async (t) => {
  await api.reset();
  const import_ = async (attributions: number, otherClaims: number) => {
    const lines: Line[] = [
      { type: 'source', ref: 's', data: { kind: 'article', url: `https://news.example/windows/${attributions}/${otherClaims}`, title: 'Windows' } },
      { type: 'claim', ref: 'c', data: { text: `The ferry carried ${attributions} cars`, language: 'en' } },
      ...Array.from({ length: attributions }, (): Line => ({ type: 'attribution', data: { claim_ref: 'c', source_ref: 's', claimant_label: 'a harbour official' } })),
      ...Array.from({ length: otherClaims }, (_, i): Line => ({ type: 'claim', data: { text: `Other claim ${attributions} ${i}`, language: 'en' } })),
    ];
    const res = await bulk(toNdjson(lines));
    t.equal(res.statusCode, 200, res.statusCode === 200 ? 'imported' : res.body.slice(0, 500));
    const id = res.json().results[1].id as string;
    return (await eventsOf(api, id)).filter((e) => e.type === 'claim.updated').map((e) => (e.after as Json).attribution_count);
  };
  t.same(await import_(SET_ROWS + SET_ROWS / 2, 0), [SET_ROWS, SET_ROWS + SET_ROWS / 2], 'the first window closes at its thousandth attribution; the rest is the second');
  t.same(await import_(SET_ROWS - 1, SET_ROWS - 1), [SET_ROWS - 1], 'lines of other types do not close it: one window, one refresh');
});

t.test('an Idempotency-Key is refused on a streamed import (it cannot be fingerprinted); line ids make retries safe', async (t) => {
  await api.reset();
  const body = toNdjson([{ type: 'claim', data: { text: 'once' } }]);
  const refused = await bulk(body, '', { 'idempotency-key': 'bulk-1' });
  t.equal(refused.statusCode, 400);
  t.equal(refused.json().code, 'validation_failed');
  t.equal(await countOf(api, '/v1/claims'), 0);
});

t.test('bulk needs a write key', async (t) => {
  await api.reset();
  const res = await bulk('{"type":"claim","data":{"text":"x"}}', '', { authorization: null as unknown as string });
  t.equal(res.statusCode, 401);
});

t.test('bulk anchors quotes with elisions as the single endpoint does, on both paths, and names the part not found', async (t) => {
  await api.reset();
  const elided = 'The harbour tunnel will cost 2.4 billion euros … Mayor Ana Lindqvist said';
  const source = await makeSource(api);
  const claim = await makeClaim(api);
  const single = (await api.post('/v1/attributions', { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: elided })).json();
  t.same(single.parts.map((p: Json) => p.exact), ['The harbour tunnel will cost 2.4 billion euros', 'Mayor Ana Lindqvist said']);

  const lines: Line[] = [
    // Batched: a claimant by label.
    { type: 'attribution', ref: 'batched', data: { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: elided } },
    // One by one: a claim with its attributions inline.
    { type: 'claim', ref: 'inline', data: { text: 'The tunnel costs 2.4 billion', attributions: [{ source_id: source.id, claimant_label: 'the mayor', quote: elided }] } },
  ];
  const res = await bulk(toNdjson(lines));
  t.equal(res.statusCode, 200, res.body);
  const id = (ref: string) => res.json().results.find((r: Json) => r.ref === ref).id;
  const batched = (await api.get(`/v1/attributions/${id('batched')}`)).json();
  t.same(batched.parts, single.parts, 'batched path');
  t.same(batched.selector, single.selector);
  const inline = (await api.get(`/v1/claims/${id('inline')}?include=attributions`)).json().attributions[0];
  t.same(inline.parts, single.parts, 'single path');
  const [event] = await eventsOf(api, id('batched'));
  t.same(event.after.parts, single.parts, 'the event of a batched line carries the parts');

  const bad = 'The harbour tunnel will cost … not a penny more';
  const problem = expectProblem(
    t,
    await bulk(
      toNdjson([
        { type: 'attribution', data: { claim_id: claim.id, source_id: source.id, claimant_label: 'x', quote: bad } },
        { type: 'claim', data: { text: 'x', attributions: [{ source_id: source.id, claimant_label: 'y', quote: bad }] } },
      ]),
    ),
    422,
    'unprocessable',
  );
  const message = 'part 2 of 2 ("not a penny more") is not in the source text';
  t.same(
    problem.errors.map((e: Json) => [e.line, e.path, e.message, e.code]),
    [
      [1, 'data.quote', message, 'quote_not_in_source'],
      [2, 'data.attributions[0].quote', message, 'quote_not_in_source'],
    ],
  );
});
