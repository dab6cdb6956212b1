import t from 'tap';
import { buildTestApp } from './helper.js';
import { eventsOf, expectProblem, makeClaim, makeSource, qs, type Json } from './factories.js';

const api = await buildTestApp(t);

const bulk = (lines: unknown[]) =>
  api.request({ method: 'POST', url: '/v1/bulk', headers: { 'content-type': 'application/x-ndjson' }, payload: lines.map((l) => JSON.stringify(l)).join('\n') });

t.test('language tags are stored canonical on claims, sources and reviews, created or changed, one by one or in bulk', async (t) => {
  await api.reset();
  const claim = await makeClaim(api, { language: 'EN-gb' });
  t.equal(claim.language, 'en-GB', 'claim create');
  t.equal((await api.get(`/v1/claims/${claim.id}`)).json().language, 'en-GB', 'as stored');
  const patched = (await api.patch(`/v1/claims/${claim.id}`, { language: 'SV-fi' })).json();
  t.equal(patched.language, 'sv-FI', 'claim PATCH');
  const [, update] = await eventsOf(api, claim.id);
  t.same(update.after, { language: 'sv-FI' }, 'the event has the stored form');
  t.equal((await api.patch(`/v1/claims/${claim.id}`, { language: 'sv-fi' })).json().version, patched.version, 'the same tag in another case is no change');

  const source = await makeSource(api, { language: 'zh-hant-tw' });
  t.equal(source.language, 'zh-Hant-TW', 'source create: script title case, region upper case');
  t.equal((await api.patch(`/v1/sources/${source.id}`, { language: 'SR-latn-rs' })).json().language, 'sr-Latn-RS', 'source PATCH');

  const review = (await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', language: 'iw' })).json();
  t.equal(review.language, 'he', 'review create: a deprecated code becomes its successor');
  t.equal((await api.patch(`/v1/reviews/${review.id}`, { language: 'PT-br' })).json().language, 'pt-BR', 'review PATCH');

  const res = await bulk([
    { type: 'claim', ref: 'c', data: { text: 'A bulk claim', language: 'EN-us' } },
    { type: 'source', ref: 's', data: { kind: 'article', title: 'A bulk source', language: 'DE-ch' } },
    { type: 'review', data: { claim_ref: 'c', verdict: 'true', language: 'FR' } },
  ]);
  t.equal(res.statusCode, 200, res.body);
  const id = (ref: string) => res.json().results.find((r: Json) => r.ref === ref).id;
  t.equal((await api.get(`/v1/claims/${id('c')}`)).json().language, 'en-US', 'bulk claim');
  t.equal((await api.get(`/v1/sources/${id('s')}`)).json().language, 'de-CH', 'bulk source');
  const [bulkReview] = (await api.get(`/v1/reviews?claim_id=${id('c')}`)).json().data;
  t.equal(bulkReview.language, 'fr', 'bulk review');
});

t.test('a language tag that is not well-formed BCP 47 is 400 naming the field, in a body, a filter and a bulk line', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  // Each has the shape of a tag (letters and hyphens) but breaks its grammar.
  for (const tag of ['en-a', 'en-US-US', 'en-abcdefghi', 'i-klingon']) {
    const problem = expectProblem(t, await api.post('/v1/claims', { text: 'x', language: tag }), 400, 'validation_failed');
    t.same(problem.errors.map((e: Json) => e.path), ['body.language'], tag);
  }
  expectProblem(t, await api.patch(`/v1/claims/${claim.id}`, { language: 'en-a' }), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/claims?language=en-a'), 400, 'validation_failed');
  const problem = expectProblem(t, await bulk([{ type: 'source', data: { kind: 'article', title: 'x', language: 'en-a' } }]), 400, 'validation_failed');
  t.same(problem.errors.map((e: Json) => [e.line, e.path, e.code]), [[1, 'data.language', 'validation_failed']]);
  t.equal((await api.get(`/v1/claims/${claim.id}`)).json().language, 'en', 'nothing changed');
});

t.test('language=en lists claims in en and its regional variants; language=en-GB only en-GB', async (t) => {
  await api.reset();
  const en = await makeClaim(api, { language: 'en' });
  const gb = await makeClaim(api, { language: 'en-GB' });
  const us = await makeClaim(api, { language: 'EN-us' });
  await makeClaim(api, { language: 'es' });
  await makeClaim(api, { language: 'enm', text: 'Middle English is another language' });
  await makeClaim(api, { language: null });
  const list = async (language: string) =>
    ((await api.get(`/v1/claims?${qs({ language, sort: 'created_at', count: true })}`)).json().data as Json[]).map((c) => c.id);
  t.same(await list('en'), [en.id, gb.id, us.id], 'on the subtag boundary: not enm');
  t.same(await list('EN'), [en.id, gb.id, us.id], 'in any case');
  t.same(await list('en-GB'), [gb.id]);
  t.same(await list('en-gb'), [gb.id]);
  t.same(await list('en-AU'), []);
  t.equal((await api.get(`/v1/claims?${qs({ language: 'en', count: true })}`)).json().total, 3, 'the count agrees');
});
