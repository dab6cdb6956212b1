import { readFileSync } from 'node:fs';
import t from 'tap';
import { buildTestApp } from './helper.js';
import { HARBOUR_TEXT, expectProblem, makeAttribution, makeClaim, makeClaimant, makeSource, type Json } from './factories.js';

const api = await buildTestApp(t);

const LD_JSON = 'application/ld+json; charset=utf-8';
const UNKNOWN_ID = '0190a5b0-0000-7000-8000-000000000000';
const expected = JSON.parse(readFileSync(new URL('./fixtures/claimreview-expected.json', import.meta.url), 'utf8')) as Json;

const CLAIM_TEXT = 'The harbour tunnel will cost 2.4 billion euros';

/** The fixture of test/fixtures/claimreview-expected.json, built through the API with fixed urls and dates. */
async function buildFixture() {
  const gazette = await makeSource(api, {
    kind: 'article',
    url: 'https://harbourgazette.example/2026/03/03/council-approves-harbour-tunnel',
    title: 'Council approves harbour tunnel',
    publisher: 'The Harbour Gazette',
    published_at: '2026-03-03T09:00:00Z',
    text: HARBOUR_TEXT,
  });
  const radio = await makeSource(api, {
    kind: 'transcript',
    url: 'https://cityradio.example/transcripts/2026-03-02-morning',
    title: 'Morning show, 2 March',
    publisher: 'City Radio',
    published_at: '2026-03-02T07:30:00Z',
    text: null,
  });
  const mayor = await makeClaimant(api, {
    name: 'Ana Lindqvist',
    kind: 'person',
    aliases: ['Mayor Lindqvist'],
    wikidata_id: 'Q123456789',
    url: 'https://city.example/mayor',
  });
  const port = await makeClaimant(api, { name: 'Port Authority', kind: 'organization' });
  const berg = await makeClaimant(api, { name: 'Jonas Berg', kind: 'person', wikidata_id: 'Q987654321' });
  const claim = await makeClaim(api, { text: CLAIM_TEXT, language: 'en' });
  await makeAttribution(api, {
    claim_id: claim.id,
    source_id: gazette.id,
    claimant_id: mayor.id,
    kind: 'direct_quote',
    stance: 'asserts',
    quote: 'The harbour tunnel will cost 2.4 billion euros',
  });
  await makeAttribution(api, {
    claim_id: claim.id,
    source_id: radio.id,
    claimant_id: port.id,
    kind: 'reported',
    stance: 'asserts',
    said_at: '2026-03-02T07:45:00Z',
  });
  // Berg disputes the figure: he is no author of the claim.
  await makeAttribution(api, { claim_id: claim.id, source_id: gazette.id, claimant_id: berg.id, kind: 'paraphrase', stance: 'denies' });
  const res = await api.post(`/v1/claims/${claim.id}/reviews`, {
    verdict: 'mostly_false',
    textual_rating: 'Leaves out 0.6 billion of financing',
    rating_value: 2,
    best_rating: 5,
    worst_rating: 1,
    summary: 'The 2.4 billion covers construction; financing adds 0.6 billion, 3.0 billion in all.',
    reviewer_name: 'Harbour Fact Desk',
    reviewer_url: 'https://factdesk.example/',
    url: 'https://factdesk.example/checks/harbour-tunnel-cost',
    published_at: '2026-03-06T12:00:00Z',
    language: 'en',
    evidence: [{ source_id: gazette.id, stance: 'context' }],
  });
  if (res.statusCode !== 201) throw new Error(`review: ${res.statusCode} ${res.body}`);
  return { claim, review: res.json() as Json, gazette, radio, mayor, port, berg };
}

t.test('GET /v1/reviews/{id}/claimreview answers application/ld+json equal to the hand-written document', async (t) => {
  await api.reset();
  const { review } = await buildFixture();
  const res = await api.get(`/v1/reviews/${review.id}/claimreview`);
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], LD_JSON);
  t.strictSame(res.json(), expected);
});

t.test('each ClaimReview field of the fixture carries what fact-check publishers embed', async (t) => {
  await api.reset();
  const { review } = await buildFixture();
  const doc = (await api.get(`/v1/reviews/${review.id}/claimreview`)).json();
  t.equal(doc['@context'], 'https://schema.org');
  t.equal(doc['@type'], 'ClaimReview');
  t.equal(doc.claimReviewed, CLAIM_TEXT, 'claimReviewed is the claim’s text');
  t.equal(doc.url, 'https://factdesk.example/checks/harbour-tunnel-cost', 'url is where the fact-check is published');
  t.equal(doc.datePublished, '2026-03-06T12:00:00.000Z', 'datePublished is the review’s');
  t.strictSame(doc.author, { '@type': 'Organization', name: 'Harbour Fact Desk', url: 'https://factdesk.example/' }, 'author is the reviewer');
  t.strictSame(doc.reviewRating, {
    '@type': 'Rating',
    ratingValue: 2,
    bestRating: 5,
    worstRating: 1,
    alternateName: 'Leaves out 0.6 billion of financing',
  });
  const item = doc.itemReviewed;
  t.equal(item['@type'], 'Claim');
  t.strictSame(
    item.author,
    [
      { '@type': 'Person', name: 'Ana Lindqvist', sameAs: 'https://www.wikidata.org/wiki/Q123456789', url: 'https://city.example/mayor' },
      { '@type': 'Organization', name: 'Port Authority' },
    ],
    'the asserting claimants, in attribution order; the denying one is left out',
  );
  t.equal(item.datePublished, '2026-03-02T07:45:00.000Z', 'the claim’s first_seen_at: the earliest said_at');
  t.strictSame(
    item.appearance.map((a: Json) => a.url),
    ['https://cityradio.example/transcripts/2026-03-02-morning', 'https://harbourgazette.example/2026/03/03/council-approves-harbour-tunnel'],
    'every source once, earliest first',
  );
  t.strictSame(item.firstAppearance, item.appearance[0]);
  t.equal(item.firstAppearance.url, 'https://cityradio.example/transcripts/2026-03-02-morning');
});

t.test('without textual_rating alternateName is the verdict’s label, and unknown ratings are left out', async (t) => {
  await api.reset();
  const claim = await makeClaim(api, { text: CLAIM_TEXT });
  const res = await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'mostly_false' });
  t.equal(res.statusCode, 201);
  const id = res.json().id;
  const doc = (await api.get(`/v1/reviews/${id}/claimreview`)).json();
  t.strictSame(doc.reviewRating, { '@type': 'Rating', alternateName: 'Mostly false' });
  t.strictSame(
    doc,
    { '@context': 'https://schema.org', '@type': 'ClaimReview', claimReviewed: CLAIM_TEXT, reviewRating: doc.reviewRating, itemReviewed: { '@type': 'Claim' } },
    'a bare review gives a bare document: nothing unknown is invented or null',
  );

  const labels: Record<string, string> = {
    true: 'True',
    mostly_true: 'Mostly true',
    mixed: 'Mixed',
    mostly_false: 'Mostly false',
    false: 'False',
    misleading: 'Misleading',
    unverifiable: 'Unverifiable',
  };
  for (const [verdict, label] of Object.entries(labels)) {
    t.equal((await api.patch(`/v1/reviews/${id}`, { verdict })).statusCode, 200);
    const rating = (await api.get(`/v1/reviews/${id}/claimreview`)).json().reviewRating;
    t.equal(rating.alternateName, label, `${verdict} reads "${label}"`);
  }

  await api.patch(`/v1/reviews/${id}`, { textual_rating: 'Pants on Fire', rating_value: 0, best_rating: 5, worst_rating: 0 });
  t.strictSame((await api.get(`/v1/reviews/${id}/claimreview`)).json().reviewRating, {
    '@type': 'Rating',
    ratingValue: 0,
    bestRating: 5,
    worstRating: 0,
    alternateName: 'Pants on Fire',
  }, 'a rating of 0 is a known rating, not a missing one');
});

t.test('claimants become Person, Organization or Thing, with sameAs only when a Wikidata id is known; a single author is one object', async (t) => {
  await api.reset();
  const source = await makeSource(api, { url: 'https://news.example/a', text: null });
  const government = await makeClaimant(api, { name: 'City of Harbourview', kind: 'government', wikidata_id: 'Q42' });
  const media = await makeClaimant(api, { name: 'The Harbour Gazette', kind: 'media' });
  const claim = await makeClaim(api, { text: CLAIM_TEXT });
  await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: government.id, stance: 'asserts' });
  const review = (await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false' })).json();
  let item = (await api.get(`/v1/reviews/${review.id}/claimreview`)).json().itemReviewed;
  t.strictSame(item.author, { '@type': 'Organization', name: 'City of Harbourview', sameAs: 'https://www.wikidata.org/wiki/Q42' });

  await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: media.id, stance: 'reports' });
  await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'a senior official', stance: 'asserts' });
  item = (await api.get(`/v1/reviews/${review.id}/claimreview`)).json().itemReviewed;
  // The Gazette only reports the claim: reporting is not authorship.
  t.strictSame(item.author, [
    { '@type': 'Organization', name: 'City of Harbourview', sameAs: 'https://www.wikidata.org/wiki/Q42' },
    { '@type': 'Thing', name: 'a senior official' },
  ]);
  t.equal(item.appearance.length, 1, 'one source, one appearance, however many attributions');
  t.strictSame(item.appearance[0], { '@type': 'CreativeWork', url: 'https://news.example/a', headline: 'Council approves harbour tunnel', datePublished: '2026-03-03T09:00:00.000Z', publisher: { '@type': 'Organization', name: 'The Harbour Gazette' } });
});

t.test('a claimant of kind unknown or group is not typed Person: groups are Organizations, unknowns are Things', async (t) => {
  await api.reset();
  const source = await makeSource(api, { url: 'https://news.example/kinds', text: null });
  const claim = await makeClaim(api, { text: CLAIM_TEXT });
  const kinds = { person: 'Person', organization: 'Organization', government: 'Organization', media: 'Organization', group: 'Organization', unknown: 'Thing' };
  for (const kind of Object.keys(kinds)) {
    const claimant = await makeClaimant(api, { name: `Speaker of kind ${kind}`, kind });
    await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: claimant.id, stance: 'asserts' });
  }
  const review = (await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false' })).json();
  const authors: Json[] = (await api.get(`/v1/reviews/${review.id}/claimreview`)).json().itemReviewed.author;
  t.strictSame(
    Object.fromEntries(authors.map((a) => [a.name.replace('Speaker of kind ', ''), a['@type']])),
    kinds,
  );
});

t.test('someone who only denies or questions a claim is never named as its author', async (t) => {
  await api.reset();
  const source = await makeSource(api, { url: 'https://news.example/denial', text: null });
  const minister = await makeClaimant(api, { name: 'Minister Eva Holm', kind: 'person', wikidata_id: 'Q555' });
  const union = await makeClaimant(api, { name: 'Dockworkers Union', kind: 'organization' });
  const claim = await makeClaim(api, { text: CLAIM_TEXT });
  await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: minister.id, kind: 'paraphrase', stance: 'denies' });
  await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_id: union.id, kind: 'paraphrase', stance: 'questions' });
  const review = (await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false' })).json();
  const item = (await api.get(`/v1/reviews/${review.id}/claimreview`)).json().itemReviewed;
  t.equal(item.author, undefined, 'no one asserted it, so the Claim has no known author');
  t.equal(item.appearance.length, 1, 'it still appeared in the source');
});

t.test('the document follows later changes of the claim and its review', async (t) => {
  await api.reset();
  const { claim, review } = await buildFixture();
  t.equal((await api.patch(`/v1/claims/${claim.id}`, { text: 'The harbour tunnel will cost exactly 2.4 billion euros' })).statusCode, 200);
  t.equal((await api.patch(`/v1/reviews/${review.id}`, { url: 'https://factdesk.example/checks/tunnel-cost-v2', published_at: '2026-03-07T08:00:00Z' })).statusCode, 200);
  const doc = (await api.get(`/v1/reviews/${review.id}/claimreview`)).json();
  t.equal(doc.claimReviewed, 'The harbour tunnel will cost exactly 2.4 billion euros');
  t.equal(doc.url, 'https://factdesk.example/checks/tunnel-cost-v2');
  t.equal(doc.datePublished, '2026-03-07T08:00:00.000Z');
});

t.test('GET /v1/claims/{id}/claimreview answers one document per review, oldest first; [] without reviews; 404 for an unknown claim', async (t) => {
  await api.reset();
  const { claim, review } = await buildFixture();
  const later = await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'misleading', reviewer_name: 'City Check', published_at: '2026-03-08T10:00:00Z' });
  t.equal(later.statusCode, 201);

  const res = await api.get(`/v1/claims/${claim.id}/claimreview`);
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], LD_JSON);
  const docs = res.json();
  t.ok(Array.isArray(docs));
  t.equal(docs.length, 2);
  t.strictSame(docs[0], expected, 'the first is the fixture’s review, exactly as served alone');
  t.strictSame(docs[0], (await api.get(`/v1/reviews/${review.id}/claimreview`)).json());
  t.equal(docs[1].author.name, 'City Check');
  t.equal(docs[1].reviewRating.alternateName, 'Misleading');
  t.strictSame(docs[1].itemReviewed, expected.itemReviewed, 'both review the same claim');

  const bare = await makeClaim(api);
  const empty = await api.get(`/v1/claims/${bare.id}/claimreview`);
  t.equal(empty.statusCode, 200);
  t.equal(empty.headers['content-type'], LD_JSON);
  t.strictSame(empty.json(), []);

  expectProblem(t, await api.get(`/v1/claims/${UNKNOWN_ID}/claimreview`), 404, 'not_found');
  expectProblem(t, await api.get('/v1/claims/not-a-uuid/claimreview'), 400, 'validation_failed');
  expectProblem(t, await api.get(`/v1/reviews/${UNKNOWN_ID}/claimreview`), 404, 'not_found');
  expectProblem(t, await api.get('/v1/reviews/not-a-uuid/claimreview'), 400, 'validation_failed');
  expectProblem(t, await api.get(`/v1/reviews/${review.id}/claimreview?pretty=1`), 400, 'validation_failed');
});
