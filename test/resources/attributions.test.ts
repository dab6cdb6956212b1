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

/** Asserts what the contract promises of every selector, against the text GET returns. */
async function assertSelector(t: Pick<typeof import('tap').default, 'equal' | 'ok'>, attribution: Json, wantedExact: string) {
  const text: string = (await api.get(`/v1/sources/${attribution.source_id}`)).json().text;
  const { exact, prefix, suffix, start, end } = attribution.selector;
  t.equal(attribution.anchored, true);
  t.equal(exact, wantedExact);
  t.equal(text.slice(start, end), exact, 'exact === text.slice(start, end)');
  t.equal(start, text.indexOf(wantedExact), 'start is the offset of the quote');
  t.equal(text.slice(start - prefix.length, start), prefix, 'prefix is the text before');
  t.equal(text.slice(end, end + suffix.length), suffix, 'suffix is the text after');
  t.ok(prefix.length <= 32 && suffix.length <= 32);
}

const exactOf = (a: Json) => a.selector.exact as string;

async function setup() {
  const source = await makeSource(api);
  const claimant = await makeClaimant(api, { name: 'Ana Lindqvist' });
  const claim = await makeClaim(api);
  return { source, claimant, claim };
}

t.test('a quote with straight quotes and a hyphen anchors in a text with typographic quotes and an em dash', async (t) => {
  await api.reset();
  const { source, claimant, claim } = await setup();
  const res = await api.post('/v1/attributions', {
    claim_id: claim.id,
    source_id: source.id,
    claimant_id: claimant.id,
    quote: '"The harbour tunnel will cost 2.4 billion euros - not a cent more,"',
    said_at: '2026-03-02T19:30:00Z',
  });
  t.equal(res.statusCode, 201);
  const a = res.json();
  t.equal(res.headers.location, `/v1/attributions/${a.id}`);
  t.equal(a.claim_id, claim.id);
  t.equal(a.source_id, source.id);
  t.equal(a.claimant_id, claimant.id);
  t.equal(a.claimant_label, null);
  t.equal(a.kind, 'direct_quote', 'default kind');
  t.equal(a.stance, 'asserts', 'default stance');
  t.equal(a.quote, '"The harbour tunnel will cost 2.4 billion euros - not a cent more,"', 'the quote as sent');
  t.equal(a.version, 1);
  await assertSelector(t, a, '“The harbour tunnel will cost 2.4 billion euros — not a cent more,”');
  t.same((await api.get(`/v1/attributions/${a.id}`)).json(), a, 'GET answers what POST did');
});

t.test('apostrophes, runs of whitespace and letter case are forgiven; exact is always the source’s own characters', async (t) => {
  await api.reset();
  const { source, claim } = await setup();
  const cases: [string, string][] = [
    ["'wishful thinking'", '‘wishful thinking’'],
    ['“12,000 JOBS over   ten\nyears”', '“12,000 jobs over ten years”'],
    ['  the city council voted 31 to 14  ', 'The city council voted 31 to 14'],
    ['Council approves harbour tunnel The city', 'Council approves harbour tunnel\n\nThe city'],
    ['euros — not a cent', 'euros — not a cent'],
    ['euros – not a cent', 'euros — not a cent'],
  ];
  for (const [quote, exact] of cases) {
    const a = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'someone', quote });
    await assertSelector(t, a, exact);
  }
  t.equal(exactOf(await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'x', quote: 'Council' })), 'Council', 'the first occurrence');
});


t.test('offsets count UTF-16 code units, so text after an emoji or astral letters still slices exactly', async (t) => {
  await api.reset();
  const text = 'Breaking 🚇🚇 news: the 𝐌𝐚𝐲𝐨𝐫 said “we will build it” — twice. Ödegaard: ‘no comment’.';
  const source = await makeSource(api, { text });
  const claim = await makeClaim(api);
  const a = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: '"WE WILL BUILD IT" - twice' });
  await assertSelector(t, a, '“we will build it” — twice');
  t.equal(a.selector.start, text.indexOf('“we'));
  t.equal((await api.get(`/v1/sources/${source.id}`)).json().text_length, text.length);
  const b = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'Ödegaard', quote: "ödegaard: 'no comment'" });
  await assertSelector(t, b, 'Ödegaard: ‘no comment’');
});

t.test('a source without text gives anchored false and a null selector, keeping the quote', async (t) => {
  await api.reset();
  const source = await makeSource(api, { text: null });
  const claim = await makeClaim(api);
  const a = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: 'anything at all' });
  t.equal(a.anchored, false);
  t.equal(a.selector, null);
  t.equal(a.quote, 'anything at all');
  const withTextNoQuote = await makeAttribution(api, { claim_id: claim.id, source_id: (await makeSource(api)).id, claimant_label: 'x', kind: 'paraphrase' });
  t.equal(withTextNoQuote.anchored, false, 'no quote, nothing to anchor');
  t.equal(withTextNoQuote.selector, null);
});

t.test('a quote that is not in the source text is 422 quote_not_in_source and writes nothing', async (t) => {
  await api.reset();
  const { source, claimant, claim } = await setup();
  const before = await countAll(api);
  const eventsBefore = await eventLog(api);
  for (const quote of ['The harbour tunnel will cost 3 billion euros', 'not a cent more!!', 'wishful  think ing']) {
    const problem = expectProblem(
      t,
      await api.post('/v1/attributions', { claim_id: claim.id, source_id: source.id, claimant_id: claimant.id, quote }),
      422,
      'quote_not_in_source',
    );
    t.same(problem.errors, [{ path: 'body.quote', message: 'is not in the source text' }]);
  }
  t.same(await countAll(api), before);
  t.same(await eventLog(api), eventsBefore);
  const read = (await api.get(`/v1/claims/${claim.id}`)).json();
  t.equal(read.attribution_count, 0);
  t.equal(read.version, 1);
});

t.test('PATCH quote anchors the new quote; a quote not in the text is 422 and changes nothing; null unanchors', async (t) => {
  await api.reset();
  const { source, claimant, claim } = await setup();
  const a = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: claimant.id, quote: 'not a cent more' });
  t.equal(a.selector.exact, 'not a cent more');

  let res = await api.patch(`/v1/attributions/${a.id}`, { quote: '"12,000 jobs over ten years"' });
  t.equal(res.statusCode, 200);
  const moved = res.json();
  t.equal(moved.version, 2);
  t.equal(moved.quote, '"12,000 jobs over ten years"');
  await assertSelector(t, moved, '“12,000 jobs over ten years”');

  expectProblem(t, await api.patch(`/v1/attributions/${a.id}`, { quote: 'the tunnel opens in 2029', stance: 'denies' }), 422, 'quote_not_in_source');
  const read = (await api.get(`/v1/attributions/${a.id}`)).json();
  t.same(read, moved, 'the refused PATCH changed nothing, stance included');

  res = await api.patch(`/v1/attributions/${a.id}`, { quote: '"12,000 jobs over ten years"' });
  t.equal(res.json().version, 2, 'the same quote again is no change');

  res = await api.patch(`/v1/attributions/${a.id}`, { quote: null, kind: 'paraphrase' });
  t.equal(res.statusCode, 200);
  t.equal(res.json().quote, null);
  t.equal(res.json().anchored, false);
  t.equal(res.json().selector, null);
  t.equal(res.json().parts, null);
  t.equal(res.json().kind, 'paraphrase');
  t.equal(res.json().version, 3);

  const events = await eventsOf(api, a.id);
  t.same(events.map((e) => e.type), ['attribution.created', 'attribution.updated', 'attribution.updated']);
  t.same(Object.keys(events[1].after).sort(), ['parts', 'quote', 'selector'], 'only what changed');
  t.equal(events[1].before.quote, 'not a cent more');
  t.equal(events[1].after.selector.exact, '“12,000 jobs over ten years”');
  t.same(Object.keys(events[2].after).sort(), ['anchored', 'kind', 'parts', 'quote', 'selector']);
  t.same(events[2].after, { kind: 'paraphrase', quote: null, selector: null, parts: null, anchored: false });
});

t.test('PATCH source_id anchors the quote in the new source’s text, or refuses if it is not there', async (t) => {
  await api.reset();
  const { source, claim } = await setup();
  const other = await makeSource(api, { text: `Yesterday: ${HARBOUR_TEXT}` });
  const bare = await makeSource(api, { text: 'A text without the quote.' });
  const a = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: 'not a cent more' });
  const res = await api.patch(`/v1/attributions/${a.id}`, { source_id: other.id });
  t.equal(res.statusCode, 200);
  t.equal(res.json().selector.start, a.selector.start + 'Yesterday: '.length);
  await assertSelector(t, res.json(), 'not a cent more');
  expectProblem(t, await api.patch(`/v1/attributions/${a.id}`, { source_id: bare.id }), 422, 'quote_not_in_source');
  const unknown = expectProblem(t, await api.patch(`/v1/attributions/${a.id}`, { source_id: '0190a5b0-0000-7000-8000-00000000beef' }), 422, 'unprocessable');
  t.equal(unknown.errors[0].path, 'body.source_id');
  t.equal((await api.get(`/v1/attributions/${a.id}`)).json().source_id, other.id);
});

t.test('claimant_id and claimant_name together on POST are 400 and write nothing', async (t) => {
  await api.reset();
  const { source, claimant, claim } = await setup();
  const before = await countAll(api);
  const problem = expectProblem(
    t,
    await api.post('/v1/attributions', { claim_id: claim.id, source_id: source.id, claimant_id: claimant.id, claimant_name: 'Jonas Berg' }),
    400,
    'validation_failed',
  );
  t.equal(problem.errors[0].path, 'body.claimant_name');
  t.same(await countAll(api), before, 'no attribution and no claimant Jonas Berg');
  t.same(await eventsOf(api).then((e) => e.map((x) => x.type).filter((type) => type.startsWith('attribution'))), []);
});

t.test('claimant_id and claimant_name together on PATCH are 400 too, and change nothing', async (t) => {
  await api.reset();
  const { source, claimant, claim } = await setup();
  const a = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: claimant.id });
  const counts = await countAll(api);
  const patched = await api.patch(`/v1/attributions/${a.id}`, { claimant_id: claimant.id, claimant_name: 'Jonas Berg' });
  const refused = expectProblem(t, patched, 400, 'validation_failed');
  t.equal(refused.errors?.[0]?.path, 'body.claimant_name');
  const read = (await api.get(`/v1/attributions/${a.id}`)).json();
  t.equal(read.claimant_id, claimant.id, 'the attribution keeps its claimant');
  t.equal(read.version, 1);
  t.same(await countAll(api), counts, 'no claimant was created');
});

t.test('an attribution needs a claimant id, name or label: none at all is 400', async (t) => {
  await api.reset();
  const { source, claimant, claim } = await setup();
  const problem = expectProblem(t, await api.post('/v1/attributions', { claim_id: claim.id, source_id: source.id, quote: 'not a cent more' }), 400, 'validation_failed');
  t.equal(problem.errors[0].path, 'body');
  expectProblem(t, await api.post('/v1/attributions', { claim_id: claim.id, source_id: source.id, claimant_id: null, claimant_label: null }), 400, 'validation_failed');
  t.equal(await countOf(api, '/v1/attributions'), 0);

  const a = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: claimant.id });
  expectProblem(t, await api.patch(`/v1/attributions/${a.id}`, { claimant_id: null }), 400, 'validation_failed');
  t.equal((await api.get(`/v1/attributions/${a.id}`)).json().claimant_id, claimant.id);
  const relabelled = await api.patch(`/v1/attributions/${a.id}`, { claimant_id: null, claimant_label: 'a senior official' });
  t.equal(relabelled.statusCode, 200);
  t.equal(relabelled.json().claimant_id, null);
  t.equal(relabelled.json().claimant_label, 'a senior official');
  const named = await api.patch(`/v1/attributions/${a.id}`, { claimant_name: 'ana LINDQVIST' });
  t.equal(named.statusCode, 200);
  t.equal(named.json().claimant_id, claimant.id, 'claimant_name on PATCH finds the existing claimant');
});

t.test('unknown claim, source or claimant ids are 422 and write nothing; malformed ids are 400', async (t) => {
  await api.reset();
  const { source, claimant, claim } = await setup();
  const unknown = '0190a5b0-0000-7000-8000-00000000f00d';
  const before = await countAll(api);
  const cases: [Json, string][] = [
    [{ claim_id: unknown, source_id: source.id, claimant_id: claimant.id }, 'body.claim_id'],
    [{ claim_id: claim.id, source_id: unknown, claimant_id: claimant.id }, 'body.source_id'],
    [{ claim_id: claim.id, source_id: source.id, claimant_id: unknown }, 'body.claimant_id'],
  ];
  for (const [body, path] of cases) {
    const problem = expectProblem(t, await api.post('/v1/attributions', body), 422, 'unprocessable');
    t.equal(problem.errors[0].path, path);
  }
  expectProblem(t, await api.post('/v1/attributions', { claim_id: 'abc', source_id: source.id, claimant_id: claimant.id }), 400, 'validation_failed');
  t.same(await countAll(api), before);

  const a = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: claimant.id });
  const moved = expectProblem(t, await api.patch(`/v1/attributions/${a.id}`, { claim_id: unknown }), 422, 'unprocessable');
  t.equal(moved.errors[0].path, 'body.claim_id');
  t.equal((await api.get(`/v1/attributions/${a.id}`)).json().claim_id, claim.id);
  expectProblem(t, await api.get('/v1/attributions/abc'), 400, 'validation_failed');
  expectProblem(t, await api.get(`/v1/attributions/${unknown}`), 404, 'not_found');
  expectProblem(t, await api.del(`/v1/attributions/${unknown}`), 404, 'not_found');
});

t.test('the list filters by claim_id, source_id, claimant_id, kind and stance', async (t) => {
  await api.reset();
  const s1 = await makeSource(api);
  const s2 = await makeSource(api);
  const mayor = await makeClaimant(api);
  const port = await makeClaimant(api);
  const c1 = await makeClaim(api);
  const c2 = await makeClaim(api);
  const a = await makeAttribution(api, { claim_id: c1.id, source_id: s1.id, claimant_id: mayor.id, kind: 'direct_quote', stance: 'asserts' });
  const b = await makeAttribution(api, { claim_id: c1.id, source_id: s2.id, claimant_id: port.id, kind: 'paraphrase', stance: 'denies' });
  const c = await makeAttribution(api, { claim_id: c2.id, source_id: s2.id, claimant_id: mayor.id, kind: 'reported', stance: 'questions' });
  const d = await makeAttribution(api, { claim_id: c2.id, source_id: s1.id, claimant_label: 'a spokesperson', kind: 'headline', stance: 'reports' });
  const list = async (params: Record<string, string>) => {
    const res = await api.get(`/v1/attributions?${qs(params)}`);
    t.equal(res.statusCode, 200, JSON.stringify(params));
    return idsOf(res).sort();
  };
  const sorted = (...ids: string[]) => ids.sort();
  t.same(await list({}), sorted(a.id, b.id, c.id, d.id));
  t.same(await list({ claim_id: c1.id }), sorted(a.id, b.id));
  t.same(await list({ source_id: s2.id }), sorted(b.id, c.id));
  t.same(await list({ claimant_id: mayor.id }), sorted(a.id, c.id));
  t.same(await list({ kind: 'headline' }), [d.id]);
  t.same(await list({ stance: 'denies' }), [b.id]);
  t.same(await list({ claim_id: c2.id, source_id: s1.id }), [d.id], 'filters combine');
  t.same(await list({ claim_id: c2.id, stance: 'denies' }), []);
  t.same(idsOf(await api.get('/v1/attributions?sort=created_at')), [a.id, b.id, c.id, d.id]);
  expectProblem(t, await api.get('/v1/attributions?stance=agrees'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/attributions?claim_id=x'), 400, 'validation_failed');
});

t.test('include embeds the claim, the source without text and the claimant, on GET and on lists', async (t) => {
  await api.reset();
  const { source, claimant, claim } = await setup();
  const named = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: claimant.id, quote: 'not a cent more' });
  const unnamed = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'an aide' });

  const one = (await api.get(`/v1/attributions/${named.id}?include=claim,source,claimant`)).json();
  t.equal(one.claim.id, claim.id);
  t.equal(one.claim.attribution_count, 2, 'the embedded claim is current');
  t.equal(one.source.id, source.id);
  t.notOk('text' in one.source, 'no source text');
  t.equal(one.source.text_length, HARBOUR_TEXT.length);
  t.equal(one.claimant.id, claimant.id);
  t.equal(one.claimant.name, 'Ana Lindqvist');
  const plain = (await api.get(`/v1/attributions/${named.id}`)).json();
  for (const key of ['claim', 'source', 'claimant']) t.notOk(key in plain, `no ${key} without include`);

  const page = (await api.get('/v1/attributions?include=claimant,source&sort=created_at')).json();
  t.same(page.data.map((a: Json) => a.id), [named.id, unnamed.id]);
  t.equal(page.data[0].claimant.id, claimant.id);
  t.equal(page.data[1].claimant, null, 'a label-only attribution embeds a null claimant');
  t.equal(page.data[1].source.id, source.id);
  t.notOk('claim' in page.data[0]);
  expectProblem(t, await api.get(`/v1/attributions/${named.id}?include=claims`), 400, 'validation_failed');
});

t.test('create, update and delete each log exactly their events', async (t) => {
  await api.reset();
  const { source, claimant, claim } = await setup();
  const start = (await eventsOf(api)).length;
  const a = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: claimant.id, quote: 'not a cent more' });
  let logged = (await eventsOf(api)).slice(start);
  t.same(logged.map((e) => [e.type, e.entity_id]), [
    ['attribution.created', a.id],
    ['claim.updated', claim.id],
  ]);
  t.equal(logged[0].before, null);
  t.equal(logged[0].after.quote, 'not a cent more');
  t.equal(logged[0].after.selector.exact, 'not a cent more');
  t.same(logged[1].after, { attribution_count: 1, first_seen_at: '2026-03-03T09:00:00.000Z' });

  const mark = (await eventsOf(api)).length;
  await api.patch(`/v1/attributions/${a.id}`, { stance: 'denies', kind: 'paraphrase' });
  logged = (await eventsOf(api)).slice(mark);
  t.same(logged.map((e) => [e.type, e.entity_id]), [['attribution.updated', a.id]], 'no derived field moved, so no claim.updated');
  t.same(logged[0].before, { kind: 'direct_quote', stance: 'asserts' });
  t.same(logged[0].after, { kind: 'paraphrase', stance: 'denies' });

  const mark2 = (await eventsOf(api)).length;
  t.equal((await api.del(`/v1/attributions/${a.id}`)).statusCode, 204);
  expectProblem(t, await api.get(`/v1/attributions/${a.id}`), 404, 'not_found');
  logged = (await eventsOf(api)).slice(mark2);
  t.same(logged.map((e) => [e.type, e.entity_id]), [
    ['attribution.deleted', a.id],
    ['claim.updated', claim.id],
  ]);
  t.equal(logged[0].before.id, a.id);
  t.equal(logged[0].after, null);
});

// Quotations as journalists write them: elisions and bracketed insertions.

/** Each part is the source's own words at its offsets, and the selector spans them all. */
async function assertParts(t: Pick<typeof import('tap').default, 'equal' | 'same' | 'ok'>, attribution: Json, wanted: string[]) {
  const text: string = (await api.get(`/v1/sources/${attribution.source_id}`)).json().text;
  t.equal(attribution.anchored, true);
  t.same(attribution.parts.map((p: Json) => p.exact), wanted);
  for (const part of attribution.parts) t.equal(text.slice(part.start, part.end), part.exact, 'exact === text.slice(start, end)');
  const { selector, parts } = attribution;
  t.equal(selector.start, parts[0].start, 'the selector starts with the first part');
  t.equal(selector.end, parts[parts.length - 1].end, 'and ends with the last');
  t.equal(text.slice(selector.start, selector.end), selector.exact);
}

t.test('a quote with an elision anchors as parts in order, returned by GET, lists, claims, the export and events', async (t) => {
  await api.reset();
  const { source, claimant, claim } = await setup();
  const a = await makeAttribution(api, {
    claim_id: claim.id,
    source_id: source.id,
    claimant_id: claimant.id,
    quote: 'The harbour tunnel will cost 2.4 billion euros ... Mayor Ana Lindqvist said after the vote',
  });
  await assertParts(t, a, ['The harbour tunnel will cost 2.4 billion euros', 'Mayor Ana Lindqvist said after the vote']);
  t.equal(a.selector.exact, 'The harbour tunnel will cost 2.4 billion euros — not a cent more,” Mayor Ana Lindqvist said after the vote');

  const read = (await api.get(`/v1/attributions/${a.id}`)).json();
  t.same(read.parts, a.parts, 'GET');
  t.same((await api.get(`/v1/attributions?claim_id=${claim.id}`)).json().data[0].parts, a.parts, 'the list');
  t.same((await api.get(`/v1/claims/${claim.id}?include=attributions`)).json().attributions[0].parts, a.parts, 'embedded in its claim');
  t.same((await api.get(`/v1/claims?include=attributions`)).json().data.find((c: Json) => c.id === claim.id).attributions[0].parts, a.parts, 'embedded in the claim list');
  const exported = (await api.get('/v1/export?type=attributions&format=ndjson')).body
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .find((r: Json) => r.id === a.id);
  t.same(exported.parts, a.parts, 'the NDJSON export');
  const [created] = await eventsOf(api, a.id);
  t.same(created.after.parts, a.parts, 'the created event');
});

t.test('a quote without elision has one part with the selector’s offsets', async (t) => {
  await api.reset();
  const { source, claim } = await setup();
  const a = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: 'NOT a cent   more' });
  t.same(a.parts, [{ exact: a.selector.exact, start: a.selector.start, end: a.selector.end }]);
  await assertSelector(t, a, 'not a cent more');
});

t.test('ellipses at the start and the end, […] and a bracketed insertion that stands for a word of the source', async (t) => {
  await api.reset();
  const { source, claim } = await setup();
  const make = (quote: string) => makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote });
  await assertParts(t, await make('… not a cent more'), ['not a cent more']);
  await assertParts(t, await make('The harbour tunnel will cost...'), ['The harbour tunnel will cost']);
  await assertParts(t, await make('The harbour tunnel will cost […] not a cent more'), ['The harbour tunnel will cost', 'not a cent more']);
  await assertParts(t, await make('[The mayor] said after the vote'), ['said after the vote']);
  await assertParts(t, await make('The Port Authority said [that] the project would create'), ['The Port Authority said', 'the project would create']);
});

t.test('a quote with a part not in the source is 422 quote_not_in_source naming the part, and writes nothing', async (t) => {
  await api.reset();
  const { source, claim } = await setup();
  const before = await countAll(api);
  const body = { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor' };
  let problem = expectProblem(t, await api.post('/v1/attributions', { ...body, quote: 'The harbour tunnel will cost ... not a penny more' }), 422, 'quote_not_in_source');
  t.same(problem.errors, [{ path: 'body.quote', message: 'part 2 of 2 ("not a penny more") is not in the source text' }]);
  problem = expectProblem(t, await api.post('/v1/attributions', { ...body, quote: 'not a cent more ... The harbour tunnel will cost' }), 422, 'quote_not_in_source');
  t.same(problem.errors, [
    { path: 'body.quote', message: 'part 2 of 2 ("The harbour tunnel will cost") is not in the source text within 2000 characters after part 1 (parts must appear in order)' },
  ], 'parts out of order');
  problem = expectProblem(t, await api.post('/v1/attributions', { ...body, quote: '[The mayor] said before the vote' }), 422, 'quote_not_in_source');
  t.same(problem.errors, [{ path: 'body.quote', message: 'part 1 of 1 ("said before the vote") is not in the source text' }], 'the words left once the insertion is set aside');
  problem = expectProblem(t, await api.post('/v1/attributions', { ...body, quote: '[…]' }), 422, 'quote_not_in_source');
  t.same(problem.errors, [{ path: 'body.quote', message: 'has no words to find outside its elisions and bracketed insertions' }]);
  problem = expectProblem(t, await api.post('/v1/claims', { text: 'x', attributions: [{ source_id: source.id, claimant_label: 'y', quote: 'words nobody wrote … not a cent more' }] }), 422, 'quote_not_in_source');
  t.same(problem.errors, [{ path: 'body.attributions[0].quote', message: 'part 1 of 2 ("words nobody wrote") is not in the source text' }]);
  t.same(await countAll(api), before, 'nothing was written');
});

t.test('PATCH re-anchors an elided quote, and a source given text anchors its waiting quotes with their parts', async (t) => {
  await api.reset();
  const { source, claim } = await setup();
  const a = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: 'not a cent more' });
  const res = await api.patch(`/v1/attributions/${a.id}`, { quote: 'The Port Authority said … “12,000 jobs over ten years”' });
  t.equal(res.statusCode, 200);
  await assertParts(t, res.json(), ['The Port Authority said', '“12,000 jobs over ten years”']);

  const bare = await makeSource(api, { text: null });
  const waiting = await makeAttribution(api, { claim_id: claim.id, source_id: bare.id, claimant_label: 'the mayor', quote: 'The harbour tunnel … not a cent more' });
  t.equal(waiting.anchored, false);
  t.equal(waiting.parts, null);
  const refused = expectProblem(t, await api.patch(`/v1/sources/${bare.id}`, { text: 'The harbour tunnel is late.' }), 422, 'quote_not_in_source');
  t.match(refused.errors[0].message, /part 2 of 2 \("not a cent more"\) is not in the source text$/);
  t.equal((await api.patch(`/v1/sources/${bare.id}`, { text: HARBOUR_TEXT })).statusCode, 200);
  const anchored = (await api.get(`/v1/attributions/${waiting.id}`)).json();
  await assertParts(t, anchored, ['The harbour tunnel', 'not a cent more']);
  const events = await eventsOf(api, waiting.id);
  t.same(events[events.length - 1].after.parts, anchored.parts, 'the update event carries the parts');
});
