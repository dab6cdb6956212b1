import t from 'tap';
import { buildTestApp } from '../helper.js';
import { countOf, eventLog, eventsOf, expectProblem, idsOf, makeAttribution, makeClaim, makeClaimant, makeSource, qs, type Json } from '../factories.js';

const api = await buildTestApp(t);

const UNKNOWN_ID = '0190a5b0-0000-7000-8000-000000000000';

async function makeReview(claimId: string, body: Json): Promise<Json> {
  const res = await api.post(`/v1/claims/${claimId}/reviews`, body);
  if (res.statusCode !== 201) throw new Error(`creating a review answered ${res.statusCode}: ${res.body}`);
  return res.json();
}

const readClaim = async (id: string): Promise<Json> => {
  const res = await api.get(`/v1/claims/${id}`);
  if (res.statusCode !== 200) throw new Error(`reading claim ${id} answered ${res.statusCode}: ${res.body}`);
  return res.json();
};

const readReview = async (id: string): Promise<Json> => {
  const res = await api.get(`/v1/reviews/${id}`);
  if (res.statusCode !== 200) throw new Error(`reading review ${id} answered ${res.statusCode}: ${res.body}`);
  return res.json();
};

t.test('reviewing a claim answers 201 with Location, keeps every field, and moves the claim to reviewed with that verdict', async (t) => {
  await api.reset();
  const claim = await makeClaim(api, { text: 'The harbour tunnel will cost 2.4 billion euros' });
  const budget = await makeSource(api, { kind: 'report', url: 'https://city.example/budget-2026', title: 'Harbour tunnel budget 2026–2032', text: null });
  const article = await makeSource(api, { url: 'https://harbourgazette.example/tunnel' });
  t.equal(claim.status, 'unreviewed');
  t.equal(claim.verdict, null);

  const res = await api.post(`/v1/claims/${claim.id}/reviews`, {
    verdict: 'misleading',
    textual_rating: 'Leaves out the financing',
    rating_value: 2,
    best_rating: 5,
    worst_rating: 1,
    summary: 'The 2.4 billion covers construction only; financing adds 0.6 billion.',
    reviewer_name: 'Harbour Fact Desk',
    reviewer_url: 'https://factdesk.example/',
    url: 'https://factdesk.example/checks/harbour-tunnel-cost',
    published_at: '2026-03-06T12:00:00+01:00',
    language: 'en',
    evidence: [
      { source_id: budget.id, stance: 'refutes', note: 'Table 3: financing 0.6 billion' },
      { source_id: article.id, stance: 'context' },
    ],
  });
  t.equal(res.statusCode, 201);
  const review = res.json();
  t.equal(res.headers.location, `/v1/reviews/${review.id}`);
  t.match(review.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.equal(review.claim_id, claim.id);
  t.equal(review.verdict, 'misleading');
  t.equal(review.textual_rating, 'Leaves out the financing');
  t.equal(review.rating_value, 2);
  t.equal(review.best_rating, 5);
  t.equal(review.worst_rating, 1);
  t.equal(review.summary, 'The 2.4 billion covers construction only; financing adds 0.6 billion.');
  t.equal(review.reviewer_name, 'Harbour Fact Desk');
  t.equal(review.reviewer_url, 'https://factdesk.example/');
  t.equal(review.url, 'https://factdesk.example/checks/harbour-tunnel-cost');
  t.equal(review.published_at, '2026-03-06T11:00:00.000Z', 'published_at is returned in UTC');
  t.equal(review.language, 'en');
  t.strictSame(review.evidence, [
    { source_id: budget.id, stance: 'refutes', note: 'Table 3: financing 0.6 billion' },
    { source_id: article.id, stance: 'context', note: null },
  ]);
  t.equal(review.version, 1);
  t.equal(review.created_at, review.updated_at);

  t.strictSame(await readReview(review.id), review, 'GET answers what POST answered');

  const after = await readClaim(claim.id);
  t.equal(after.status, 'reviewed');
  t.equal(after.verdict, 'misleading');
  t.equal(after.review_count, 1);
  t.equal(after.version, 2, 'the claim’s representation changed, so its version rose');
  t.same(await eventLog(api, review.id), [['review.created', review.id]]);
  const claimEvents = await eventsOf(api, claim.id);
  t.same(claimEvents.map((e) => e.type), ['claim.created', 'claim.updated']);
  t.strictSame(claimEvents[1].before, { review_count: 0, verdict: null, status: 'unreviewed' });
  t.strictSame(claimEvents[1].after, { review_count: 1, verdict: 'misleading', status: 'reviewed' });
});

t.test('the claim’s verdict is the newest review’s by published_at, then by creation', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  await makeReview(claim.id, { verdict: 'false', published_at: '2026-03-05T10:00:00Z' });
  t.equal((await readClaim(claim.id)).verdict, 'false');

  await makeReview(claim.id, { verdict: 'true', published_at: '2026-03-04T10:00:00Z' });
  t.equal((await readClaim(claim.id)).verdict, 'false', 'a review published earlier does not take over, though created later');

  await makeReview(claim.id, { verdict: 'misleading', published_at: '2026-03-06T10:00:00Z' });
  t.equal((await readClaim(claim.id)).verdict, 'misleading', 'a review published later does');

  await makeReview(claim.id, { verdict: 'mostly_false', published_at: '2026-03-06T10:00:00Z' });
  t.equal((await readClaim(claim.id)).verdict, 'mostly_false', 'on equal published_at the later created wins');

  const read = await readClaim(claim.id);
  t.equal(read.status, 'reviewed');
  t.equal(read.review_count, 4);
  t.equal(await countOf(api, `/v1/claims?${qs({ verdict: 'mostly_false' })}`), 1, 'the claims list filters on the derived verdict');
  t.equal(await countOf(api, `/v1/claims?${qs({ verdict: 'false' })}`), 0);
});

t.test('PATCHing a review’s verdict or published_at recomputes the claim’s verdict', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const older = await makeReview(claim.id, { verdict: 'true', published_at: '2026-03-01T10:00:00Z' });
  const newer = await makeReview(claim.id, { verdict: 'false', published_at: '2026-03-02T10:00:00Z' });
  t.equal((await readClaim(claim.id)).verdict, 'false');

  const changed = await api.patch(`/v1/reviews/${newer.id}`, { verdict: 'mixed' });
  t.equal(changed.statusCode, 200);
  t.equal(changed.json().verdict, 'mixed');
  t.equal(changed.json().version, 2);
  t.equal((await readClaim(claim.id)).verdict, 'mixed', 'the newest review’s new verdict');

  const moved = await api.patch(`/v1/reviews/${older.id}`, { published_at: '2026-03-03T10:00:00Z' });
  t.equal(moved.statusCode, 200);
  t.equal(moved.json().published_at, '2026-03-03T10:00:00.000Z');
  t.equal((await readClaim(claim.id)).verdict, 'true', 'the older review became the newest by published_at');

  const noChange = await api.patch(`/v1/reviews/${older.id}`, { verdict: 'true' });
  t.equal(noChange.statusCode, 200);
  t.equal(noChange.json().version, 2, 'a PATCH that changes nothing keeps the version');

  const claimEvents = await eventsOf(api, claim.id);
  t.same(claimEvents.map((e) => e.type), ['claim.created', 'claim.updated', 'claim.updated', 'claim.updated', 'claim.updated']);
  t.strictSame(claimEvents.slice(2).map((e) => [e.before.verdict, e.after.verdict]), [
    ['true', 'false'],
    ['false', 'mixed'],
    ['mixed', 'true'],
  ]);
  const reviewEvents = await eventsOf(api, newer.id);
  t.same(reviewEvents.map((e) => e.type), ['review.created', 'review.updated']);
  t.strictSame(reviewEvents[1].before, { verdict: 'false' });
  t.strictSame(reviewEvents[1].after, { verdict: 'mixed' });
});

t.test('deleting the newest review falls back to the next one; deleting the last returns the claim to unreviewed without a verdict', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const first = await makeReview(claim.id, { verdict: 'mostly_true', published_at: '2026-03-01T10:00:00Z' });
  const second = await makeReview(claim.id, { verdict: 'false', published_at: '2026-03-02T10:00:00Z' });
  t.equal((await readClaim(claim.id)).verdict, 'false');

  const del = await api.del(`/v1/reviews/${second.id}`);
  t.equal(del.statusCode, 204);
  t.equal(del.body, '');
  expectProblem(t, await api.get(`/v1/reviews/${second.id}`), 404, 'not_found');
  let read = await readClaim(claim.id);
  t.equal(read.verdict, 'mostly_true');
  t.equal(read.status, 'reviewed');
  t.equal(read.review_count, 1);

  t.equal((await api.del(`/v1/reviews/${first.id}`)).statusCode, 204);
  read = await readClaim(claim.id);
  t.equal(read.verdict, null);
  t.equal(read.status, 'unreviewed');
  t.equal(read.review_count, 0);
  t.equal(await countOf(api, '/v1/reviews'), 0);
  expectProblem(t, await api.del(`/v1/reviews/${first.id}`), 404, 'not_found');

  const claimEvents = await eventsOf(api, claim.id);
  t.strictSame(claimEvents.at(-1)!.before, { review_count: 1, verdict: 'mostly_true', status: 'reviewed' });
  t.strictSame(claimEvents.at(-1)!.after, { review_count: 0, verdict: null, status: 'unreviewed' });
  const deleted = (await eventsOf(api, second.id)).at(-1)!;
  t.equal(deleted.type, 'review.deleted');
  t.equal(deleted.before.verdict, 'false');
  t.equal(deleted.after, null);
});

t.test('a claim marked in_review stays in_review when an attribution is added and becomes reviewed with its first review', async (t) => {
  await api.reset();
  const claim = await makeClaim(api, { text: 'The harbour tunnel will cost 2.4 billion euros' });
  const marked = await api.patch(`/v1/claims/${claim.id}`, { status: 'in_review' });
  t.equal(marked.statusCode, 200);
  t.equal(marked.json().status, 'in_review');

  const source = await makeSource(api);
  const mayor = await makeClaimant(api, { name: 'Ana Lindqvist' });
  await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: mayor.id, quote: 'The harbour tunnel will cost 2.4 billion euros' });
  let read = await readClaim(claim.id);
  t.equal(read.status, 'in_review', 'an attribution leaves the desk’s status alone');
  t.equal(read.attribution_count, 1);
  t.equal(read.verdict, null);

  const review = await makeReview(claim.id, { verdict: 'misleading' });
  read = await readClaim(claim.id);
  t.equal(read.status, 'reviewed');
  t.equal(read.verdict, 'misleading');

  t.equal((await api.del(`/v1/reviews/${review.id}`)).statusCode, 204);
  read = await readClaim(claim.id);
  t.equal(read.status, 'unreviewed', 'with its only review gone the claim is unreviewed again');
  t.equal(read.verdict, null);

  const refused = expectProblem(t, await api.patch(`/v1/claims/${claim.id}`, { status: 'reviewed' }), 400, 'validation_failed');
  t.equal(refused.errors[0].path, 'body.status');
  t.equal((await readClaim(claim.id)).status, 'unreviewed', 'reviewed is set by reviews only');
});

t.test('a reviewed claim cannot be PATCHed back to unreviewed while it has reviews', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  await makeReview(claim.id, { verdict: 'false' });
  const before = await readClaim(claim.id);
  t.equal(before.status, 'reviewed');
  expectProblem(t, await api.patch(`/v1/claims/${claim.id}`, { status: 'unreviewed' }), 409, 'conflict');
  const after = await readClaim(claim.id);
  t.equal(after.status, 'reviewed', 'status and verdict stay consistent: a claim with a verdict is not unreviewed');
  t.equal(after.verdict, 'false');
  t.equal(after.version, before.version);

  const reopened = await api.patch(`/v1/claims/${claim.id}`, { status: 'in_review' });
  t.equal(reopened.statusCode, 200, 'taking a reviewed claim back into review is fine');
  t.equal(reopened.json().status, 'in_review');
  t.equal(reopened.json().verdict, 'false', 'and keeps the standing verdict meanwhile');
});

t.test('evidence citing an unknown source is 422 naming body.evidence[i].source_id, and writes nothing', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const source = await makeSource(api);
  const logBefore = await eventLog(api);

  const first = expectProblem(
    t,
    await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', evidence: [{ source_id: UNKNOWN_ID, stance: 'refutes' }] }),
    422,
    'unprocessable',
  );
  t.equal(first.errors.length, 1);
  t.equal(first.errors[0].path, 'body.evidence[0].source_id');
  t.match(first.errors[0].message, UNKNOWN_ID);

  const second = expectProblem(
    t,
    await api.post(`/v1/claims/${claim.id}/reviews`, {
      verdict: 'false',
      evidence: [
        { source_id: source.id, stance: 'supports' },
        { source_id: UNKNOWN_ID, stance: 'refutes' },
      ],
    }),
    422,
    'unprocessable',
  );
  t.strictSame(second.errors.map((e: Json) => e.path), ['body.evidence[1].source_id'], 'only the unknown one is named');

  t.equal(await countOf(api, '/v1/reviews'), 0, 'no review was written');
  const read = await readClaim(claim.id);
  t.equal(read.status, 'unreviewed');
  t.equal(read.verdict, null);
  t.equal(read.version, 1);
  t.same(await eventLog(api), logBefore, 'nothing was logged');

  const review = await makeReview(claim.id, { verdict: 'false', evidence: [{ source_id: source.id, stance: 'refutes' }] });
  const patch = expectProblem(t, await api.patch(`/v1/reviews/${review.id}`, { verdict: 'true', evidence: [{ source_id: UNKNOWN_ID, stance: 'supports' }] }), 422, 'unprocessable');
  t.equal(patch.errors[0].path, 'body.evidence[0].source_id');
  const unchanged = await readReview(review.id);
  t.equal(unchanged.verdict, 'false', 'the refused PATCH applied none of its fields');
  t.strictSame(unchanged.evidence, [{ source_id: source.id, stance: 'refutes', note: null }]);
  t.equal(unchanged.version, 1);
  t.equal((await readClaim(claim.id)).verdict, 'false');

  const malformed = expectProblem(t, await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', evidence: [{ source_id: 'nope', stance: 'refutes' }] }), 400, 'validation_failed');
  t.equal(malformed.errors[0].path, 'body.evidence[0].source_id');
  const badStance = expectProblem(t, await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', evidence: [{ source_id: source.id, stance: 'maybe' }] }), 400, 'validation_failed');
  t.equal(badStance.errors[0].path, 'body.evidence[0].stance');
  t.equal(await countOf(api, '/v1/reviews'), 1);
});

t.test('evidence keeps the order it was given, and PATCH replaces the whole list', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const [a, b, c] = [await makeSource(api), await makeSource(api), await makeSource(api)];
  const given = [
    { source_id: c.id, stance: 'refutes', note: 'third created, listed first' },
    { source_id: a.id, stance: 'context', note: null },
    { source_id: b.id, stance: 'supports', note: 'partly' },
  ];
  const review = await makeReview(claim.id, { verdict: 'mixed', evidence: given });
  t.strictSame(review.evidence, given);
  t.strictSame((await readReview(review.id)).evidence, given);
  const listed = (await api.get(`/v1/reviews?${qs({ claim_id: claim.id })}`)).json().data[0];
  t.strictSame(listed.evidence, given, 'lists carry the evidence in order too');

  const replaced = [
    { source_id: b.id, stance: 'supports', note: null },
    { source_id: c.id, stance: 'refutes', note: null },
  ];
  const res = await api.patch(`/v1/reviews/${review.id}`, { evidence: replaced.map(({ source_id, stance }) => ({ source_id, stance })) });
  t.equal(res.statusCode, 200);
  t.strictSame(res.json().evidence, replaced);
  t.equal(res.json().version, 2);
  t.strictSame((await readReview(review.id)).evidence, replaced);

  const cleared = await api.patch(`/v1/reviews/${review.id}`, { evidence: [] });
  t.strictSame(cleared.json().evidence, []);
  t.equal(cleared.json().version, 3);
  const events = await eventsOf(api, review.id);
  t.same(events.map((e) => e.type), ['review.created', 'review.updated', 'review.updated']);
  t.strictSame(events[2].before, { evidence: replaced });
  t.strictSame(events[2].after, { evidence: [] });
});

t.test('a rating_value outside worst_rating..best_rating is 400 and writes nothing; scales may run either way', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const outside = expectProblem(
    t,
    await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', rating_value: 6, best_rating: 5, worst_rating: 1 }),
    400,
    'validation_failed',
  );
  t.equal(outside.errors[0].path, 'body.rating_value');
  const below = expectProblem(
    t,
    await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', rating_value: 0, best_rating: 5, worst_rating: 1 }),
    400,
    'validation_failed',
  );
  t.equal(below.errors[0].path, 'body.rating_value');
  const same = expectProblem(
    t,
    await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', rating_value: 3, best_rating: 3, worst_rating: 3 }),
    400,
    'validation_failed',
  );
  t.equal(same.errors[0].path, 'body.best_rating');
  expectProblem(t, await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', rating_value: 'two' }), 400, 'validation_failed');
  t.equal(await countOf(api, '/v1/reviews'), 0);
  t.equal((await readClaim(claim.id)).status, 'unreviewed');

  const reversed = await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', rating_value: 4, best_rating: 1, worst_rating: 5 });
  t.equal(reversed.statusCode, 201, 'a scale where 1 is best is fine');
  const edge = await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'true', rating_value: 5, best_rating: 5, worst_rating: 1 });
  t.equal(edge.statusCode, 201, 'the bounds themselves are inside');

  const patched = expectProblem(t, await api.patch(`/v1/reviews/${edge.json().id}`, { rating_value: 9 }), 400, 'validation_failed');
  t.equal(patched.errors[0].path, 'body.rating_value');
  const narrowed = expectProblem(t, await api.patch(`/v1/reviews/${edge.json().id}`, { best_rating: 4 }), 400, 'validation_failed');
  t.equal(narrowed.errors[0].path, 'body.rating_value', 'narrowing the scale below the stored value is refused too');
  const read = await readReview(edge.json().id);
  t.equal(read.rating_value, 5);
  t.equal(read.best_rating, 5);
  t.equal(read.version, 1);
});

t.test('unknown fields, unknown verdicts and malformed bodies are 400 and write nothing', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const missing = expectProblem(t, await api.post(`/v1/claims/${claim.id}/reviews`, { summary: 'no verdict' }), 400, 'validation_failed');
  t.equal(missing.errors[0].path, 'body.verdict');
  const bad = expectProblem(t, await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'pants_on_fire' }), 400, 'validation_failed');
  t.equal(bad.errors[0].path, 'body.verdict');
  const extra = expectProblem(t, await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', claim_id: claim.id }), 400, 'validation_failed');
  t.equal(extra.errors[0].path, 'body.claim_id');
  const url = expectProblem(t, await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', url: 'javascript:alert(1)' }), 400, 'validation_failed');
  t.equal(url.errors[0].path, 'body.url');
  t.equal(await countOf(api, '/v1/reviews'), 0);

  const review = await makeReview(claim.id, { verdict: 'false' });
  expectProblem(t, await api.patch(`/v1/reviews/${review.id}`, {}), 400, 'validation_failed');
  expectProblem(t, await api.patch(`/v1/reviews/${review.id}`, { version: 7 }), 400, 'validation_failed');
  expectProblem(t, await api.patch(`/v1/reviews/${review.id}`, { verdict: null }), 400, 'validation_failed');
  t.equal((await readReview(review.id)).version, 1);
});

t.test('PATCH with null clears a review’s nullable fields', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const review = await makeReview(claim.id, {
    verdict: 'false',
    textual_rating: 'Wrong',
    summary: 'No.',
    reviewer_name: 'Desk',
    url: 'https://factdesk.example/a',
    published_at: '2026-03-01T00:00:00Z',
    language: 'en',
  });
  const res = await api.patch(`/v1/reviews/${review.id}`, { textual_rating: null, summary: null, reviewer_name: null, url: null, published_at: null, language: null });
  t.equal(res.statusCode, 200);
  for (const field of ['textual_rating', 'summary', 'reviewer_name', 'url', 'published_at', 'language']) t.equal(res.json()[field], null, `${field} is null`);
  t.equal(res.json().version, 2);
  t.equal(res.json().verdict, 'false');
});

t.test('GET /v1/reviews filters by claim_id, verdict, reviewer_name and a published_at range', async (t) => {
  await api.reset();
  const one = await makeClaim(api);
  const two = await makeClaim(api);
  const a = await makeReview(one.id, { verdict: 'false', reviewer_name: 'Harbour Fact Desk', published_at: '2026-03-01T08:00:00Z' });
  const b = await makeReview(one.id, { verdict: 'misleading', reviewer_name: 'City Check', published_at: '2026-03-05T09:00:00Z' });
  const c = await makeReview(two.id, { verdict: 'false', reviewer_name: 'City Check' });
  const list = async (params: Record<string, string>) => {
    const res = await api.get(`/v1/reviews?${qs(params)}`);
    t.equal(res.statusCode, 200, JSON.stringify(params));
    return idsOf(res).sort();
  };
  t.same(await list({}), [a.id, b.id, c.id].sort());
  t.same(await list({ claim_id: one.id }), [a.id, b.id].sort());
  t.same(await list({ claim_id: two.id }), [c.id]);
  t.same(await list({ claim_id: UNKNOWN_ID }), []);
  t.same(await list({ verdict: 'false' }), [a.id, c.id].sort());
  t.same(await list({ reviewer_name: 'City Check' }), [b.id, c.id].sort());
  t.same(await list({ reviewer_name: 'city check' }), [], 'reviewer_name is exact');
  t.same(await list({ published_from: '2026-03-02T00:00:00Z' }), [b.id]);
  t.same(await list({ published_from: '2026-03-05T09:00:00Z' }), [b.id], 'published_from is inclusive');
  t.same(await list({ published_to: '2026-03-05T09:00:00Z' }), [a.id], 'published_to is exclusive');
  t.same(await list({ published_from: '2026-03-01T00:00:00Z', published_to: '2026-03-06T00:00:00Z' }), [a.id, b.id].sort());
  t.same(await list({ claim_id: one.id, verdict: 'false', reviewer_name: 'Harbour Fact Desk' }), [a.id], 'filters combine');
  t.same(await list({ verdict: 'false', reviewer_name: 'City Check' }), [c.id]);

  const sorted = await api.get(`/v1/reviews?${qs({ sort: 'published_at' })}`);
  t.same(idsOf(sorted), [a.id, b.id, c.id], 'sort=published_at ascending, undated last');

  expectProblem(t, await api.get('/v1/reviews?verdict=pants_on_fire'), 400, 'validation_failed');
  const badId = expectProblem(t, await api.get('/v1/reviews?claim_id=12'), 400, 'validation_failed');
  t.equal(badId.errors[0].path, 'query.claim_id');
  expectProblem(t, await api.get('/v1/reviews?published_from=last-week'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/reviews?colour=red'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/reviews?sort=verdict'), 400, 'validation_failed');
});

t.test('GET /v1/reviews pages through every review exactly once with next_cursor and a Link header', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const created: string[] = [];
  for (let i = 0; i < 7; i++) created.push((await makeReview(claim.id, { verdict: i % 2 ? 'true' : 'false' })).id);

  const seen: string[] = [];
  let url = '/v1/reviews?limit=3';
  let pages = 0;
  for (;;) {
    const res = await api.get(url);
    t.equal(res.statusCode, 200);
    const body = res.json();
    t.ok(body.data.length <= 3);
    seen.push(...body.data.map((r: Json) => r.id));
    pages++;
    if (body.next_cursor === null) {
      t.equal(res.headers.link, undefined, 'no Link on the last page');
      break;
    }
    t.match(res.headers.link, /rel="next"/);
    url = `/v1/reviews?${qs({ limit: 3, cursor: body.next_cursor })}`;
  }
  t.equal(pages, 3);
  t.same(seen, [...created].reverse(), 'newest first by default, each once');

  const counted = (await api.get('/v1/reviews?count=true&limit=2')).json();
  t.equal(counted.total, 7);
  t.equal(counted.data.length, 2);
  expectProblem(t, await api.get('/v1/reviews?limit=0'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/reviews?limit=201'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/reviews?cursor=garbage'), 400, 'invalid_cursor');
});

t.test('an unknown claim or review is 404, a malformed id 400, and neither writes anything', async (t) => {
  await api.reset();
  const posted = expectProblem(t, await api.post(`/v1/claims/${UNKNOWN_ID}/reviews`, { verdict: 'false' }), 404, 'not_found');
  t.match(posted.detail, UNKNOWN_ID);
  expectProblem(t, await api.post('/v1/claims/not-a-uuid/reviews', { verdict: 'false' }), 400, 'validation_failed');
  expectProblem(t, await api.get(`/v1/reviews/${UNKNOWN_ID}`), 404, 'not_found');
  expectProblem(t, await api.get('/v1/reviews/not-a-uuid'), 400, 'validation_failed');
  expectProblem(t, await api.patch(`/v1/reviews/${UNKNOWN_ID}`, { verdict: 'true' }), 404, 'not_found');
  expectProblem(t, await api.del(`/v1/reviews/${UNKNOWN_ID}`), 404, 'not_found');
  t.same(await eventsOf(api), [], 'nothing was logged');
});

t.test('deleting a source used as evidence is 409 in_use; with cascade=true the evidence goes and the review stays', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const kept = await makeSource(api);
  const cited = await makeSource(api, { text: null });
  const review = await makeReview(claim.id, {
    verdict: 'false',
    evidence: [
      { source_id: cited.id, stance: 'refutes' },
      { source_id: kept.id, stance: 'context' },
    ],
  });

  expectProblem(t, await api.del(`/v1/sources/${cited.id}`), 409, 'in_use');
  t.equal((await api.get(`/v1/sources/${cited.id}`)).statusCode, 200, 'the refused delete kept the source');
  t.equal((await readReview(review.id)).evidence.length, 2, 'and the evidence');

  const res = await api.del(`/v1/sources/${cited.id}?cascade=true`);
  t.equal(res.statusCode, 204);
  expectProblem(t, await api.get(`/v1/sources/${cited.id}`), 404, 'not_found');
  const after = await readReview(review.id);
  t.strictSame(after.evidence, [{ source_id: kept.id, stance: 'context', note: null }], 'only the evidence on that source went');
  t.equal(after.verdict, 'false');
  t.equal((await readClaim(claim.id)).verdict, 'false', 'the claim keeps its verdict');
  const events = await eventsOf(api, review.id);
  t.same(events.map((e) => e.type), ['review.created', 'review.updated'], 'the lost evidence is logged on the review');
  t.strictSame(
    [events[1].before, events[1].after],
    [
      {
        evidence: [
          { source_id: cited.id, stance: 'refutes', note: null },
          { source_id: kept.id, stance: 'context', note: null },
        ],
      },
      { evidence: [{ source_id: kept.id, stance: 'context', note: null }] },
    ],
    'like every update, the event carries the changed field before and after, as clients see it',
  );
  t.equal(after.version, 2, 'the review changed, so its version (and ETag) must rise');
});

t.test('deleting a claim deletes its reviews and their evidence, each logged', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const other = await makeClaim(api);
  const source = await makeSource(api);
  const r1 = await makeReview(claim.id, { verdict: 'false', evidence: [{ source_id: source.id, stance: 'refutes' }] });
  const r2 = await makeReview(claim.id, { verdict: 'mixed' });
  const survivor = await makeReview(other.id, { verdict: 'true' });

  t.equal((await api.del(`/v1/claims/${claim.id}`)).statusCode, 204);
  expectProblem(t, await api.get(`/v1/reviews/${r1.id}`), 404, 'not_found');
  expectProblem(t, await api.get(`/v1/reviews/${r2.id}`), 404, 'not_found');
  t.same(idsOf(await api.get('/v1/reviews')), [survivor.id]);
  t.equal((await api.del(`/v1/sources/${source.id}`)).statusCode, 204, 'the evidence went with the review, so the source is free');

  for (const r of [r1, r2]) {
    const events = await eventsOf(api, r.id);
    t.same(events.map((e) => e.type), ['review.created', 'review.deleted']);
  }
  const deleted = (await eventsOf(api, r1.id))[1];
  t.strictSame(deleted.before.evidence, [{ source_id: source.id, stance: 'refutes', note: null }]);
});
