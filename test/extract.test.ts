import t from 'tap';
import { buildTestApp } from './helper.js';
import { countAll, eventLog, expectProblem, makeClaimant, makeSource, type Json } from './factories.js';

// A generous extraction time limit: these tests are about what is found, on a machine other tests share.
const api = await buildTestApp(t, { CLAIMLEDGER_EXTRACT_TIMEOUT_MS: '120000' });

const ARTICLE =
  'Council approves harbour tunnel\n\n' +
  'The city council voted 31 to 14 on Tuesday to build the harbour tunnel.\n\n' +
  '“The harbour tunnel will cost 2.4 billion euros — not a cent more,” Mayor Ana Lindqvist said after the vote.\n\n' +
  'The Port Authority said the project would create 12,000 jobs over ten years.\n\n' +
  'One official, who asked not to be named, said two-thirds of the money had already been borrowed.\n\n' +
  '“We have the money,” she said. “Construction starts in spring.”';

const candidatesOf = (res: { json(): unknown }) => (res.json() as Json).candidates as Json[];
const bySpeaker = (candidates: Json[], speaker: string) => candidates.filter((c) => c.speaker === speaker);

t.test('POST /v1/extract finds who said what, anchored in the text, and writes nothing', async (t) => {
  await api.reset();
  const before = await countAll(api);
  const res = await api.post('/v1/extract', { text: ARTICLE });
  t.equal(res.statusCode, 200, res.body);
  const body = res.json() as Json;
  t.equal(body.language, 'en');
  t.ok(body.stats.words > 50 && body.stats.elapsed_ms >= 0, 'reports stats');
  const candidates = body.candidates as Json[];
  t.same(candidates.map((c) => c.index), candidates.map((_, i) => i), 'indexed in order');

  const [mayor, later, spring] = bySpeaker(candidates, 'Ana Lindqvist');
  t.match(mayor, {
    kind: 'direct_quote',
    stance: 'asserts',
    cue: 'said',
    speaker_type: 'person',
    speaker_role: 'Mayor',
    speaker_mention: { text: 'Mayor Ana Lindqvist' },
    quote: 'The harbour tunnel will cost 2.4 billion euros — not a cent more',
    claim_text: 'The harbour tunnel will cost 2.4 billion euros — not a cent more.',
    claimant: null,
  });
  t.same(mayor.quantities.map((q: Json) => [q.value, q.unit, q.text]), [[2.4e9, 'EUR', '2.4 billion euros']]);
  t.ok(mayor.checkworthiness > 0.6, `a priced claim is worth checking (${mayor.checkworthiness})`);
  t.ok(mayor.reasons.some((r: Json) => r.code === 'quantity'));
  t.match(later, { speaker_mention: { text: 'she' }, quote: 'We have the money' }, '"she" is the mayor');
  t.match(spring, { quote: 'Construction starts in spring.', cue: 'said' }, 'a following quote continues her');

  const [port] = bySpeaker(candidates, 'Port Authority');
  t.match(port, { kind: 'reported', speaker_type: 'organization', quote: 'the project would create 12,000 jobs over ten years' });
  t.same(port.quantities.map((q: Json) => q.text), ['12,000 jobs', 'ten years']);
  const [official] = bySpeaker(candidates, 'One official');
  t.match(official, { kind: 'reported', speaker_type: 'anonymous', quote: 'two-thirds of the money had already been borrowed' });
  t.same(official.quantities.map((q: Json) => [q.value, q.unit]), [[0.666667, 'fraction']]);

  for (const c of candidates) {
    t.equal(c.selector.exact, ARTICLE.slice(c.selector.start, c.selector.end), `selector of #${c.index} is exact`);
    t.equal(c.selector.exact, c.quote);
    t.match(c.id, /^[0-9a-f]{16}$/);
  }
  t.notOk(candidates.some((c) => /Council approves/.test(c.quote) || /voted 31 to 14/.test(c.quote)), 'the headline and the scene-setting are left out');
  t.same(await countAll(api), before, 'nothing written');
  t.same(await eventLog(api), [], 'no events');
  t.same(candidatesOf(await api.post('/v1/extract', { text: ARTICLE })).map((c) => c.id), candidates.map((c) => c.id), 'ids are stable');
});

t.test('candidates carry the existing claimant that matches the speaker, with a score', async (t) => {
  await api.reset();
  const mayor = await makeClaimant(api, { name: 'Ana Lindqvist', aliases: ['Mayor Lindqvist'] });
  await makeClaimant(api, { name: 'Port Authority', kind: 'organization' });
  const candidates = candidatesOf(await api.post('/v1/extract', { text: ARTICLE }));
  const [said] = bySpeaker(candidates, 'Ana Lindqvist');
  t.match(said.claimant, { id: mayor.id, name: 'Ana Lindqvist', kind: 'person', score: 1 });
  t.equal(bySpeaker(candidates, 'Port Authority')[0].claimant.score, 1);
  t.equal(bySpeaker(candidates, 'One official')[0].claimant, null, 'anonymous speakers are never matched');

  await makeClaimant(api, { name: 'Ana Lindkvist' });
  const close = candidatesOf(await api.post('/v1/extract', { text: ARTICLE.replaceAll('Ana Lindqvist', 'Anna Lindqvist') }));
  const match = bySpeaker(close, 'Anna Lindqvist')[0].claimant;
  t.ok(match && match.score > 0.45 && match.score < 1, `a near spelling matches with a lower score (${JSON.stringify(match)})`);
});

t.test('min_checkworthiness leaves out low-scoring candidates', async (t) => {
  const all = candidatesOf(await api.post('/v1/extract', { text: ARTICLE }));
  const some = candidatesOf(await api.post('/v1/extract', { text: ARTICLE, min_checkworthiness: 0.5 }));
  t.ok(some.length > 0 && some.length < all.length);
  t.ok(some.every((c) => c.checkworthiness >= 0.5));
});

t.test('POST /v1/extract refuses bad bodies with 400, other languages with 422 and long texts with 413', async (t) => {
  const cases: [unknown, string][] = [
    [{}, 'body.text'],
    [{ text: '' }, 'body.text'],
    [{ text: 42 }, 'body.text'],
    [{ text: 'x', language: 'not a language' }, 'body.language'],
    [{ text: 'x', min_checkworthiness: 2 }, 'body.min_checkworthiness'],
    [{ text: 'x', commit: true }, 'body.commit'],
  ];
  for (const [body, path] of cases) {
    const problem = expectProblem(t, await api.post('/v1/extract', body), 400, 'validation_failed');
    t.ok(problem.errors.some((e: Json) => e.path === path), `names ${path}: ${JSON.stringify(problem.errors)}`);
  }
  const swedish = expectProblem(t, await api.post('/v1/extract', { text: 'Kommunen säger att tunneln kostar 2,4 miljarder.', language: 'sv' }), 422, 'unprocessable');
  t.same(swedish.errors, [{ path: 'body.language', message: 'must be English (en)' }]);
  t.equal((await api.post('/v1/extract', { text: 'Nothing to see.', language: 'en-GB' })).statusCode, 200, 'any English tag is fine');

  const long = 'The minister said the budget would rise. '.repeat(5000).slice(0, 200_001);
  const tooLong = expectProblem(t, await api.post('/v1/extract', { text: long }), 413, 'payload_too_large');
  t.same(tooLong.errors, [{ path: 'body.text', message: 'is longer than 200000 characters' }]);
  t.equal((await api.post('/v1/extract', { text: long.slice(0, 200_000) })).statusCode, 200, 'the limit itself is fine');
});

t.test('a read-only key may run the dry run but not extract from a source', async (t) => {
  await api.reset();
  const secret = (await api.post('/v1/keys', { name: 'reader', scopes: ['read'] })).json().secret as string;
  const asReader = (url: string, payload: unknown) => api.request({ method: 'POST', url, payload: payload as string, headers: { authorization: `Bearer ${secret}` } });
  t.equal((await asReader('/v1/extract', { text: ARTICLE })).statusCode, 200);
  const source = await makeSource(api, { text: ARTICLE });
  expectProblem(t, await asReader(`/v1/sources/${source.id}/extract`, {}), 403, 'forbidden');
});

t.test('POST /v1/sources/{id}/extract previews the candidates of a stored source without writing', async (t) => {
  await api.reset();
  const source = await makeSource(api, { text: ARTICLE });
  const before = await countAll(api);
  const events = await eventLog(api);
  const res = await api.post(`/v1/sources/${source.id}/extract`);
  t.equal(res.statusCode, 200, res.body);
  const body = res.json() as Json;
  t.match(body, { source_id: source.id, language: 'en', committed: false, claims: [], skipped: [] });
  t.same(
    body.candidates.map((c: Json) => c.id),
    candidatesOf(await api.post('/v1/extract', { text: ARTICLE })).map((c) => c.id),
    'the same candidates as the dry run on its text',
  );
  t.ok(body.candidates.every((c: Json) => c.existing_attribution_id === null));
  const kept = (await api.post(`/v1/sources/${source.id}/extract`, { keep: [1, 0] })).json() as Json;
  t.same(kept.candidates.map((c: Json) => c.index), [1, 0], 'keep narrows the preview');
  t.same(await countAll(api), before);
  t.same(await eventLog(api), events);
});

t.test('commit=true creates the kept candidates as claims with claimants and attributions, readable through the API', async (t) => {
  await api.reset();
  const port = await makeClaimant(api, { name: 'Port Authority', kind: 'organization' });
  const source = await makeSource(api, { text: ARTICLE });
  const preview = candidatesOf(await api.post(`/v1/sources/${source.id}/extract`));
  const mayor = preview.find((c) => c.speaker === 'Ana Lindqvist') as Json;
  const portClaim = preview.find((c) => c.speaker === 'Port Authority') as Json;
  const official = preview.find((c) => c.speaker === 'One official') as Json;
  const before = await countAll(api);

  const res = await api.post(`/v1/sources/${source.id}/extract?commit=true`, {
    keep: [mayor.index, portClaim.id, { index: official.index, claim_text: 'Two-thirds of the tunnel money has been borrowed.' }],
    topics: ['infrastructure'],
  });
  t.equal(res.statusCode, 201, res.body);
  const body = res.json() as Json;
  t.equal(body.committed, true);
  t.equal(body.claims.length, 3);
  t.same(body.candidates.map((c: Json) => c.index), [mayor.index, portClaim.index, official.index]);
  t.same(await countAll(api), { ...before, claims: 3, attributions: 3, claimants: before.claimants + 1 }, 'one new claimant: the mayor');

  const [c1, c2, c3] = body.claims as Json[];
  t.match(c1, { text: mayor.claim_text, language: 'en', topics: ['infrastructure'], attribution_count: 1, first_seen_at: source.published_at });
  t.match(c1.attributions[0], { source_id: source.id, kind: 'direct_quote', stance: 'asserts', quote: mayor.quote, anchored: true, claimant_label: null });
  t.same(c1.attributions[0].selector, mayor.selector, 'stored with the same selector as the preview');
  t.equal(c1.claimants[0].name, 'Ana Lindqvist', 'the speaker became a claimant');
  t.equal(c2.attributions[0].claimant_id, port.id, 'a matching claimant is reused');
  t.match(c2.attributions[0], { kind: 'reported' });
  t.match(c3, { text: 'Two-thirds of the tunnel money has been borrowed.', claimants: [] });
  t.match(c3.attributions[0], { claimant_id: null, claimant_label: 'One official', quote: official.quote });

  const read = (await api.get(`/v1/claims/${c1.id}?include=attributions,claimants`)).json() as Json;
  t.equal(read.attributions[0].quote, mayor.quote);
  t.equal(read.claimants[0].id, c1.claimants[0].id);
  const bySource = (await api.get(`/v1/attributions?source_id=${source.id}`)).json() as Json;
  t.equal(bySource.data.length, 3);
  const claimant = (await api.get(`/v1/claimants/${c1.claimants[0].id}`)).json() as Json;
  t.match(claimant, { name: 'Ana Lindqvist', kind: 'person' }, 'a new claimant gets the kind the extractor saw');
  t.equal((await api.get(`/v1/claimants/${port.id}`)).json().version, 1, 'an existing claimant is not changed');
  const log = (await eventLog(api)).map(([type]) => type);
  t.equal(log.filter((e) => e === 'claim.created').length, 3, 'every write is in the change log');
  t.equal(log.filter((e) => e === 'attribution.created').length, 3);
  t.same(log.filter((e) => e.startsWith('claimant.')), ['claimant.created', 'claimant.created', 'claimant.updated'], 'the Port Authority, then the mayor with her kind');
});

t.test('commit=true without a body commits every candidate; committing again skips what is already there', async (t) => {
  await api.reset();
  const source = await makeSource(api, { text: ARTICLE });
  const first = await api.post(`/v1/sources/${source.id}/extract?commit=true`);
  t.equal(first.statusCode, 201, first.body);
  const n = (first.json() as Json).claims.length;
  t.ok(n >= 5, `${n} claims`);
  const anonymous = ((first.json() as Json).claims as Json[]).filter((c) => c.attributions[0].claimant_label);
  t.same(anonymous.map((c) => c.attributions[0].claimant_label), ['One official']);

  const preview = candidatesOf(await api.post(`/v1/sources/${source.id}/extract`));
  t.ok(preview.every((c) => typeof c.existing_attribution_id === 'string'), 'the preview flags committed candidates');
  const counts = await countAll(api);
  const again = await api.post(`/v1/sources/${source.id}/extract?commit=true`);
  t.equal(again.statusCode, 200);
  t.match(again.json(), { committed: false, claims: [] });
  t.equal((again.json() as Json).skipped.length, n);
  t.equal((again.json() as Json).skipped[0].reason, 'already_committed');
  t.same(await countAll(api), counts, 'nothing written twice');
});

t.test('a bad keep entry is 422 and nothing is written, even when earlier candidates were already inserted', async (t) => {
  await api.reset();
  const source = await makeSource(api, { text: ARTICLE });
  const preview = candidatesOf(await api.post(`/v1/sources/${source.id}/extract`));
  const before = await countAll(api);
  const events = await eventLog(api);

  const unknownIndex = expectProblem(t, await api.post(`/v1/sources/${source.id}/extract?commit=true`, { keep: [0, 99] }), 422, 'unprocessable');
  t.same(unknownIndex.errors, [{ path: 'body.keep[1]', message: `no candidate has index 99 (there are ${preview.length})` }]);
  const others: [unknown[], string][] = [
    [['0123456789abcdef'], 'body.keep[0]'],
    [[0, 0], 'body.keep[1]'],
    [[{ index: 0, id: preview[1].id }], 'body.keep[0]'],
    [[{ claim_text: 'x' }], 'body.keep[0]'],
  ];
  for (const [keep, path] of others) {
    const problem = expectProblem(t, await api.post(`/v1/sources/${source.id}/extract?commit=true`, { keep }), 422, 'unprocessable');
    t.equal(problem.errors[0].path, path, JSON.stringify(problem.errors));
  }
  // The second claim fails inside the transaction, after the first was inserted.
  const missing = '01890000-0000-7000-8000-000000000000';
  const late = expectProblem(
    t,
    await api.post(`/v1/sources/${source.id}/extract?commit=true`, { keep: [0, { index: 1, claimant_id: missing }] }),
    422,
    'unprocessable',
  );
  t.equal(late.errors[0].path, 'body.keep[1].claimant_id');
  t.same(await countAll(api), before, 'nothing written');
  t.same(await eventLog(api), events, 'no events');
});

t.test('extracting from a source: 404, 400, 422 and 413 cases', async (t) => {
  await api.reset();
  expectProblem(t, await api.post('/v1/sources/01890000-0000-7000-8000-000000000000/extract'), 404, 'not_found');
  expectProblem(t, await api.post('/v1/sources/not-an-id/extract'), 400, 'validation_failed');
  const source = await makeSource(api, { text: ARTICLE });
  const bad: [string, unknown, string][] = [
    ['?commit=perhaps', {}, 'query.commit'],
    ['?dry=true', {}, 'query.dry'],
    ['', { keep: [-1] }, 'body.keep[0]'],
    ['', { keep: 'all' }, 'body.keep'],
    ['', { keep: [{ index: 0, mood: 'sure' }] }, 'body.keep[0]'],
    ['', { min_checkworthiness: -0.1 }, 'body.min_checkworthiness'],
    ['', { text: 'x' }, 'body.text'],
  ];
  for (const [query, body, path] of bad) {
    const problem = expectProblem(t, await api.post(`/v1/sources/${source.id}/extract${query}`, body), 400, 'validation_failed');
    t.ok(problem.errors.some((e: Json) => e.path.startsWith(path)), `names ${path}: ${JSON.stringify(problem.errors)}`);
  }
  const untexted = await makeSource(api, { text: null });
  const noText = expectProblem(t, await api.post(`/v1/sources/${untexted.id}/extract`), 422, 'unprocessable');
  t.same(noText.errors, [{ path: 'source.text', message: 'is empty' }]);
  const swedish = await makeSource(api, { language: 'sv', text: 'Kommunen säger att tunneln kostar 2,4 miljarder.' });
  expectProblem(t, await api.post(`/v1/sources/${swedish.id}/extract`), 422, 'unprocessable');
  const long = await makeSource(api, { text: 'The minister said the budget would rise. '.repeat(5000) });
  const tooLong = expectProblem(t, await api.post(`/v1/sources/${long.id}/extract?commit=true`), 413, 'payload_too_large');
  t.same(tooLong.errors, [{ path: 'source.text', message: 'is longer than 200000 characters' }]);
});

t.test('a retried commit with the same Idempotency-Key replays the first answer and writes once', async (t) => {
  await api.reset();
  const source = await makeSource(api, { text: ARTICLE });
  const send = () =>
    api.request({ method: 'POST', url: `/v1/sources/${source.id}/extract?commit=true`, payload: { keep: [0] }, headers: { 'idempotency-key': 'extract-once' } });
  const first = await send();
  t.equal(first.statusCode, 201);
  const second = await send();
  t.equal(second.statusCode, 201);
  t.same(second.json().claims.map((c: Json) => c.id), first.json().claims.map((c: Json) => c.id));
  t.equal((await countAll(api)).claims, 1);
});
