import { createHash } from 'node:crypto';
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { HARBOUR_TEXT, countOf, eventsOf, expectProblem, idsOf, makeAttribution, makeClaim, makeClaimant, makeSource, qs, type Json } from '../factories.js';

const api = await buildTestApp(t);

t.test('creating a source normalises its url and computes the text hash and length', async (t) => {
  await api.reset();
  const res = await api.post('/v1/sources', {
    kind: 'article',
    url: 'HTTPS://Example.COM/news/tunnel?utm_source=x&id=4&UTM_medium=y#comments',
    title: 'Tunnel',
    text: 'héllo 😀',
  });
  t.equal(res.statusCode, 201);
  const body = res.json();
  t.equal(body.url, 'https://example.com/news/tunnel?id=4');
  t.equal(body.text_length, 8);
  t.equal(body.content_sha256, createHash('sha256').update('héllo 😀', 'utf8').digest('hex'));
  t.equal(res.headers.location, `/v1/sources/${body.id}`);
  t.equal(body.version, 1);
  const events = await eventsOf(api, body.id);
  t.same(events.map((e) => e.type), ['source.created']);
});

t.test('a duplicate url is 409 with the existing id, and writes nothing', async (t) => {
  await api.reset();
  const first = await makeSource(api, { url: 'https://example.com/a?b=1' });
  const res = await api.post('/v1/sources', { kind: 'article', title: 'again', url: 'https://EXAMPLE.com/a?b=1&utm_campaign=z#x' });
  t.equal(res.statusCode, 409);
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(res.json().existing_id, first.id);
  t.equal(res.json().code, 'conflict');
  const list = await api.get('/v1/sources?count=true');
  t.equal(list.json().total, 1);
});

t.test('a malformed id is 400, an unknown id is 404, both as problem+json', async (t) => {
  await api.reset();
  expectProblem(t, await api.get('/v1/sources/not-a-uuid'), 400, 'validation_failed');
  const missing = expectProblem(t, await api.get('/v1/sources/0190a5b0-0000-7000-8000-000000000000'), 404, 'not_found');
  t.match(missing.detail, /0190a5b0-0000-7000-8000-000000000000/);
  expectProblem(t, await api.patch('/v1/sources/0190a5b0-0000-7000-8000-000000000000', { title: 'x' }), 404, 'not_found');
  expectProblem(t, await api.del('/v1/sources/0190a5b0-0000-7000-8000-000000000000'), 404, 'not_found');
  t.same(await eventsOf(api), [], 'nothing was logged');
});

t.test('PATCH changes the given fields, adds 1 to version per change, and an unchanged PATCH keeps the version', async (t) => {
  await api.reset();
  const source = await makeSource(api, { authors: ['Mia Holm'], metadata: { desk: 'city' } });
  t.equal(source.version, 1);

  const res = await api.patch(`/v1/sources/${source.id}`, {
    kind: 'report',
    title: 'Council backs harbour tunnel',
    publisher: 'Harbour Gazette Online',
    authors: ['Mia Holm', 'Per Ek'],
    language: 'en-GB',
    published_at: '2026-03-04T10:30:00Z',
  });
  t.equal(res.statusCode, 200);
  const patched = res.json();
  t.equal(patched.kind, 'report');
  t.equal(patched.title, 'Council backs harbour tunnel');
  t.equal(patched.publisher, 'Harbour Gazette Online');
  t.same(patched.authors, ['Mia Holm', 'Per Ek']);
  t.equal(patched.language, 'en-GB');
  t.equal(patched.published_at, '2026-03-04T10:30:00.000Z');
  t.equal(patched.url, source.url, 'fields not in the body stay');
  t.equal(patched.text, HARBOUR_TEXT);
  t.same(patched.metadata, { desk: 'city' });
  t.equal(patched.version, 2);
  t.equal(patched.created_at, source.created_at);
  t.ok(Date.parse(patched.updated_at) >= Date.parse(source.updated_at));

  const again = await api.patch(`/v1/sources/${source.id}`, { title: 'Council backs harbour tunnel', authors: ['Mia Holm', 'Per Ek'] });
  t.equal(again.statusCode, 200);
  t.equal(again.json().version, 2, 'a PATCH that changes nothing keeps the version');
  t.equal(again.json().updated_at, patched.updated_at);

  const third = await api.patch(`/v1/sources/${source.id}`, { title: 'Harbour tunnel approved' });
  t.equal(third.json().version, 3);
  const read = (await api.get(`/v1/sources/${source.id}`)).json();
  t.equal(read.title, 'Harbour tunnel approved');
  t.equal(read.version, 3);

  const events = await eventsOf(api, source.id);
  t.same(events.map((e) => e.type), ['source.created', 'source.updated', 'source.updated'], 'the unchanged PATCH logged nothing');
  t.same(events[1].before, {
    kind: 'article',
    title: 'Council approves harbour tunnel',
    publisher: 'The Harbour Gazette',
    authors: ['Mia Holm'],
    language: 'en',
    published_at: '2026-03-03T09:00:00.000Z',
  });
  t.same(events[1].after, {
    kind: 'report',
    title: 'Council backs harbour tunnel',
    publisher: 'Harbour Gazette Online',
    authors: ['Mia Holm', 'Per Ek'],
    language: 'en-GB',
    published_at: '2026-03-04T10:30:00.000Z',
  });
  t.same(events[2].before, { title: 'Council backs harbour tunnel' });
  t.same(events[2].after, { title: 'Harbour tunnel approved' });
});

t.test('PATCH with null clears the nullable fields, text included; a required field cannot be cleared', async (t) => {
  await api.reset();
  const source = await makeSource(api);
  const res = await api.patch(`/v1/sources/${source.id}`, { url: null, publisher: null, language: null, published_at: null, text: null });
  t.equal(res.statusCode, 200);
  const body = res.json();
  for (const field of ['url', 'publisher', 'language', 'published_at', 'text', 'text_length', 'content_sha256']) {
    t.equal(body[field], null, `${field} is null`);
  }
  t.equal(body.version, 2, 'one PATCH is one change');
  const read = (await api.get(`/v1/sources/${source.id}`)).json();
  t.equal(read.text, null);
  t.equal(read.url, null);

  const refused = expectProblem(t, await api.patch(`/v1/sources/${source.id}`, { title: null }), 400, 'validation_failed');
  t.equal(refused.errors[0].path, 'body.title');
  expectProblem(t, await api.patch(`/v1/sources/${source.id}`, { version: 9 }), 400, 'validation_failed');
  expectProblem(t, await api.patch(`/v1/sources/${source.id}`, {}), 400, 'validation_failed');
  t.equal((await api.get(`/v1/sources/${source.id}`)).json().version, 2, 'refused PATCHes changed nothing');

  const events = await eventsOf(api, source.id);
  t.same(events.map((e) => e.type), ['source.created', 'source.updated']);
  t.same(events[1].after, { url: null, publisher: null, language: null, published_at: null, text_length: null, content_sha256: null });
  t.notOk('text' in events[1].before, 'the log never holds the text');
  t.equal(events[1].before.text_length, HARBOUR_TEXT.length);
});

t.test('changing the url to one another source holds is 409 with that source’s id and changes nothing', async (t) => {
  await api.reset();
  const first = await makeSource(api, { url: 'https://news.example/tunnel' });
  const second = await makeSource(api, { url: 'https://news.example/tunnel-2' });
  const res = await api.patch(`/v1/sources/${second.id}`, { url: 'HTTPS://NEWS.example/tunnel?utm_source=feed#top', title: 'Renamed' });
  const problem = expectProblem(t, res, 409, 'conflict');
  t.equal(problem.existing_id, first.id);
  const read = (await api.get(`/v1/sources/${second.id}`)).json();
  t.equal(read.url, 'https://news.example/tunnel-2');
  t.equal(read.title, second.title, 'the other fields of the refused PATCH were not applied either');
  t.equal(read.version, 1);
  t.same((await eventsOf(api, second.id)).map((e) => e.type), ['source.created']);

  const own = await api.patch(`/v1/sources/${second.id}`, { url: 'https://NEWS.example/tunnel-2#comments' });
  t.equal(own.statusCode, 200, 'its own url, written differently, is no conflict');
  t.equal(own.json().url, 'https://news.example/tunnel-2');
  t.equal(own.json().version, 1, 'and no change');
});

t.test('lists leave out text and give text_length instead', async (t) => {
  await api.reset();
  const withText = await makeSource(api);
  const withoutText = await makeSource(api, { text: null });
  const res = await api.get('/v1/sources');
  t.equal(res.statusCode, 200);
  const rows = res.json().data;
  t.equal(rows.length, 2);
  for (const row of rows) t.notOk('text' in row, 'no text in a list row');
  const byId = new Map(rows.map((r: Json) => [r.id, r]));
  t.equal((byId.get(withText.id) as Json).text_length, HARBOUR_TEXT.length);
  t.equal((byId.get(withText.id) as Json).content_sha256, createHash('sha256').update(HARBOUR_TEXT, 'utf8').digest('hex'));
  t.equal((byId.get(withoutText.id) as Json).text_length, null);
  t.equal(res.json().next_cursor, null);
  t.equal(res.headers.link, undefined);
  t.equal((await api.get(`/v1/sources/${withText.id}`)).json().text, HARBOUR_TEXT, 'the single GET has the text');
});

t.test('the list filters by kind, publisher, normalised url and a published_at range', async (t) => {
  await api.reset();
  const a = await makeSource(api, { kind: 'article', url: 'https://news.example/a?id=1', publisher: 'The Harbour Gazette', published_at: '2026-03-01T08:00:00Z' });
  const b = await makeSource(api, { kind: 'transcript', url: 'https://radio.example/b', publisher: 'City Radio', published_at: '2026-03-05T09:00:00Z' });
  const c = await makeSource(api, { kind: 'report', url: 'https://radio.example/c', publisher: 'City Radio', published_at: null });
  const list = async (params: Record<string, string>) => {
    const res = await api.get(`/v1/sources?${qs(params)}`);
    t.equal(res.statusCode, 200, JSON.stringify(params));
    return idsOf(res).sort();
  };
  t.same(await list({ kind: 'transcript' }), [b.id]);
  t.same(await list({ publisher: 'City Radio' }), [b.id, c.id].sort());
  t.same(await list({ publisher: 'city radio' }), [], 'publisher is exact');
  t.same(await list({ url: 'HTTPS://News.Example/a?id=1&utm_medium=social#x' }), [a.id], 'url is matched after normalisation');
  t.same(await list({ url: 'https://news.example/a' }), [], 'another query string is another url');
  t.same(await list({ published_from: '2026-03-02T00:00:00Z' }), [b.id]);
  t.same(await list({ published_from: '2026-03-05T09:00:00Z' }), [b.id], 'published_from is inclusive');
  t.same(await list({ published_to: '2026-03-05T09:00:00Z' }), [a.id], 'published_to is exclusive');
  t.same(await list({ published_from: '2026-03-01T00:00:00Z', published_to: '2026-03-06T00:00:00Z' }), [a.id, b.id].sort());
  t.same(await list({ published_from: '2026-03-01T00:00:00+01:00', published_to: '2026-03-01T10:00:00+01:00' }), [a.id], 'offsets are honoured');
  t.same(await list({ kind: 'report', publisher: 'City Radio' }), [c.id], 'filters combine');
  expectProblem(t, await api.get('/v1/sources?kind=podcast'), 400, 'validation_failed');
  const badUrl = expectProblem(t, await api.get(`/v1/sources?${qs({ url: 'ftp://news.example/a' })}`), 400, 'validation_failed');
  t.equal(badUrl.errors[0].path, 'query.url');
  expectProblem(t, await api.get('/v1/sources?published_from=yesterday'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/sources?colour=red'), 400, 'validation_failed');
});

t.test('DELETE answers 204, then the source is 404 and the log holds source.deleted without the text', async (t) => {
  await api.reset();
  const source = await makeSource(api);
  const res = await api.del(`/v1/sources/${source.id}`);
  t.equal(res.statusCode, 204);
  t.equal(res.body, '');
  expectProblem(t, await api.get(`/v1/sources/${source.id}`), 404, 'not_found');
  expectProblem(t, await api.del(`/v1/sources/${source.id}`), 404, 'not_found');
  t.equal(await countOf(api, '/v1/sources'), 0);
  const events = await eventsOf(api, source.id);
  t.same(events.map((e) => e.type), ['source.created', 'source.deleted']);
  t.equal(events[1].after, null);
  t.equal(events[1].before.title, source.title);
  t.notOk('text' in events[0].after, 'created event has no text');
  t.same(Object.keys(events[0].after).sort(), Object.keys(source).filter((k) => k !== 'text').sort(), 'but every other field the API shows');
  t.notOk('text' in events[1].before, 'deleted event has no text');
});

t.test('deleting a source attributions use is 409 in_use and changes nothing; cascade=true deletes them and refreshes the claims', async (t) => {
  await api.reset();
  const early = await makeSource(api, { published_at: '2026-03-01T07:00:00Z' });
  const late = await makeSource(api, { published_at: '2026-03-10T07:00:00Z' });
  const claimant = await makeClaimant(api);
  const claim = await makeClaim(api, {
    attributions: [
      { source_id: early.id, claimant_id: claimant.id, quote: 'will cost 2.4 billion euros' },
      { source_id: late.id, claimant_id: claimant.id, quote: 'not a cent more' },
    ],
  });
  t.equal(claim.attribution_count, 2);
  t.equal(claim.first_seen_at, '2026-03-01T07:00:00.000Z');
  const [inEarly, inLate] = claim.attributions;
  const eventsBefore = (await eventsOf(api)).length;

  const refused = expectProblem(t, await api.del(`/v1/sources/${early.id}`), 409, 'in_use');
  t.type(refused.detail, 'string');
  t.equal((await api.get(`/v1/sources/${early.id}`)).statusCode, 200, 'the source is still there');
  t.equal((await api.get(`/v1/attributions/${inEarly.id}`)).statusCode, 200, 'and its attribution');
  t.equal((await api.get(`/v1/claims/${claim.id}`)).json().attribution_count, 2);
  t.equal((await eventsOf(api)).length, eventsBefore, 'nothing logged');

  expectProblem(t, await api.del(`/v1/sources/${early.id}?cascade=false`), 409, 'in_use');

  const res = await api.del(`/v1/sources/${early.id}?cascade=true`);
  t.equal(res.statusCode, 204);
  expectProblem(t, await api.get(`/v1/sources/${early.id}`), 404, 'not_found');
  expectProblem(t, await api.get(`/v1/attributions/${inEarly.id}`), 404, 'not_found');
  t.equal((await api.get(`/v1/attributions/${inLate.id}`)).statusCode, 200, 'attributions in other sources stay');
  const after = (await api.get(`/v1/claims/${claim.id}`)).json();
  t.equal(after.attribution_count, 1);
  t.equal(after.first_seen_at, '2026-03-10T07:00:00.000Z');
  t.equal(after.version, claim.version + 1, 'the claim’s derived fields changed, so did its version');
  t.equal((await api.get(`/v1/claimants/${claimant.id}`)).statusCode, 200, 'the claimant stays');
  const logged = (await eventsOf(api)).slice(eventsBefore);
  t.same(logged.map((e) => [e.type, e.entity_id]), [
    ['attribution.deleted', inEarly.id],
    ['claim.updated', claim.id],
    ['source.deleted', early.id],
  ]);
  t.same(logged[1].before, { attribution_count: 2, first_seen_at: '2026-03-01T07:00:00.000Z' });
  t.same(logged[1].after, { attribution_count: 1, first_seen_at: '2026-03-10T07:00:00.000Z' });
});

t.test('changing the text of a source that anchored attributions use is 409 in_use and leaves the text', async (t) => {
  await api.reset();
  const source = await makeSource(api);
  const claim = await makeClaim(api);
  const attribution = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: 'not a cent more' });
  t.equal(attribution.anchored, true);

  const changed = HARBOUR_TEXT.replace('31 to 14', '30 to 15');
  expectProblem(t, await api.patch(`/v1/sources/${source.id}`, { text: changed, title: 'Also a new title' }), 409, 'in_use');
  expectProblem(t, await api.patch(`/v1/sources/${source.id}`, { text: null }), 409, 'in_use');
  const read = (await api.get(`/v1/sources/${source.id}`)).json();
  t.equal(read.text, HARBOUR_TEXT);
  t.equal(read.title, source.title);
  t.equal(read.content_sha256, source.content_sha256);
  t.equal(read.version, 1);
  t.same((await api.get(`/v1/attributions/${attribution.id}`)).json().selector, attribution.selector);

  const same = await api.patch(`/v1/sources/${source.id}`, { text: HARBOUR_TEXT });
  t.equal(same.statusCode, 200, 'sending the same text again is no change');
  t.equal(same.json().version, 1);
  t.same((await eventsOf(api, source.id)).map((e) => e.type), ['source.created']);
});

t.test('giving text to a source without text anchors the quotes of its attributions', async (t) => {
  await api.reset();
  const source = await makeSource(api, { text: null });
  const claim = await makeClaim(api);
  const quoted = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the Port Authority', quote: '"12,000 jobs over ten years"' });
  const unquoted = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the council', kind: 'paraphrase' });
  t.equal(quoted.anchored, false);
  t.equal(quoted.selector, null);

  const res = await api.patch(`/v1/sources/${source.id}`, { text: HARBOUR_TEXT });
  t.equal(res.statusCode, 200);
  t.equal(res.json().text_length, HARBOUR_TEXT.length);
  t.equal(res.json().version, 2);

  const text = (await api.get(`/v1/sources/${source.id}`)).json().text;
  const anchored = (await api.get(`/v1/attributions/${quoted.id}`)).json();
  t.equal(anchored.anchored, true);
  t.equal(anchored.selector.exact, '“12,000 jobs over ten years”', 'exact keeps the source’s typographic quotes');
  t.equal(anchored.selector.start, HARBOUR_TEXT.indexOf('“12,000'));
  t.equal(text.slice(anchored.selector.start, anchored.selector.end), anchored.selector.exact);
  t.equal(anchored.quote, '"12,000 jobs over ten years"', 'the quote as sent is kept');
  t.equal(anchored.version, 2);
  const untouched = (await api.get(`/v1/attributions/${unquoted.id}`)).json();
  t.equal(untouched.anchored, false, 'an attribution without a quote stays unanchored');
  t.equal(untouched.version, 1);

  const attributionEvents = await eventsOf(api, quoted.id);
  t.same(attributionEvents.map((e) => e.type), ['attribution.created', 'attribution.updated']);
  t.same(Object.keys(attributionEvents[1].after).sort(), ['anchored', 'parts', 'selector']);
  t.same(attributionEvents[1].before, { anchored: false, selector: null, parts: null });
  t.same(attributionEvents[1].after.parts, [{ exact: anchored.selector.exact, start: anchored.selector.start, end: anchored.selector.end }]);
  const sourceEvents = await eventsOf(api, source.id);
  t.same(sourceEvents.map((e) => e.type), ['source.created', 'source.updated']);
  t.same(sourceEvents[1].after, { text_length: HARBOUR_TEXT.length, content_sha256: createHash('sha256').update(HARBOUR_TEXT, 'utf8').digest('hex') });
  t.same((await eventsOf(api, unquoted.id)).map((e) => e.type), ['attribution.created']);
});

t.test('giving a source text that misses a quote of its attributions is 422 quote_not_in_source and changes nothing', async (t) => {
  await api.reset();
  const source = await makeSource(api, { text: null });
  const claim = await makeClaim(api);
  const present = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: 'not a cent more' });
  const missing = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor', quote: 'the tunnel opens in 2029' });
  const eventsBefore = (await eventsOf(api)).length;

  const problem = expectProblem(t, await api.patch(`/v1/sources/${source.id}`, { text: HARBOUR_TEXT }), 422, 'quote_not_in_source');
  t.equal(problem.errors.length, 1);
  t.equal(problem.errors[0].path, 'body.text');
  t.match(problem.errors[0].message, missing.id);

  const read = (await api.get(`/v1/sources/${source.id}`)).json();
  t.equal(read.text, null);
  t.equal(read.text_length, null);
  t.equal(read.version, 1);
  for (const a of [present, missing]) {
    const row = (await api.get(`/v1/attributions/${a.id}`)).json();
    t.equal(row.anchored, false);
    t.equal(row.selector, null);
    t.equal(row.version, 1);
  }
  t.equal((await eventsOf(api)).length, eventsBefore, 'no event survived the refused change');
});

t.test('changing published_at moves first_seen_at of the claims that have no said_at', async (t) => {
  await api.reset();
  const source = await makeSource(api, { published_at: '2026-03-03T09:00:00Z' });
  const claimant = await makeClaimant(api);
  const undated = await makeClaim(api, { attributions: [{ source_id: source.id, claimant_id: claimant.id, quote: 'not a cent more' }] });
  const dated = await makeClaim(api, {
    attributions: [{ source_id: source.id, claimant_id: claimant.id, quote: 'wishful thinking', said_at: '2026-03-02T18:00:00Z' }],
  });
  t.equal(undated.first_seen_at, '2026-03-03T09:00:00.000Z');
  t.equal(dated.first_seen_at, '2026-03-02T18:00:00.000Z');

  t.equal((await api.patch(`/v1/sources/${source.id}`, { published_at: '2026-02-27T12:00:00Z' })).statusCode, 200);
  let read = (await api.get(`/v1/claims/${undated.id}`)).json();
  t.equal(read.first_seen_at, '2026-02-27T12:00:00.000Z');
  t.equal(read.version, 2);
  t.equal((await api.get(`/v1/claims/${dated.id}`)).json().first_seen_at, '2026-03-02T18:00:00.000Z', 'said_at wins over published_at');
  t.equal((await api.get(`/v1/claims/${dated.id}`)).json().version, 1, 'a claim whose derived fields did not change keeps its version');

  t.equal((await api.patch(`/v1/sources/${source.id}`, { published_at: null })).statusCode, 200);
  read = (await api.get(`/v1/claims/${undated.id}`)).json();
  t.equal(read.first_seen_at, null);
  t.equal(read.version, 3);

  const claimEvents = await eventsOf(api, undated.id);
  t.same(claimEvents.map((e) => e.type), ['claim.created', 'claim.updated', 'claim.updated']);
  t.same(claimEvents[1].before, { first_seen_at: '2026-03-03T09:00:00.000Z' });
  t.same(claimEvents[1].after, { first_seen_at: '2026-02-27T12:00:00.000Z' });
  t.same(claimEvents[2].after, { first_seen_at: null });
  t.same((await eventsOf(api, dated.id)).map((e) => e.type), ['claim.created'], 'an unaffected claim logs nothing');
  const sourceEvents = await eventsOf(api, source.id);
  t.same(sourceEvents.map((e) => e.type), ['source.created', 'source.updated', 'source.updated']);
  t.same(sourceEvents[2].before, { published_at: '2026-02-27T12:00:00.000Z' });
  t.same(sourceEvents[2].after, { published_at: null });
});

t.test('re-sending the metadata a source already has is no change: same version, no event', async (t) => {
  await api.reset();
  const source = await makeSource(api, { metadata: { wire_id: 'HG-4182', desk: 'city' } });
  const read = (await api.get(`/v1/sources/${source.id}`)).json();
  t.same(read.metadata, { wire_id: 'HG-4182', desk: 'city' });
  const res = await api.patch(`/v1/sources/${source.id}`, { metadata: { wire_id: 'HG-4182', desk: 'city' } });
  t.equal(res.statusCode, 200);
  t.equal(res.json().version, 1, 'the metadata the client created the source with is no change');
  t.same((await eventsOf(api, source.id)).map((e) => e.type), ['source.created']);
  const changed = await api.patch(`/v1/sources/${source.id}`, { metadata: { wire_id: 'HG-4183', desk: 'city' } });
  t.equal(changed.json().version, res.json().version + 1);
});

t.test('a url differing only by tracking parameters or a trailing slash is the same source; www. and http are others', async (t) => {
  await api.reset();
  const first = await makeSource(api, { url: 'https://news.example/politics/tunnel/?id=4&fbclid=IwAR0x&gclid=Cj0K' });
  t.equal(first.url, 'https://news.example/politics/tunnel?id=4');
  for (const url of ['https://news.example/politics/tunnel?id=4&mc_cid=1&mc_eid=2', 'https://news.example/politics/tunnel/?igshid=x&id=4&_ga=2.1']) {
    const problem = expectProblem(t, await api.post('/v1/sources', { kind: 'article', title: 'again', url }), 409, 'conflict');
    t.equal(problem.existing_id, first.id, url);
  }
  t.same(idsOf(await api.get(`/v1/sources?${qs({ url: 'https://news.example/politics/tunnel/?msclkid=9&id=4' })}`)), [first.id], 'the url filter normalises too');
  for (const url of ['https://www.news.example/politics/tunnel?id=4', 'http://news.example/politics/tunnel?id=4']) {
    t.equal((await api.post('/v1/sources', { kind: 'article', title: 'another site', url })).statusCode, 201, url);
  }
  const root = await makeSource(api, { url: 'https://news.example/?utm_source=x' });
  t.equal(root.url, 'https://news.example/', 'the root keeps its slash');
  t.equal((await api.patch(`/v1/sources/${root.id}`, { url: 'https://news.example/about/?fbclid=1' })).json().url, 'https://news.example/about', 'PATCH normalises too');
});
