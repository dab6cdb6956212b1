import t from 'tap';
import { buildTestApp } from '../helper.js';
import {
  HARBOUR_TEXT,
  countAll,
  countOf,
  eventLog,
  eventsOf,
  expectProblem,
  idsOf,
  makeAttribution,
  makeClaim,
  makeClaimant,
  makeSource,
  qs,
  type Json,
} from '../factories.js';

const api = await buildTestApp(t);

const MAYOR_QUOTE = '"The harbour tunnel will cost 2.4 billion euros - not a cent more,"';

t.test('creating a claim without attributions gives version 1, no derived values and a claim.created event', async (t) => {
  await api.reset();
  const res = await api.post('/v1/claims', { text: 'The harbour tunnel will cost 2.4 billion euros', language: 'en', topics: ['infrastructure', 'budget'] });
  t.equal(res.statusCode, 201);
  const claim = res.json();
  t.equal(res.headers.location, `/v1/claims/${claim.id}`);
  t.equal(claim.text, 'The harbour tunnel will cost 2.4 billion euros');
  t.equal(claim.language, 'en');
  t.same(claim.topics, ['infrastructure', 'budget']);
  t.equal(claim.status, 'unreviewed');
  t.equal(claim.verdict, null);
  t.equal(claim.first_seen_at, null);
  t.equal(claim.attribution_count, 0);
  t.equal(claim.review_count, 0);
  t.equal(claim.version, 1);
  const read = (await api.get(`/v1/claims/${claim.id}`)).json();
  t.same(read, Object.fromEntries(Object.entries(claim).filter(([k]) => k !== 'attributions')), 'GET answers what POST did');
  t.same(await eventLog(api), [['claim.created', claim.id]]);
  const created = (await eventsOf(api, claim.id))[0];
  t.equal(created.after.text, claim.text);
  t.same(Object.keys(created.after).sort(), Object.keys(read).sort(), 'the event holds the claim as the API shows it, no internal columns');
});

t.test('creating a claim refuses bad bodies with 400 and writes nothing', async (t) => {
  await api.reset();
  const source = await makeSource(api);
  const cases: [unknown, string][] = [
    [{}, 'body.text'],
    [{ text: '' }, 'body.text'],
    [{ text: 'x'.repeat(2001) }, 'body.text'],
    [{ text: 'A claim', status: 'reviewed' }, 'body.status'],
    [{ text: 'A claim', verdict: 'false' }, 'body.verdict'],
    [{ text: 'A claim', attribution_count: 3 }, 'body.attribution_count'],
    [{ text: 'A claim', language: 'english please' }, 'body.language'],
    [{ text: 'A claim', attributions: [{ source_id: source.id, claimant_label: 'x', mood: 'angry' }] }, 'body.attributions[0].mood'],
    [{ text: 'A claim', attributions: [{ source_id: 'nope', claimant_label: 'x' }] }, 'body.attributions[0].source_id'],
  ];
  for (const [body, path] of cases) {
    const problem = expectProblem(t, await api.post('/v1/claims', body), 400, 'validation_failed');
    t.ok(problem.errors.some((e: { path: string }) => e.path === path), `names ${path}: ${JSON.stringify(problem.errors)}`);
  }
  t.equal((await api.post('/v1/claims', { text: 'x'.repeat(2000) })).statusCode, 201, '2000 characters are fine');
  t.equal(await countOf(api, '/v1/claims'), 1);
});

t.test('inline attributions name claimants by id, by an alias ignoring case and accents, by a new name, or by a label', async (t) => {
  await api.reset();
  const source = await makeSource(api, { published_at: '2026-03-03T09:00:00Z' });
  const port = await makeClaimant(api, { name: 'Port Authority', kind: 'organization' });
  const mayor = await makeClaimant(api, { name: 'Ana Lindqvist', aliases: ['Mayor Lindqvist', 'Borgmästare Lindqvist'] });
  const before = await countAll(api);

  const res = await api.post('/v1/claims', {
    text: 'The harbour tunnel will cost 2.4 billion euros',
    language: 'en',
    attributions: [
      { source_id: source.id, claimant_id: port.id, kind: 'reported', quote: '12,000 jobs over ten years' },
      { source_id: source.id, claimant_name: 'BORGMASTARE lindqvist', quote: MAYOR_QUOTE, said_at: '2026-03-02T19:30:00Z' },
      { source_id: source.id, claimant_name: 'Jonas  Berg', kind: 'paraphrase', stance: 'denies', quote: "'wishful thinking'" },
      { source_id: source.id, claimant_name: 'jonas berg', kind: 'paraphrase', stance: 'questions' },
      { source_id: source.id, claimant_label: 'a senior council official', kind: 'other', stance: 'reports' },
    ],
  });
  t.equal(res.statusCode, 201);
  const claim = res.json();
  t.equal(claim.version, 1, 'a claim created with its attributions is version 1');
  t.equal(claim.attribution_count, 5);
  t.equal(claim.first_seen_at, '2026-03-02T19:30:00.000Z', 'the earliest said_at');
  t.equal(claim.attributions.length, 5, 'the response embeds the created attributions');
  const [byId, byAlias, byNewName, bySameNewName, byLabel] = claim.attributions;
  t.equal(byId.claimant_id, port.id);
  t.equal(byAlias.claimant_id, mayor.id, 'the alias found the mayor');
  t.equal(byAlias.selector.exact, '“The harbour tunnel will cost 2.4 billion euros — not a cent more,”');
  t.equal(byAlias.said_at, '2026-03-02T19:30:00.000Z');
  t.type(byNewName.claimant_id, 'string');
  t.not(byNewName.claimant_id, port.id);
  t.not(byNewName.claimant_id, mayor.id);
  t.equal(bySameNewName.claimant_id, byNewName.claimant_id, 'the same new name twice is one claimant');
  t.equal(byLabel.claimant_id, null);
  t.equal(byLabel.claimant_label, 'a senior council official');
  t.equal(byLabel.anchored, false);
  for (const a of claim.attributions) t.equal(a.claim_id, claim.id);

  const created = (await api.get(`/v1/claimants/${byNewName.claimant_id}`)).json();
  t.equal(created.name, 'Jonas Berg', 'the new claimant’s name, with spaces tidied');
  t.equal(created.kind, 'unknown');
  t.same(await countAll(api), { ...before, claimants: before.claimants + 1, claims: 1, attributions: 5 });

  const read = (await api.get(`/v1/claims/${claim.id}`)).json();
  t.equal(read.version, 1);
  t.equal(read.attribution_count, 5);
  t.equal(read.first_seen_at, '2026-03-02T19:30:00.000Z');

  const ids = claim.attributions.map((a: Json) => a.id);
  t.same(await eventLog(api).then((log) => log.slice(-7)), [
    ['claim.created', claim.id],
    ['attribution.created', ids[0]],
    ['attribution.created', ids[1]],
    ['claimant.created', created.id],
    ['attribution.created', ids[2]],
    ['attribution.created', ids[3]],
    ['attribution.created', ids[4]],
  ]);
  const claimCreated = (await eventsOf(api, claim.id))[0];
  t.equal(claimCreated.after.attribution_count, 5, 'claim.created logs the claim as committed');
  t.equal(claimCreated.after.version, 1);
});

t.test('one bad inline attribution (quote not in its source) refuses the whole claim and writes nothing', async (t) => {
  await api.reset();
  const source = await makeSource(api);
  const mayor = await makeClaimant(api, { name: 'Ana Lindqvist' });
  const before = await countAll(api);
  const eventsBefore = await eventLog(api);

  const problem = expectProblem(
    t,
    await api.post('/v1/claims', {
      text: 'The harbour tunnel will cost 2.4 billion euros',
      attributions: [
        { source_id: source.id, claimant_name: 'Someone Entirely New', quote: 'not a cent more' },
        { source_id: source.id, claimant_id: mayor.id, quote: 'the tunnel will open in 2029' },
      ],
    }),
    422,
    'quote_not_in_source',
  );
  t.equal(problem.errors.length, 1);
  t.equal(problem.errors[0].path, 'body.attributions[1].quote');
  t.same(await countAll(api), before, 'no claim, no claimant, no attribution');
  t.same(idsOf(await api.get(`/v1/claimants?${qs({ name: 'Someone Entirely New' })}`)), [], 'the claimant named inline was not created');
  t.same(await eventLog(api), eventsBefore, 'no event');
});

t.test('an inline attribution with an unknown source or claimant is 422 and writes nothing', async (t) => {
  await api.reset();
  const source = await makeSource(api);
  const before = await countAll(api);
  const eventsBefore = await eventLog(api);
  const unknown = '0190a5b0-0000-7000-8000-00000000abcd';

  let problem = expectProblem(
    t,
    await api.post('/v1/claims', {
      text: 'A claim',
      attributions: [
        { source_id: source.id, claimant_name: 'A New Person', quote: 'not a cent more' },
        { source_id: unknown, claimant_label: 'someone' },
      ],
    }),
    422,
    'unprocessable',
  );
  t.equal(problem.errors[0].path, 'body.attributions[1].source_id');

  problem = expectProblem(
    t,
    await api.post('/v1/claims', { text: 'A claim', attributions: [{ source_id: source.id, claimant_id: unknown }] }),
    422,
    'unprocessable',
  );
  t.equal(problem.errors[0].path, 'body.attributions[0].claimant_id');

  problem = expectProblem(t, await api.post('/v1/claims', { text: 'A claim', attributions: [{ source_id: source.id }] }), 400, 'validation_failed');
  t.equal(problem.errors[0].path, 'body.attributions[0]');

  problem = expectProblem(
    t,
    await api.post('/v1/claims', { text: 'A claim', attributions: [{ source_id: source.id, claimant_id: unknown, claimant_name: 'Ana' }] }),
    400,
    'validation_failed',
  );
  t.equal(problem.errors[0].path, 'body.attributions[0].claimant_name');

  t.same(await countAll(api), before);
  t.same(await eventLog(api), eventsBefore);
});

t.test('attribution_count and first_seen_at are right after every attribution write, and each change adds 1 to version', async (t) => {
  await api.reset();
  const march3 = await makeSource(api, { published_at: '2026-03-03T09:00:00Z' });
  const march1 = await makeSource(api, { published_at: '2026-03-01T09:00:00Z' });
  const undated = await makeSource(api, { published_at: null });
  const claimant = await makeClaimant(api);
  const claim = await makeClaim(api);
  const other = await makeClaim(api);
  const state = async (id: string) => {
    const c = (await api.get(`/v1/claims/${id}`)).json();
    return { count: c.attribution_count, seen: c.first_seen_at, version: c.version };
  };
  t.same(await state(claim.id), { count: 0, seen: null, version: 1 });

  const inUndated = await makeAttribution(api, { claim_id: claim.id, source_id: undated.id, claimant_id: claimant.id });
  t.same(await state(claim.id), { count: 1, seen: null, version: 2 }, 'a source without published_at gives no first_seen_at');

  const a1 = await makeAttribution(api, { claim_id: claim.id, source_id: march3.id, claimant_id: claimant.id, quote: 'not a cent more' });
  t.same(await state(claim.id), { count: 2, seen: '2026-03-03T09:00:00.000Z', version: 3 });

  const a2 = await makeAttribution(api, { claim_id: claim.id, source_id: march1.id, claimant_id: claimant.id, quote: 'wishful thinking' });
  t.same(await state(claim.id), { count: 3, seen: '2026-03-01T09:00:00.000Z', version: 4 }, 'the earliest published_at');

  let res = await api.patch(`/v1/attributions/${a1.id}`, { said_at: '2026-03-05T12:00:00Z' });
  t.equal(res.statusCode, 200);
  t.same(await state(claim.id), { count: 3, seen: '2026-03-05T12:00:00.000Z', version: 5 }, 'a said_at wins over every published_at');

  res = await api.patch(`/v1/attributions/${a2.id}`, { said_at: '2026-03-04T08:00:00Z' });
  t.same(await state(claim.id), { count: 3, seen: '2026-03-04T08:00:00.000Z', version: 6 }, 'the earliest said_at');

  res = await api.patch(`/v1/attributions/${a2.id}`, { said_at: '2026-03-04T08:00:00.000Z' });
  t.same(await state(claim.id), { count: 3, seen: '2026-03-04T08:00:00.000Z', version: 6 }, 'the same said_at again changes nothing');

  res = await api.patch(`/v1/attributions/${a2.id}`, { said_at: null });
  t.same(await state(claim.id), { count: 3, seen: '2026-03-05T12:00:00.000Z', version: 7 });

  t.equal((await api.del(`/v1/attributions/${a1.id}`)).statusCode, 204);
  t.same(await state(claim.id), { count: 2, seen: '2026-03-01T09:00:00.000Z', version: 8 }, 'no said_at left: back to published_at');

  res = await api.patch(`/v1/attributions/${a2.id}`, { claim_id: other.id });
  t.equal(res.statusCode, 200);
  t.equal(res.json().claim_id, other.id);
  t.same(await state(claim.id), { count: 1, seen: null, version: 9 }, 'the claim it left');
  t.same(await state(other.id), { count: 1, seen: '2026-03-01T09:00:00.000Z', version: 2 }, 'the claim it joined');

  t.equal((await api.del(`/v1/attributions/${inUndated.id}`)).statusCode, 204);
  t.same(await state(claim.id), { count: 0, seen: null, version: 10 });

  const claimEvents = await eventsOf(api, claim.id);
  t.equal(claimEvents.length, 10, 'claim.created and one claim.updated per derived change');
  t.same(claimEvents.slice(1).map((e) => e.type), Array(9).fill('claim.updated'));
  t.same(claimEvents[3].before, { attribution_count: 2, first_seen_at: '2026-03-03T09:00:00.000Z' });
  t.same(claimEvents[3].after, { attribution_count: 3, first_seen_at: '2026-03-01T09:00:00.000Z' });
  t.same(claimEvents[4].after, { first_seen_at: '2026-03-05T12:00:00.000Z' });
});

t.test('the list filters by status, claimant, source, topic, language, first_seen_at range and has_review', async (t) => {
  await api.reset();
  const early = await makeSource(api, { published_at: '2026-01-10T00:00:00Z' });
  const late = await makeSource(api, { published_at: '2026-03-10T00:00:00Z' });
  const mayor = await makeClaimant(api);
  const port = await makeClaimant(api);
  const a = await makeClaim(api, { language: 'en', topics: ['budget', 'transport'], attributions: [{ source_id: early.id, claimant_id: mayor.id }] });
  const b = await makeClaim(api, {
    language: 'sv',
    topics: ['transport'],
    status: 'in_review',
    attributions: [
      { source_id: late.id, claimant_id: port.id },
      { source_id: late.id, claimant_id: mayor.id, kind: 'paraphrase' },
    ],
  });
  const c = await makeClaim(api, { language: 'en', topics: [] });
  const list = async (params: Record<string, string | boolean>) => {
    const res = await api.get(`/v1/claims?${qs(params)}`);
    t.equal(res.statusCode, 200, JSON.stringify(params));
    return idsOf(res).sort();
  };
  const sorted = (...ids: string[]) => ids.sort();
  t.same(await list({}), sorted(a.id, b.id, c.id));
  t.same(await list({ status: 'in_review' }), [b.id]);
  t.same(await list({ status: 'unreviewed' }), sorted(a.id, c.id));
  t.same(await list({ status: 'reviewed' }), []);
  t.same(await list({ claimant_id: mayor.id }), sorted(a.id, b.id), 'a claim with two attributions by others appears once');
  t.same(await list({ claimant_id: port.id }), [b.id]);
  t.same(await list({ source_id: late.id }), [b.id]);
  t.same(await list({ topic: 'transport' }), sorted(a.id, b.id));
  t.same(await list({ topic: 'budget' }), [a.id]);
  t.same(await list({ topic: 'Budget' }), [], 'topics match exactly');
  t.same(await list({ language: 'sv' }), [b.id]);
  t.same(await list({ seen_from: '2026-02-01T00:00:00Z' }), [b.id]);
  t.same(await list({ seen_to: '2026-02-01T00:00:00Z' }), [a.id], 'claims never seen have no first_seen_at and match no range');
  t.same(await list({ seen_from: '2026-01-10T00:00:00Z', seen_to: '2026-03-10T00:00:00Z' }), [a.id], 'seen_from inclusive, seen_to exclusive');
  t.same(await list({ has_review: false }), sorted(a.id, b.id, c.id));
  t.same(await list({ has_review: true }), []);
  t.same(await list({ language: 'en', claimant_id: mayor.id }), [a.id], 'filters combine');
  t.equal((await api.get('/v1/claims?count=true&topic=transport')).json().total, 2);
  expectProblem(t, await api.get('/v1/claims?status=done'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/claims?claimant_id=17'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/claims?has_review=maybe'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/claims?limit=0'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/claims?limit=201'), 400, 'validation_failed');
});

t.test('include embeds attributions, claimants, sources and reviews on GET and on lists', async (t) => {
  await api.reset();
  const s1 = await makeSource(api, { published_at: '2026-03-03T09:00:00Z' });
  const s2 = await makeSource(api, { published_at: '2026-03-04T09:00:00Z' });
  const mayor = await makeClaimant(api, { name: 'Ana Lindqvist' });
  const port = await makeClaimant(api, { name: 'Port Authority' });
  const two = await makeClaim(api, {
    attributions: [
      { source_id: s1.id, claimant_id: mayor.id, quote: 'not a cent more' },
      { source_id: s2.id, claimant_id: mayor.id, quote: 'not a cent more' },
      { source_id: s2.id, claimant_id: port.id, quote: '12,000 jobs' },
      { source_id: s2.id, claimant_label: 'an unnamed official' },
    ],
  });
  const none = await makeClaim(api);

  const res = await api.get(`/v1/claims/${two.id}?include=attributions,claimants,sources,reviews`);
  t.equal(res.statusCode, 200);
  const claim = res.json();
  t.equal(claim.attributions.length, claim.attribution_count);
  t.same(claim.attributions.map((a: Json) => a.id), two.attributions.map((a: Json) => a.id), 'oldest first');
  t.same(claim.claimants.map((c: Json) => c.id), [mayor.id, port.id], 'each claimant once, by name');
  t.same(claim.sources.map((s: Json) => s.id).sort(), [s1.id, s2.id].sort(), 'each source once');
  for (const s of claim.sources) {
    t.notOk('text' in s, 'embedded sources have no text');
    t.equal(s.text_length, HARBOUR_TEXT.length);
  }
  t.same(claim.reviews, []);

  const plain = (await api.get(`/v1/claims/${two.id}`)).json();
  for (const key of ['attributions', 'claimants', 'sources', 'reviews']) t.notOk(key in plain, `no ${key} without include`);
  const onlyClaimants = (await api.get(`/v1/claims/${two.id}?include=claimants`)).json();
  t.equal(onlyClaimants.claimants.length, 2);
  t.notOk('attributions' in onlyClaimants);

  const page = (await api.get('/v1/claims?include=attributions,claimants,sources,reviews&sort=created_at')).json();
  t.same(page.data.map((c: Json) => c.id), [two.id, none.id]);
  for (const c of page.data) {
    t.equal(c.attributions.length, c.attribution_count, 'embedded count matches attribution_count');
    t.same(c.reviews, []);
  }
  t.equal(page.data[0].claimants.length, 2);
  t.equal(page.data[0].sources.length, 2);
  t.same(page.data[1].attributions, []);
  t.same(page.data[1].claimants, []);
  t.same(page.data[1].sources, []);

  expectProblem(t, await api.get(`/v1/claims/${two.id}?include=everything`), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/claims?include=attributions,secrets'), 400, 'validation_failed');
});

t.test('DELETE deletes the claim with its attributions and logs attribution.deleted then claim.deleted', async (t) => {
  await api.reset();
  const source = await makeSource(api);
  const claimant = await makeClaimant(api);
  const claim = await makeClaim(api, {
    attributions: [
      { source_id: source.id, claimant_id: claimant.id, quote: 'not a cent more' },
      { source_id: source.id, claimant_label: 'a spokesperson' },
    ],
  });
  const kept = await makeClaim(api, { attributions: [{ source_id: source.id, claimant_id: claimant.id }] });
  const eventsBefore = (await eventsOf(api)).length;

  const res = await api.del(`/v1/claims/${claim.id}`);
  t.equal(res.statusCode, 204);
  expectProblem(t, await api.get(`/v1/claims/${claim.id}`), 404, 'not_found');
  for (const a of claim.attributions) expectProblem(t, await api.get(`/v1/attributions/${a.id}`), 404, 'not_found');
  t.equal((await api.get(`/v1/attributions/${kept.attributions[0].id}`)).statusCode, 200, 'other claims keep theirs');
  t.equal((await api.get(`/v1/sources/${source.id}`)).statusCode, 200, 'the source stays');
  t.equal((await api.get(`/v1/claimants/${claimant.id}`)).statusCode, 200, 'the claimant stays');
  t.equal(await countOf(api, '/v1/attributions'), 1);

  const logged = (await eventsOf(api)).slice(eventsBefore);
  t.same(logged.map((e) => [e.type, e.entity_id]), [
    ['attribution.deleted', claim.attributions[0].id],
    ['attribution.deleted', claim.attributions[1].id],
    ['claim.deleted', claim.id],
  ]);
  t.equal(logged[2].before.text, claim.text);
  t.equal(logged[2].after, null);
  t.equal(logged[0].before.claim_id, claim.id);

  expectProblem(t, await api.del(`/v1/claims/${claim.id}`), 404, 'not_found');
  expectProblem(t, await api.del('/v1/claims/not-an-id'), 400, 'validation_failed');
});

t.test('PATCH sets status in_review, text, topics and language; reviewed is refused with 400; unchanged keeps the version', async (t) => {
  await api.reset();
  const claim = await makeClaim(api, { text: 'The tunnel costs 2.4 billion euros', topics: ['budget'] });
  let res = await api.patch(`/v1/claims/${claim.id}`, { status: 'in_review' });
  t.equal(res.statusCode, 200);
  t.equal(res.json().status, 'in_review');
  t.equal(res.json().version, 2);
  t.same(idsOf(await api.get('/v1/claims?status=in_review')), [claim.id]);

  const refused = expectProblem(t, await api.patch(`/v1/claims/${claim.id}`, { status: 'reviewed' }), 400, 'validation_failed');
  t.equal(refused.errors[0].path, 'body.status');
  expectProblem(t, await api.patch(`/v1/claims/${claim.id}`, { verdict: 'false' }), 400, 'validation_failed');
  expectProblem(t, await api.patch(`/v1/claims/${claim.id}`, { first_seen_at: '2020-01-01T00:00:00Z' }), 400, 'validation_failed');
  expectProblem(t, await api.patch(`/v1/claims/${claim.id}`, { text: '' }), 400, 'validation_failed');
  t.equal((await api.get(`/v1/claims/${claim.id}`)).json().status, 'in_review');

  res = await api.patch(`/v1/claims/${claim.id}`, { status: 'in_review', topics: ['budget'] });
  t.equal(res.json().version, 2, 'an unchanged PATCH keeps the version');

  res = await api.patch(`/v1/claims/${claim.id}`, { text: 'The harbour tunnel costs 2.4 billion euros', language: null, topics: ['budget', 'harbour'] });
  t.equal(res.statusCode, 200);
  t.equal(res.json().text, 'The harbour tunnel costs 2.4 billion euros');
  t.equal(res.json().language, null);
  t.same(res.json().topics, ['budget', 'harbour']);
  t.equal(res.json().version, 3);

  const events = await eventsOf(api, claim.id);
  t.same(events.map((e) => e.type), ['claim.created', 'claim.updated', 'claim.updated']);
  t.same(events[1].before, { status: 'unreviewed' });
  t.same(events[1].after, { status: 'in_review' });
  t.same(events[2].before, { text: 'The tunnel costs 2.4 billion euros', language: 'en', topics: ['budget'] });
  t.same(events[2].after, { text: 'The harbour tunnel costs 2.4 billion euros', language: null, topics: ['budget', 'harbour'] });
});

t.test('GET of a malformed id is 400 and of an unknown id is 404', async (t) => {
  await api.reset();
  expectProblem(t, await api.get('/v1/claims/zzz'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/claims/0190a5b0-0000-7000-8000-000000000002'), 404, 'not_found');
  expectProblem(t, await api.patch('/v1/claims/0190a5b0-0000-7000-8000-000000000002', { status: 'in_review' }), 404, 'not_found');
});

t.test('walking every page of a list sorted by a nullable field returns each claim once, nulls last, in both directions', async (t) => {
  await api.reset();
  const sources = [
    await makeSource(api, { published_at: '2026-03-01T00:00:00Z' }),
    await makeSource(api, { published_at: '2026-03-02T00:00:00Z' }),
  ];
  const claimant = await makeClaimant(api);
  const made: Json[] = [];
  for (let i = 0; i < 13; i++) {
    // Every third claim is never seen; the others share two first_seen_at values, so ties need the id.
    const attributions = i % 3 === 0 ? [] : [{ source_id: sources[i % 2].id, claimant_id: claimant.id }];
    made.push(await makeClaim(api, { attributions }));
  }
  for (const sort of ['first_seen_at', '-first_seen_at', 'attribution_count', '-created_at']) {
    const seen: Json[] = [];
    let url: string | null = `/v1/claims?${qs({ sort, limit: 4 })}`;
    let pages = 0;
    while (url) {
      const res = await api.get(url);
      t.equal(res.statusCode, 200);
      const body = res.json();
      seen.push(...body.data);
      pages++;
      url = body.next_cursor ? `/v1/claims?${qs({ sort, limit: 4, cursor: body.next_cursor })}` : null;
    }
    t.equal(pages, 4, `${sort}: 13 rows in pages of 4`);
    t.equal(seen.length, 13, `${sort}: every row`);
    t.equal(new Set(seen.map((c) => c.id)).size, 13, `${sort}: no row twice`);
    if (sort.endsWith('first_seen_at')) {
      const values = seen.map((c) => c.first_seen_at);
      const firstNull = values.indexOf(null);
      t.equal(firstNull, 8, `${sort}: the 5 never-seen claims come last`);
      const dated = values.slice(0, firstNull);
      const ordered = [...dated].sort();
      t.same(dated, sort.startsWith('-') ? ordered.reverse() : ordered, `${sort}: in order`);
    }
  }
  const first = (await api.get('/v1/claims?limit=2&sort=first_seen_at')).json();
  expectProblem(t, await api.get(`/v1/claims?limit=2&sort=-created_at&cursor=${first.next_cursor}`), 400, 'invalid_cursor');
  expectProblem(t, await api.get('/v1/claims?cursor=not-a-cursor'), 400, 'invalid_cursor');
});
