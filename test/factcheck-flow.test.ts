/**
 * A fact-checking desk's whole flow on one news story whose numbers do not add up:
 * the mayor says the harbour tunnel costs 2.4 billion euros "all in", the city's
 * own budget adds 0.6 billion of financing. A desk reviews the claim, reads its
 * new status and verdict, publishes the ClaimReview JSON-LD, and a dashboard
 * follows the change feed and the claim's history.
 */
import t from 'tap';
import { buildTestApp } from './helper.js';
import { idsOf, qs, type Json } from './factories.js';

const api = await buildTestApp(t);

const ARTICLE = {
  kind: 'article',
  url: 'https://harbourgazette.example/2026/03/03/council-approves-harbour-tunnel',
  title: 'Council approves harbour tunnel',
  publisher: 'The Harbour Gazette',
  authors: ['Mia Holm'],
  language: 'en',
  published_at: '2026-03-03T09:00:00Z',
  text:
    'Council approves harbour tunnel\n\n' +
    'The city council voted 31 to 14 on Tuesday to build the harbour tunnel under the old ferry port. ' +
    '“The whole tunnel will cost 2.4 billion euros — not a cent more,” Mayor Ana Lindqvist said after the vote. ' +
    'Construction is due to start in May and to end in 2032.',
};

const TRANSCRIPT = {
  kind: 'transcript',
  url: 'https://cityradio.example/transcripts/2026-03-02-morning',
  title: 'Morning show, 2 March',
  publisher: 'City Radio',
  language: 'en',
  published_at: '2026-03-02T07:30:00Z',
  text:
    'HOST: Mayor Lindqvist, the vote is tomorrow. What will the tunnel cost the city?\n' +
    'LINDQVIST: It will cost 2.4 billion euros, all in. That is the number.\n' +
    'HOST: Including the loans?\n' +
    'LINDQVIST: All in.',
};

const BUDGET = {
  kind: 'report',
  url: 'https://harbourview.example/finance/harbour-tunnel-budget-2026-2032.pdf',
  title: 'Harbour tunnel: budget 2026–2032',
  publisher: 'City Finance Office',
  language: 'en',
  published_at: '2026-02-20T12:00:00Z',
  text:
    'Harbour tunnel: budget 2026–2032\n\n' +
    'Table 3. Cost to the city\n' +
    'Construction: 2.4 billion euros\n' +
    'Financing (interest on the tunnel loans, 2026–2046): 0.6 billion euros\n' +
    'Total: 3.0 billion euros',
};

const CLAIM_TEXT = 'The harbour tunnel will cost the city 2.4 billion euros in total.';

async function created(res: { statusCode: number; body: string; json(): unknown }): Promise<Json> {
  if (res.statusCode !== 201) throw new Error(`expected 201, got ${res.statusCode}: ${res.body}`);
  return res.json() as Json;
}

t.test('a fact-check of the harbour tunnel’s cost, from the story to the ClaimReview, the feed and the history', async (t) => {
  await api.reset();
  const keyId = ((await api.get('/v1/keys')).json().data as Json[])[0].id;

  // 1. The desk records the story: sources, the speaker, the claim with where she said it.
  const article = await created(await api.post('/v1/sources', ARTICLE));
  const transcript = await created(await api.post('/v1/sources', TRANSCRIPT));
  const budget = await created(await api.post('/v1/sources', BUDGET));
  const mayor = await created(
    await api.post('/v1/claimants', {
      name: 'Ana Lindqvist',
      kind: 'person',
      aliases: ['Mayor Lindqvist', 'A. Lindkvist'],
      description: 'Mayor of Harbourview',
      wikidata_id: 'Q123456789',
    }),
  );
  const claimRes = await api.request({
    method: 'POST',
    url: '/v1/claims',
    headers: { 'x-request-id': 'desk-claim-1' },
    payload: {
      text: CLAIM_TEXT,
      language: 'en',
      topics: ['transport', 'budget'],
      attributions: [
        // Mangled by the desk tool: straight dash and no typographic quotes; anchoring forgives it.
        { source_id: article.id, claimant_id: mayor.id, kind: 'direct_quote', stance: 'asserts', quote: 'The whole tunnel will cost 2.4 billion euros - not a cent more' },
        { source_id: transcript.id, claimant_id: mayor.id, kind: 'direct_quote', stance: 'asserts', quote: 'It will cost 2.4 billion euros, all in.', said_at: '2026-03-02T07:42:00Z' },
      ],
    },
  });
  const claim = await created(claimRes);
  t.equal(claim.status, 'unreviewed');
  t.equal(claim.verdict, null);
  t.equal(claim.attribution_count, 2);
  t.equal(claim.first_seen_at, '2026-03-02T07:42:00.000Z', 'first seen when she said it on the radio');
  t.equal(claim.attributions[0].selector.exact, 'The whole tunnel will cost 2.4 billion euros — not a cent more', 'the source’s own characters');

  // 2. A checker takes it: in_review, guarded by the ETag she read.
  const read = await api.get(`/v1/claims/${claim.id}`);
  t.equal(read.headers.etag, '"v1"');
  const taken = await api.request({ method: 'PATCH', url: `/v1/claims/${claim.id}`, headers: { 'if-match': read.headers.etag as string }, payload: { status: 'in_review' } });
  t.equal(taken.statusCode, 200);
  t.equal(taken.json().status, 'in_review');
  t.equal(taken.headers.etag, '"v2"');
  const late = await api.request({ method: 'PATCH', url: `/v1/claims/${claim.id}`, headers: { 'if-match': '"v1"' }, payload: { status: 'unreviewed' } });
  t.equal(late.statusCode, 412, 'a second desk holding the old tag cannot take it back');
  t.same(idsOf(await api.get(`/v1/claims?${qs({ status: 'in_review' })}`)), [claim.id]);

  // 3. The review: 2.4 + 0.6 = 3.0, not 2.4. Sent twice (a retry), written once.
  const review = {
    verdict: 'false',
    textual_rating: 'False: the city’s own budget says 3.0 billion',
    rating_value: 1,
    best_rating: 5,
    worst_rating: 1,
    summary:
      'The 2.4 billion euros is the construction budget only. The City Finance Office adds 0.6 billion euros of financing, so the tunnel costs the city 3.0 billion euros in total, 25% more than the mayor said.',
    reviewer_name: 'Harbour Fact Desk',
    reviewer_url: 'https://factdesk.example/',
    url: 'https://factdesk.example/checks/2026/03/harbour-tunnel-cost',
    published_at: '2026-03-06T12:00:00Z',
    language: 'en',
    evidence: [
      { source_id: budget.id, stance: 'refutes', note: 'Table 3: construction 2.4 + financing 0.6 = 3.0 billion euros' },
      { source_id: transcript.id, stance: 'context', note: 'Asked about the loans, the mayor repeats "all in".' },
    ],
  };
  const post = () =>
    api.request({ method: 'POST', url: `/v1/claims/${claim.id}/reviews`, headers: { 'idempotency-key': 'factdesk-harbour-cost-1', 'x-request-id': 'desk-review-1' }, payload: review });
  const posted = await post();
  const retried = await post();
  t.equal(posted.statusCode, 201);
  t.equal(retried.statusCode, 201);
  t.equal(retried.headers['idempotent-replayed'], 'true');
  const reviewed = posted.json();
  t.equal(retried.json().id, reviewed.id);
  t.equal(posted.headers.location, `/v1/reviews/${reviewed.id}`);
  t.strictSame(reviewed.evidence, review.evidence);

  // 4. The claim now reads reviewed / false.
  const after = (await api.get(`/v1/claims/${claim.id}`)).json();
  t.equal(after.status, 'reviewed');
  t.equal(after.verdict, 'false');
  t.equal(after.review_count, 1);
  t.equal(after.version, 3);
  t.same(idsOf(await api.get(`/v1/claims?${qs({ verdict: 'false', status: 'reviewed' })}`)), [claim.id]);
  t.same(idsOf(await api.get(`/v1/reviews?${qs({ claim_id: claim.id })}`)), [reviewed.id], 'one review, though posted twice');

  // 5. The ClaimReview JSON-LD the fact desk embeds in its page.
  const ld = await api.get(`/v1/reviews/${reviewed.id}/claimreview`);
  t.equal(ld.statusCode, 200);
  t.equal(ld.headers['content-type'], 'application/ld+json; charset=utf-8');
  const doc = ld.json();
  t.equal(doc['@context'], 'https://schema.org');
  t.equal(doc['@type'], 'ClaimReview');
  t.equal(doc.claimReviewed, CLAIM_TEXT);
  t.equal(doc.url, 'https://factdesk.example/checks/2026/03/harbour-tunnel-cost');
  t.equal(doc.datePublished, '2026-03-06T12:00:00.000Z');
  t.strictSame(doc.author, { '@type': 'Organization', name: 'Harbour Fact Desk', url: 'https://factdesk.example/' });
  t.strictSame(doc.reviewRating, {
    '@type': 'Rating',
    ratingValue: 1,
    bestRating: 5,
    worstRating: 1,
    alternateName: 'False: the city’s own budget says 3.0 billion',
  });
  const radio = {
    '@type': 'CreativeWork',
    url: TRANSCRIPT.url,
    headline: TRANSCRIPT.title,
    datePublished: '2026-03-02T07:30:00.000Z',
    publisher: { '@type': 'Organization', name: 'City Radio' },
  };
  const gazette = {
    '@type': 'CreativeWork',
    url: ARTICLE.url,
    headline: ARTICLE.title,
    datePublished: '2026-03-03T09:00:00.000Z',
    publisher: { '@type': 'Organization', name: 'The Harbour Gazette' },
  };
  t.strictSame(doc.itemReviewed, {
    '@type': 'Claim',
    author: { '@type': 'Person', name: 'Ana Lindqvist', sameAs: 'https://www.wikidata.org/wiki/Q123456789' },
    datePublished: '2026-03-02T07:42:00.000Z',
    appearance: [radio, gazette],
    firstAppearance: radio,
  });
  t.equal(doc.inLanguage, 'en');
  const all = await api.get(`/v1/claims/${claim.id}/claimreview`);
  t.equal(all.headers['content-type'], 'application/ld+json; charset=utf-8');
  t.strictSame(all.json(), [doc]);

  // 6. A dashboard walks the feed from 0 in small pages.
  const events: Json[] = [];
  let next = 0;
  for (;;) {
    const page = (await api.get(`/v1/events?after=${next}&limit=3`)).json();
    if (page.data.length === 0) {
      t.equal(page.next_after, next);
      break;
    }
    events.push(...page.data);
    next = page.next_after;
  }
  const [a1, a2] = claim.attributions.map((a: Json) => a.id);
  t.strictSame(
    events.map((e) => [e.seq, e.type, e.entity_id]),
    [
      [1, 'source.created', article.id],
      [2, 'source.created', transcript.id],
      [3, 'source.created', budget.id],
      [4, 'claimant.created', mayor.id],
      [5, 'claim.created', claim.id],
      [6, 'attribution.created', a1],
      [7, 'attribution.created', a2],
      [8, 'claim.updated', claim.id],
      [9, 'review.created', reviewed.id],
      [10, 'claim.updated', claim.id],
    ],
    'every change once, in order; the refused PATCH and the replayed POST left no trace',
  );
  t.ok(events.every((e) => e.key_id === keyId), 'each made with the suite’s key');
  t.strictSame(events.filter((e) => e.request_id?.startsWith('desk-')).map((e) => [e.type, e.request_id]), [
    ['claim.created', 'desk-claim-1'],
    ['attribution.created', 'desk-claim-1'],
    ['attribution.created', 'desk-claim-1'],
    ['review.created', 'desk-review-1'],
    ['claim.updated', 'desk-review-1'],
  ]);
  t.strictSame(events[8].after.evidence, review.evidence);

  // 7. The claim's history: created with its attributions, taken in review, reviewed.
  const history = await api.get(`/v1/claims/${claim.id}/history`);
  t.equal(history.statusCode, 200);
  const h = history.json().data as Json[];
  t.strictSame(h.map((e) => e.type), ['claim.created', 'claim.updated', 'claim.updated']);
  t.equal(h[0].after.attribution_count, 2, 'created with its attributions settled');
  t.equal(h[0].after.first_seen_at, '2026-03-02T07:42:00.000Z');
  t.strictSame([h[1].before, h[1].after], [{ status: 'unreviewed' }, { status: 'in_review' }]);
  t.strictSame(
    [h[2].before, h[2].after],
    [
      { review_count: 0, verdict: null, status: 'in_review' },
      { review_count: 1, verdict: 'false', status: 'reviewed' },
    ],
  );
  t.equal(history.json().next_after, 10);
});
