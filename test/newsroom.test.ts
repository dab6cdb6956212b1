/**
 * What a newsroom does on its first day with claimledger: file a real story
 * with its full text, name the people in it, attribute claims with quotes
 * pasted from a chat app (straight quotes), and page through everything.
 */
import t from 'tap';
import { buildTestApp } from './helper.js';
import { countAll, eventLog, eventsOf, expectProblem, idsOf, makeClaim, qs, type Json } from './factories.js';

const api = await buildTestApp(t);

const STORY_URL = 'https://www.kalmhaven-post.example/news/2026/03/03/harbour-tunnel-green-light?ref=home';

const STORY_TEXT = [
  'Harbour tunnel gets green light after marathon council session',
  '',
  'KALMHAVEN — The city council approved the 2.4-billion-euro harbour tunnel late on Tuesday, ending a decade of debate. ' +
    '“This tunnel will pay for itself within 25 years,” Mayor Ana Lindqvist told reporters outside City Hall. ' +
    '“We’ve checked the numbers twice — and then a third time.”',
  '',
  'The Port Authority’s director said the project would “cut lorry traffic in the old town by half” and create ' +
    '“12,000 jobs over ten years”.',
  '',
  'Opposition leader Jonas Berg was unconvinced. “The mayor’s figures leave out 600 million euros of financing costs,” he said. ' +
    '“It’s wishful thinking, not a plan.”',
].join('\n');

async function fileStory() {
  const res = await api.post('/v1/sources', {
    kind: 'article',
    url: STORY_URL,
    title: 'Harbour tunnel gets green light after marathon council session',
    publisher: 'Kalmhaven Post',
    authors: ['Mia Holm'],
    language: 'en',
    published_at: '2026-03-03T21:40:00+01:00',
    text: STORY_TEXT,
    metadata: { section: 'city' },
  });
  if (res.statusCode !== 201) throw new Error(`filing the story answered ${res.statusCode}: ${res.body}`);
  return res.json() as Json;
}

async function addPeople() {
  const make = async (body: Json) => {
    const res = await api.post('/v1/claimants', body);
    if (res.statusCode !== 201) throw new Error(`claimant answered ${res.statusCode}: ${res.body}`);
    return res.json() as Json;
  };
  return {
    mayor: await make({ name: 'Ana Lindqvist', kind: 'person', aliases: ['Mayor Lindqvist', 'A. Lindkvist'], wikidata_id: 'Q123456' }),
    port: await make({ name: 'Kalmhaven Port Authority', kind: 'organization', aliases: ['the Port Authority', 'Port Authority'] }),
    berg: await make({ name: 'Jonas Berg', kind: 'person', aliases: ['Opposition leader Berg', 'J. Berg'] }),
  };
}

/** The story's claims, each attributed with the quote as a desk tool sends it: straight quotes, hyphens. */
async function attributeClaims(story: Json, people: Awaited<ReturnType<typeof addPeople>>) {
  const post = async (body: Json) => {
    const res = await api.post('/v1/claims', body);
    if (res.statusCode !== 201) throw new Error(`claim answered ${res.statusCode}: ${res.body}`);
    return res.json() as Json;
  };
  const payback = await post({
    text: 'The harbour tunnel will pay for itself within 25 years',
    language: 'en',
    topics: ['harbour tunnel', 'budget'],
    attributions: [
      { source_id: story.id, claimant_name: 'mayor lindqvist', quote: '"This tunnel will pay for itself within 25 years,"' },
      { source_id: story.id, claimant_id: people.berg.id, stance: 'denies', quote: `"It's wishful thinking, not a plan."` },
    ],
  });
  const checked = await post({
    text: 'The city checked the harbour tunnel figures three times',
    language: 'en',
    topics: ['harbour tunnel'],
    attributions: [{ source_id: story.id, claimant_name: 'A. LINDKVIST', quote: `"We've checked the numbers twice - and then a third time."` }],
  });
  const jobs = await post({
    text: 'The harbour tunnel will create 12,000 jobs over ten years',
    language: 'en',
    topics: ['harbour tunnel', 'jobs'],
    attributions: [
      { source_id: story.id, claimant_name: 'THE PORT AUTHORITY', kind: 'reported', quote: '"12,000 jobs over ten years"' },
      { source_id: story.id, claimant_name: 'the port authority', kind: 'reported', quote: '"cut lorry traffic in the old town by half"' },
    ],
  });
  const financing = await post({
    text: 'The harbour tunnel cost figures leave out 600 million euros of financing costs',
    language: 'en',
    topics: ['harbour tunnel', 'budget'],
    attributions: [
      { source_id: story.id, claimant_name: 'opposition leader berg', quote: `"The mayor's figures leave out 600 million euros of financing costs,"` },
    ],
  });
  return { payback, checked, jobs, financing };
}

/** The whole story filed, its people added and its claims attributed, with the counts and the log at that point. */
async function reportedStory() {
  await api.reset();
  const story = await fileStory();
  const people = await addPeople();
  const claims = await attributeClaims(story, people);
  return { story, people, claims, counts: await countAll(api), log: await eventLog(api) };
}

t.test('a story with typographic quotes anchors every straight-quoted quote at its exact offsets', async (t) => {
  await api.reset();
  const story = await fileStory();
  t.equal(story.url, 'https://www.kalmhaven-post.example/news/2026/03/03/harbour-tunnel-green-light?ref=home');
  t.equal(story.published_at, '2026-03-03T20:40:00.000Z', 'stored in UTC');
  t.equal(story.text_length, STORY_TEXT.length);
  const people = await addPeople();
  const claims = await attributeClaims(story, people);

  const text: string = (await api.get(`/v1/sources/${story.id}`)).json().text;
  t.equal(text, STORY_TEXT, 'the text comes back unchanged');
  const expected: [Json, number, string, string][] = [
    [claims.payback, 0, '“This tunnel will pay for itself within 25 years,”', people.mayor.id],
    [claims.payback, 1, '“It’s wishful thinking, not a plan.”', people.berg.id],
    [claims.checked, 0, '“We’ve checked the numbers twice — and then a third time.”', people.mayor.id],
    [claims.jobs, 0, '“12,000 jobs over ten years”', people.port.id],
    [claims.jobs, 1, '“cut lorry traffic in the old town by half”', people.port.id],
    [claims.financing, 0, '“The mayor’s figures leave out 600 million euros of financing costs,”', people.berg.id],
  ];
  for (const [claim, i, exact, claimantId] of expected) {
    const a = (await api.get(`/v1/attributions/${claim.attributions[i].id}`)).json();
    t.equal(a.anchored, true, exact);
    t.equal(a.selector.exact, exact, 'exact keeps the story’s typography');
    t.equal(a.selector.start, text.indexOf(exact));
    t.equal(a.selector.end, text.indexOf(exact) + exact.length);
    t.equal(text.slice(a.selector.start, a.selector.end), a.selector.exact);
    t.equal(a.claimant_id, claimantId, 'the alias found the right person');
  }
  t.same(await countAll(api), { sources: 1, claimants: 3, claims: 4, attributions: 6 }, 'aliases created no duplicate people');
  for (const claim of Object.values(claims)) {
    t.equal(claim.version, 1);
    t.equal(claim.first_seen_at, '2026-03-03T20:40:00.000Z', 'first seen when the story was published');
    t.equal(claim.attribution_count, claim.attributions.length);
  }
  const byMayor = (await api.get(`/v1/claims?${qs({ claimant_id: people.mayor.id, sort: 'created_at' })}`)).json();
  t.same(byMayor.data.map((c: Json) => c.id), [claims.payback.id, claims.checked.id]);
});

t.test('a quote the story does not contain is refused and changes nothing', async (t) => {
  const { story, people, claims, counts, log } = await reportedStory();

  // Misremembered: the story says 600 million, not 800.
  const res = await api.post('/v1/claims', {
    text: 'The harbour tunnel figures leave out 800 million euros',
    attributions: [
      { source_id: story.id, claimant_name: 'J. Berg', quote: '"The mayor\'s figures leave out 800 million euros of financing costs,"' },
    ],
  });
  const problem = expectProblem(t, res, 422, 'quote_not_in_source');
  t.equal(problem.errors[0].path, 'body.attributions[0].quote');
  const single = await api.post('/v1/attributions', {
    claim_id: claims.financing.id,
    source_id: story.id,
    claimant_id: people.berg.id,
    quote: 'it is wishful thinking',
  });
  expectProblem(t, single, 422, 'quote_not_in_source');
  t.same(await countAll(api), counts);
  t.same(await eventLog(api), log);
  const financing = (await api.get(`/v1/claims/${claims.financing.id}`)).json();
  t.equal(financing.attribution_count, 1);
  t.equal(financing.version, 1);
});

t.test('filing the same story again under a shared link is 409 with the existing id', async (t) => {
  await api.reset();
  const story = await fileStory();
  const res = await api.post('/v1/sources', {
    kind: 'article',
    url: 'HTTPS://WWW.Kalmhaven-Post.example/news/2026/03/03/harbour-tunnel-green-light?ref=home&utm_source=twitter&utm_medium=social#comments',
    title: 'Harbour tunnel gets green light',
    text: STORY_TEXT,
  });
  const problem = expectProblem(t, res, 409, 'conflict');
  t.equal(problem.existing_id, story.id);
  t.equal(problem.errors[0].path, 'body.url');
  t.equal((await api.get(`/v1/sources?count=true`)).json().total, 1);
  t.same(idsOf(await api.get(`/v1/sources?${qs({ url: 'https://www.kalmhaven-post.example/news/2026/03/03/harbour-tunnel-green-light?ref=app' })}`)), [], 'another query string is another page');
  t.same(idsOf(await api.get(`/v1/sources?${qs({ url: 'https://www.kalmhaven-post.example/news/2026/03/03/harbour-tunnel-green-light?utm_campaign=x&ref=home' })}`)), [story.id], 'tracking parameters go wherever they are');
  t.same(idsOf(await api.get(`/v1/sources?${qs({ url: `${STORY_URL}&utm_campaign=spring#top` })}`)), [story.id], 'the shared link finds the story');
});

t.test('one request embeds a claim’s attributions, claimants and sources', async (t) => {
  await api.reset();
  const story = await fileStory();
  const people = await addPeople();
  const claims = await attributeClaims(story, people);
  const res = await api.get(`/v1/claims/${claims.payback.id}?include=attributions,claimants,sources,reviews`);
  t.equal(res.statusCode, 200);
  const claim = res.json();
  t.equal(claim.attributions.length, 2);
  t.same(claim.attributions.map((a: Json) => a.stance), ['asserts', 'denies']);
  t.same(claim.claimants.map((c: Json) => c.name), ['Ana Lindqvist', 'Jonas Berg']);
  t.same(claim.sources.map((s: Json) => s.id), [story.id]);
  t.notOk('text' in claim.sources[0]);
  t.same(claim.reviews, []);

  const page = (await api.get(`/v1/claims?${qs({ source_id: story.id, include: 'attributions,claimants', sort: 'created_at' })}`)).json();
  t.same(page.data.map((c: Json) => c.id), [claims.payback.id, claims.checked.id, claims.jobs.id, claims.financing.id]);
  t.same(page.data.map((c: Json) => c.attributions.length), [2, 1, 2, 1]);
  t.same(page.data.map((c: Json) => c.claimants.map((p: Json) => p.id)), [
    [people.mayor.id, people.berg.id],
    [people.mayor.id],
    [people.port.id],
    [people.berg.id],
  ]);
});

t.test('provenance is never silently lost: in-use sources and claimants, and anchored text, are 409', async (t) => {
  const { story, people, claims, counts, log } = await reportedStory();

  expectProblem(t, await api.del(`/v1/sources/${story.id}`), 409, 'in_use');
  expectProblem(t, await api.del(`/v1/claimants/${people.mayor.id}`), 409, 'in_use');
  expectProblem(t, await api.del(`/v1/claimants/${people.port.id}`), 409, 'in_use');
  const fixed = STORY_TEXT.replace('unconvinced', 'not convinced');
  expectProblem(t, await api.patch(`/v1/sources/${story.id}`, { text: fixed }), 409, 'in_use');
  t.same(await countAll(api), counts, 'nothing deleted');
  t.same(await eventLog(api), log, 'nothing logged');
  const read = (await api.get(`/v1/sources/${story.id}`)).json();
  t.equal(read.text, STORY_TEXT);
  t.equal(read.version, 1);

  // Deleting the claims deletes their attributions; then the story and the people are free to go.
  for (const claim of Object.values(claims)) t.equal((await api.del(`/v1/claims/${claim.id}`)).statusCode, 204);
  t.equal((await api.get('/v1/attributions?count=true')).json().total, 0);
  t.equal((await api.del(`/v1/claimants/${people.mayor.id}`)).statusCode, 204);
  t.equal((await api.del(`/v1/sources/${story.id}`)).statusCode, 204);
  const deletions = (await eventsOf(api)).slice(log.length).map((e) => e.type);
  t.equal(deletions.filter((type) => type === 'attribution.deleted').length, 6);
  t.equal(deletions.filter((type) => type === 'claim.deleted').length, 4);
  t.same(deletions.slice(-2), ['claimant.deleted', 'source.deleted']);
});

/** The next-page URL of a Link header, as path and query for inject. */
function nextLink(header: unknown): string | null {
  if (header === undefined) return null;
  const match = /^<([^>]+)>; rel="next"$/.exec(String(header));
  if (!match) throw new Error(`unexpected Link header ${String(header)}`);
  t.match(match[1], /^\/v1\//, 'a relative reference: nothing of the Host header is echoed');
  const url = new URL(match[1], 'http://x');
  return `${url.pathname}${url.search}`;
}

t.test('walking 170 claims 20 at a time by the Link header gives every claim once, in order, even while claims are added', async (t) => {
  await api.reset();
  const made: string[] = [];
  for (let i = 0; i < 170; i++) made.push((await makeClaim(api, { text: `Claim number ${i} about the harbour tunnel` })).id);
  t.equal((await api.get('/v1/claims?count=true')).json().total, 170);

  for (const sort of ['-created_at', 'created_at']) {
    const walked: string[] = [];
    let url: string | null = `/v1/claims?${qs({ limit: 20, sort })}`;
    let pages = 0;
    let added: string | null = null;
    while (url) {
      const res = await api.get(url);
      t.equal(res.statusCode, 200);
      const body = res.json();
      pages++;
      t.ok(body.data.length <= 20);
      walked.push(...body.data.map((c: Json) => c.id));
      const link = nextLink(res.headers.link);
      if (body.next_cursor === null) {
        t.equal(res.headers.link, undefined, 'the last page has no Link header');
      } else {
        t.equal(body.data.length, 20, 'every page but the last is full');
        t.equal(new URLSearchParams(link!.split('?')[1]).get('cursor'), body.next_cursor, 'Link rel="next" carries next_cursor');
        t.equal(new URLSearchParams(link!.split('?')[1]).get('limit'), '20', 'and keeps the other parameters');
      }
      if (pages === 3) added = (await makeClaim(api, { text: `Added while walking (${sort})` })).id;
      url = link;
    }
    // Newest first, a claim added meanwhile sorts before the cursor and is not shown; oldest first, it comes last.
    const expected = sort === 'created_at' ? [...made, added!] : [...made].reverse();
    t.equal(new Set(walked).size, walked.length, `${sort}: no claim twice`);
    t.same(walked, expected, `${sort}: every claim, in order, no gaps`);
    t.equal(pages, 9);
    made.push(added!);
  }
});
