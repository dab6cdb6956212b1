import t from 'tap';
import { buildTestApp } from './helper.js';
import { eventLog, expectProblem, makeAttribution, makeClaim, makeClaimant, makeSource, type Json } from './factories.js';

const api = await buildTestApp(t);

const withHeaders = (method: 'GET' | 'PATCH' | 'DELETE' | 'POST', url: string, headers: Record<string, string>, payload?: Json) =>
  api.request({ method, url, headers, ...(payload ? { payload } : {}) });

/** One row of each kind, the review on the claim, the attribution linking claim, source and claimant. */
async function rows() {
  const source = await makeSource(api);
  const claimant = await makeClaimant(api, { name: 'Ana Lindqvist' });
  const claim = await makeClaim(api, { text: 'The harbour tunnel will cost 2.4 billion euros' });
  const attribution = await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: claimant.id, quote: 'The harbour tunnel will cost 2.4 billion euros' });
  const review = (await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'misleading', summary: 'Leaves out financing.' })).json();
  return { source, claimant, claim: (await api.get(`/v1/claims/${claim.id}`)).json() as Json, attribution, review };
}

const paths = (r: Awaited<ReturnType<typeof rows>>) => ({
  source: `/v1/sources/${r.source.id}`,
  claimant: `/v1/claimants/${r.claimant.id}`,
  claim: `/v1/claims/${r.claim.id}`,
  attribution: `/v1/attributions/${r.attribution.id}`,
  review: `/v1/reviews/${r.review.id}`,
});

/** A harmless change for each kind of row. */
const edits: Record<string, Json> = {
  source: { title: 'Harbour tunnel approved' },
  claimant: { description: 'Mayor of Harbourview' },
  claim: { topics: ['transport'] },
  attribution: { kind: 'paraphrase' },
  review: { summary: 'Leaves out 0.6 billion of financing.' },
};

t.test('single-resource GETs send a strong ETag "v<version>"', async (t) => {
  await api.reset();
  const r = await rows();
  for (const [kind, path] of Object.entries(paths(r))) {
    const res = await api.get(path);
    t.equal(res.statusCode, 200, kind);
    t.equal(res.headers.etag, `"v${res.json().version}"`, `${kind}: ETag from the version`);
  }
  t.equal((await api.get(paths(r).claim)).headers.etag, '"v3"', 'the attribution and the review each moved the claim a version up');
  t.equal((await api.get(paths(r).source)).headers.etag, '"v1"');
  t.equal((await api.get('/v1/claims')).headers.etag, undefined, 'lists have no version, so no ETag');
});

t.test('If-None-Match with the current ETag is 304 without a body; a stale or foreign one is 200', async (t) => {
  await api.reset();
  const r = await rows();
  for (const [kind, path] of Object.entries(paths(r))) {
    const etag = (await api.get(path)).headers.etag as string;
    const hit = await withHeaders('GET', path, { 'if-none-match': etag });
    t.equal(hit.statusCode, 304, `${kind}: 304`);
    t.equal(hit.body, '', `${kind}: empty body`);
    t.equal(hit.headers.etag, etag, `${kind}: the 304 repeats the ETag`);
  }
  const path = paths(r).source;
  t.equal((await withHeaders('GET', path, { 'if-none-match': 'W/"v1"' })).statusCode, 304, 'If-None-Match compares weakly');
  t.equal((await withHeaders('GET', path, { 'if-none-match': '"v7", "v1"' })).statusCode, 304, 'any tag of a list');
  t.equal((await withHeaders('GET', path, { 'if-none-match': '*' })).statusCode, 304, '* matches an existing resource');
  const other = await withHeaders('GET', path, { 'if-none-match': '"v2"' });
  t.equal(other.statusCode, 200);
  t.equal(other.json().id, r.source.id);

  t.equal((await api.patch(path, edits.source)).statusCode, 200);
  const stale = await withHeaders('GET', path, { 'if-none-match': '"v1"' });
  t.equal(stale.statusCode, 200, 'a tag of an older version gets the new representation');
  t.equal(stale.headers.etag, '"v2"');
  t.equal(stale.json().title, 'Harbour tunnel approved');
  t.equal((await withHeaders('GET', path, { 'if-none-match': '"v2"' })).statusCode, 304);
});

t.test('POST answers 201 and PATCH 200 with the ETag of the new version, which a GET confirms', async (t) => {
  await api.reset();
  const created = await api.post('/v1/claims', { text: 'The harbour tunnel will cost 2.4 billion euros' });
  t.equal(created.statusCode, 201);
  t.equal(created.headers.etag, '"v1"');
  const path = `/v1/claims/${created.json().id}`;
  const patched = await api.patch(path, { topics: ['transport'] });
  t.equal(patched.statusCode, 200);
  t.equal(patched.headers.etag, '"v2"');
  t.equal((await api.get(path)).headers.etag, patched.headers.etag);
  const unchanged = await api.patch(path, { topics: ['transport'] });
  t.equal(unchanged.headers.etag, '"v2"', 'a PATCH that changes nothing keeps the tag');

  const review = await api.post(`${path}/reviews`, { verdict: 'false' });
  t.equal(review.statusCode, 201);
  t.equal(review.headers.etag, '"v1"');
  const reviewPatch = await api.patch(`/v1/reviews/${review.json().id}`, { verdict: 'mixed' });
  t.equal(reviewPatch.headers.etag, '"v2"');
  t.equal((await api.get(path)).headers.etag, '"v4"', 'each review write changed the claim’s verdict, and so its tag');
  const source = await api.post('/v1/sources', { kind: 'article', title: 'A', url: 'https://news.example/a' });
  t.equal(source.headers.etag, '"v1"');
});

t.test('PATCH with a stale If-Match is 412 precondition_failed and changes nothing', async (t) => {
  await api.reset();
  const r = await rows();
  for (const [kind, path] of Object.entries(paths(r))) {
    const before = (await api.get(path)).json();
    const logBefore = await eventLog(api);
    const stale = `"v${before.version - 1 || 99}"`;
    const problem = expectProblem(t, await withHeaders('PATCH', path, { 'if-match': stale }, edits[kind]), 412, 'precondition_failed');
    t.match(problem.detail, `"v${before.version}"`, `${kind}: the detail names the current tag`);
    const after = (await api.get(path)).json();
    t.strictSame(after, before, `${kind}: unchanged, version included`);
    t.same(await eventLog(api), logBefore, `${kind}: nothing logged`);

    const current = await withHeaders('PATCH', path, { 'if-match': `"v${before.version}"` }, edits[kind]);
    t.equal(current.statusCode, 200, `${kind}: the current tag passes`);
    t.equal(current.json().version, before.version + 1);
    t.equal(current.headers.etag, `"v${before.version + 1}"`);
  }
});

t.test('DELETE with a stale If-Match is 412 and deletes nothing; with the current tag it deletes', async (t) => {
  await api.reset();
  const r = await rows();
  const claimPath = paths(r).claim;
  expectProblem(t, await withHeaders('DELETE', claimPath, { 'if-match': '"v1"' }), 412, 'precondition_failed');
  const still = await api.get(claimPath);
  t.equal(still.statusCode, 200);
  t.strictSame(still.json(), r.claim);
  t.equal((await api.get(paths(r).review)).statusCode, 200, 'its review is still there');
  t.equal((await api.get(paths(r).attribution)).statusCode, 200, 'and its attribution');

  for (const [kind, path] of Object.entries(paths(r)).filter(([k]) => k !== 'claim')) {
    expectProblem(t, await withHeaders('DELETE', path, { 'if-match': '"v42"' }), 412, 'precondition_failed');
    t.equal((await api.get(path)).statusCode, 200, `${kind} survived`);
  }

  const reviewPath = paths(r).review;
  t.equal((await withHeaders('DELETE', reviewPath, { 'if-match': '"v1"' })).statusCode, 204);
  expectProblem(t, await api.get(reviewPath), 404, 'not_found');
  t.equal((await withHeaders('DELETE', claimPath, { 'if-match': '"v4"' })).statusCode, 204, 'deleting the review made the claim v4');
  expectProblem(t, await api.get(claimPath), 404, 'not_found');
});

t.test('If-Match: * passes, a list passes when one tag matches, and a weak tag never matches', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const path = `/v1/claims/${claim.id}`;
  for (const weak of ['W/"v1"', 'w/"v1"', 'v1', '"1"', '"v01x"', '']) {
    expectProblem(t, await withHeaders('PATCH', path, { 'if-match': weak }, { topics: ['a'] }), 412, 'precondition_failed');
  }
  const read = (await api.get(path)).json();
  t.equal(read.version, 1, 'none of the refused PATCHes changed the claim');
  t.strictSame(read.topics, []);

  const star = await withHeaders('PATCH', path, { 'if-match': '*' }, { topics: ['a'] });
  t.equal(star.statusCode, 200);
  t.equal(star.json().version, 2);
  const list = await withHeaders('PATCH', path, { 'if-match': '"v1", "v2"' }, { topics: ['b'] });
  t.equal(list.statusCode, 200);
  t.equal(list.json().version, 3);
  t.strictSame((await api.get(path)).json().topics, ['b']);
});

t.test('8 parallel PATCHes of one claim with the same ETag: exactly one wins, the others are 412', async (t) => {
  await api.reset();
  const claim = await makeClaim(api, { text: 'The harbour tunnel will cost 2.4 billion euros' });
  const path = `/v1/claims/${claim.id}`;
  const etag = (await api.get(path)).headers.etag as string;
  t.equal(etag, '"v1"');
  const texts = Array.from({ length: 8 }, (_, i) => `Editor ${i}: the harbour tunnel will cost 2.4 billion euros`);
  const answers = await Promise.all(texts.map((text) => withHeaders('PATCH', path, { 'if-match': etag }, { text })));
  const statuses = answers.map((a) => a.statusCode).sort();
  t.strictSame(statuses, [200, 412, 412, 412, 412, 412, 412, 412]);
  for (const refused of answers.filter((a) => a.statusCode === 412)) {
    t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.equal(refused.json().code, 'precondition_failed');
  }
  const winner = answers.find((a) => a.statusCode === 200)!;
  const read = (await api.get(path)).json();
  t.equal(read.version, 2, 'the version rose by exactly one');
  t.equal(read.text, winner.json().text, 'the winner’s text is the one kept');
  t.ok(texts.includes(read.text));
  t.equal((await eventLog(api, claim.id)).filter(([type]) => type === 'claim.updated').length, 1, 'one update logged');
});

t.test('an ETag read with include= differs from the plain one, follows embedded rows, and still guards a PATCH', async (t) => {
  await api.reset();
  const r = await rows();
  const path = paths(r).claim;
  const plain = (await api.get(path)).headers.etag as string;
  const embedded = await api.get(`${path}?include=attributions,reviews`);
  t.equal(embedded.statusCode, 200);
  const tag = embedded.headers.etag as string;
  t.not(tag, plain, 'the embedding is part of the representation');
  t.match(tag, /^"v3-[A-Za-z0-9_-]+"$/);
  t.equal((await withHeaders('GET', `${path}?include=attributions,reviews`, { 'if-none-match': tag })).statusCode, 304);
  t.equal((await withHeaders('GET', path, { 'if-none-match': tag })).statusCode, 200, 'the embedding tag is not the plain representation’s');

  t.equal((await api.patch(paths(r).attribution, { kind: 'paraphrase' })).statusCode, 200);
  t.equal((await api.get(path)).headers.etag, plain, 'an attribution edit leaves the claim’s own version');
  const moved = await withHeaders('GET', `${path}?include=attributions,reviews`, { 'if-none-match': tag });
  t.equal(moved.statusCode, 200, 'but a cached embedding is stale');
  t.not(moved.headers.etag, tag);
  t.equal(moved.json().attributions[0].kind, 'paraphrase');

  const patched = await withHeaders('PATCH', path, { 'if-match': tag }, { topics: ['transport'] });
  t.equal(patched.statusCode, 200, 'the include tag guards a PATCH of the claim');
  t.equal(patched.json().version, 4);
  expectProblem(t, await withHeaders('PATCH', path, { 'if-match': tag }, { topics: ['budget'] }), 412, 'precondition_failed');
  t.strictSame((await api.get(path)).json().topics, ['transport']);
});
