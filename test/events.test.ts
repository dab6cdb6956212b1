import t from 'tap';
import { buildTestApp } from './helper.js';
import { eventsOf, expectProblem, makeAttribution, makeClaim, makeClaimant, makeSource, qs, type Json } from './factories.js';

const api = await buildTestApp(t);

const UNKNOWN_ID = '0190a5b0-0000-7000-8000-000000000000';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function feed(params: Record<string, string | number> = {}): Promise<Json> {
  const res = await api.get(`/v1/events?${qs(params)}`);
  if (res.statusCode !== 200) throw new Error(`feed answered ${res.statusCode}: ${res.body}`);
  return res.json();
}

/** Every event from `after=0`, in pages of `limit`, following next_after. */
async function walk(limit = 1000, params: Record<string, string> = {}): Promise<Json[]> {
  const all: Json[] = [];
  let after = 0;
  for (;;) {
    const page = await feed({ ...params, after, limit });
    all.push(...page.data);
    if (page.data.length === 0) {
      if (page.next_after !== after) throw new Error(`an empty page moved next_after from ${after} to ${page.next_after}`);
      return all;
    }
    after = page.next_after;
  }
}

async function history(kind: 'claims' | 'sources', id: string): Promise<Json[]> {
  const res = await api.get(`/v1/${kind}/${id}/history`);
  if (res.statusCode !== 200) throw new Error(`history answered ${res.statusCode}: ${res.body}`);
  return res.json().data;
}

/** A small story: 11 events of every entity type and action. */
async function story() {
  const source = await makeSource(api, { url: 'https://harbourgazette.example/tunnel' }); // 1 source.created
  const mayor = await makeClaimant(api, { name: 'Ana Lindqvist' }); // 2 claimant.created
  const claim = await makeClaim(api, { text: 'The harbour tunnel will cost 2.4 billion euros' }); // 3 claim.created
  const attribution = await makeAttribution(api, {
    claim_id: claim.id,
    source_id: source.id,
    claimant_id: mayor.id,
    quote: 'The harbour tunnel will cost 2.4 billion euros',
  }); // 4 attribution.created, 5 claim.updated (counts)
  const review = (await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'misleading' })).json(); // 6 review.created, 7 claim.updated
  await api.patch(`/v1/claimants/${mayor.id}`, { aliases: ['Mayor Lindqvist'] }); // 8 claimant.updated
  await api.del(`/v1/reviews/${review.id}`); // 9 review.deleted, 10 claim.updated
  await api.patch(`/v1/claims/${claim.id}`, { topics: ['transport'] }); // 11 claim.updated
  return { source, mayor, claim, attribution, review };
}

t.test('the feed from after=0 walks every event in ascending seq, page by page, with next_after', async (t) => {
  await api.reset();
  const { source, mayor, claim, attribution, review } = await story();
  const all = await feed({ after: 0 });
  t.strictSame(
    all.data.map((e: Json) => [e.seq, e.type, e.entity_id]),
    [
      [1, 'source.created', source.id],
      [2, 'claimant.created', mayor.id],
      [3, 'claim.created', claim.id],
      [4, 'attribution.created', attribution.id],
      [5, 'claim.updated', claim.id],
      [6, 'review.created', review.id],
      [7, 'claim.updated', claim.id],
      [8, 'claimant.updated', mayor.id],
      [9, 'review.deleted', review.id],
      [10, 'claim.updated', claim.id],
      [11, 'claim.updated', claim.id],
    ],
  );
  t.equal(all.next_after, 11);
  t.strictSame(all.data.map((e: Json) => e.entity_type), ['source', 'claimant', 'claim', 'attribution', 'claim', 'review', 'claim', 'claimant', 'review', 'claim', 'claim']);

  const first = await feed({ after: 0, limit: 4 });
  t.strictSame(first.data.map((e: Json) => e.seq), [1, 2, 3, 4]);
  t.equal(first.next_after, 4);
  const second = await feed({ after: first.next_after, limit: 4 });
  t.strictSame(second.data.map((e: Json) => e.seq), [5, 6, 7, 8]);
  const third = await feed({ after: second.next_after, limit: 4 });
  t.strictSame(third.data.map((e: Json) => e.seq), [9, 10, 11]);
  t.equal(third.next_after, 11);
  const caughtUp = await feed({ after: 11, limit: 4 });
  t.strictSame(caughtUp.data, []);
  t.equal(caughtUp.next_after, 11, 'with nothing new, next_after stays where the reader is');
  const beyond = await feed({ after: 500 });
  t.strictSame(beyond.data, []);
  t.equal(beyond.next_after, 500);

  const defaults = await feed();
  t.equal(defaults.data.length, 11, 'after defaults to 0');
  t.strictSame((await walk(3)).map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'a walk in pages of 3 sees each once');
  t.strictSame(
    all.data.map((e: Json) => e.id),
    (await eventsOf(api)).map((e) => e.id),
    'the feed is the whole log',
  );
});

t.test('each event says what changed, when, and which request made it', async (t) => {
  await api.reset();
  const created = await api.request({
    method: 'POST',
    url: '/v1/claims',
    payload: { text: 'The harbour tunnel will cost 2.4 billion euros', topics: ['transport'] },
    headers: { 'x-request-id': 'desk-tool-req-1' },
  });
  t.equal(created.statusCode, 201);
  const claim = created.json();
  const patched = await api.request({ method: 'PATCH', url: `/v1/claims/${claim.id}`, payload: { text: 'The tunnel will cost 2.4 billion euros' }, headers: { 'x-request-id': 'desk-tool-req-2' } });
  t.equal(patched.statusCode, 200);
  t.equal((await api.del(`/v1/claims/${claim.id}`)).statusCode, 204);

  const [create, update, remove] = (await feed()).data;
  t.strictSame(Object.keys(create).sort(), ['after', 'before', 'entity_id', 'entity_type', 'id', 'key_id', 'occurred_at', 'request_id', 'seq', 'type']);
  t.equal(create.type, 'claim.created');
  t.equal(create.entity_type, 'claim');
  t.equal(create.entity_id, claim.id);
  const keys = (await api.get('/v1/keys')).json().data as Json[];
  t.equal(keys.length, 1, 'the suite’s admin key is the only key');
  t.equal(create.key_id, keys[0].id, 'key_id is the key that made the change');
  t.equal(remove.key_id, keys[0].id);
  t.equal(create.request_id, 'desk-tool-req-1');
  t.match(create.occurred_at, ISO);
  t.match(create.id, /^[0-9a-f-]{36}$/);
  t.equal(create.before, null);
  const { attributions: _embedded, ...claimFields } = claim;
  t.strictSame(create.after, claimFields, 'created: the whole entity, as the API answered it (without embedded rows)');

  t.equal(update.request_id, 'desk-tool-req-2');
  t.strictSame(update.before, { text: 'The harbour tunnel will cost 2.4 billion euros' }, 'updated: only the changed fields');
  t.strictSame(update.after, { text: 'The tunnel will cost 2.4 billion euros' });
  t.ok(Date.parse(update.occurred_at) >= Date.parse(create.occurred_at));

  t.equal(remove.type, 'claim.deleted');
  t.equal(remove.after, null);
  t.equal(remove.before.text, 'The tunnel will cost 2.4 billion euros', 'deleted: the whole entity as it was');
  t.equal(remove.before.version, 2);
  t.strictSame(remove.before.topics, ['transport']);
});

t.test('a write that logs more events than one statement inserts keeps them in order: a claim deleted with 2,100 attributions', async (t) => {
  await api.reset();
  const lines = [
    { type: 'source', ref: 's', data: { kind: 'article', title: 'Harbour' } },
    { type: 'claim', ref: 'c', data: { text: 'The tunnel costs 2.4 billion' } },
    ...Array.from({ length: 2100 }, (_, i) => ({ type: 'attribution', data: { claim_ref: 'c', source_ref: 's', claimant_label: `speaker ${i}` } })),
  ];
  const imported = await api.request({ method: 'POST', url: '/v1/bulk', headers: { 'content-type': 'application/x-ndjson' }, payload: lines.map((l) => JSON.stringify(l)).join('\n') });
  t.equal(imported.statusCode, 200, imported.body.slice(0, 300));
  const results = imported.json().results as Json[];
  const claimId = results[1].id;
  const before = Math.max(...(await walk()).map((e) => e.seq));
  t.equal((await api.del(`/v1/claims/${claimId}`)).statusCode, 204);
  const logged = (await walk()).filter((e) => e.seq > before);
  t.equal(logged.length, 2101);
  t.same(
    logged.map((e) => [e.type, e.entity_id]),
    [...results.slice(2).map((r) => ['attribution.deleted', r.id]), ['claim.deleted', claimId]],
    'every attribution in the order they were made, then the claim',
  );
});

t.test('the feed filters by type, entity_type and entity_id', async (t) => {
  await api.reset();
  const { source, mayor, claim, review } = await story();
  const seqs = async (params: Record<string, string>) => (await feed(params)).data.map((e: Json) => e.seq);
  t.strictSame(await seqs({ type: 'claim.updated' }), [5, 7, 10, 11]);
  t.strictSame(await seqs({ type: 'review.deleted' }), [9]);
  t.strictSame(await seqs({ type: 'source.deleted' }), []);
  t.strictSame(await seqs({ entity_type: 'claimant' }), [2, 8]);
  t.strictSame(await seqs({ entity_type: 'review' }), [6, 9]);
  t.strictSame(await seqs({ entity_id: claim.id }), [3, 5, 7, 10, 11]);
  t.strictSame(await seqs({ entity_id: source.id }), [1]);
  t.strictSame(await seqs({ entity_id: review.id, type: 'review.created' }), [6], 'filters combine');
  t.strictSame(await seqs({ entity_id: mayor.id, entity_type: 'claim' }), []);
  t.strictSame(await seqs({ entity_id: UNKNOWN_ID }), []);

  const filteredPage = await feed({ type: 'claim.updated', after: 5, limit: 2 });
  t.strictSame(filteredPage.data.map((e: Json) => e.seq), [7, 10]);
  t.equal(filteredPage.next_after, 10, 'next_after is the last seq returned, so a filtered poll resumes right');
  t.strictSame((await walk(1, { entity_type: 'claim' })).map((e) => e.seq), [3, 5, 7, 10, 11]);
});

t.test('feed parameters outside their bounds are 400', async (t) => {
  await api.reset();
  await story();
  for (const query of ['limit=0', 'limit=1001', 'limit=-5', 'limit=ten', 'after=-1', 'after=x', 'type=claim.exploded', 'entity_type=widget', 'entity_id=12', 'colour=red']) {
    const problem = expectProblem(t, await api.get(`/v1/events?${query}`), 400, 'validation_failed');
    t.equal(problem.errors[0].path, `query.${query.split('=')[0]}`, query);
  }
  t.equal((await feed({ limit: 1 })).data.length, 1, 'limit 1 is allowed');
  t.equal((await feed({ limit: 1000 })).data.length, 11, 'limit 1000 is allowed');
  t.equal((await feed({ limit: 2 })).data.length, 2);
});

t.test('a reader polling with next_after while 8 writers run concurrently sees every event exactly once', async (t) => {
  await api.reset();
  const source = await makeSource(api, { url: 'https://harbourgazette.example/feed-race' });
  const WAVES = 6;
  const WRITERS = 8;
  // Rows each wave's writers change, so no two writers of a wave touch the same row.
  const targets: { claim: Json; doomed: Json; claimant: Json }[] = [];
  for (let w = 0; w < WAVES; w++) {
    targets.push({ claim: await makeClaim(api), doomed: await makeClaim(api), claimant: await makeClaimant(api) });
  }

  const seen: number[] = [];
  let after = 0;
  let polls = 0;
  const badPolls: string[] = [];
  const poll = async () => {
    const res = await api.get(`/v1/events?after=${after}&limit=7`);
    polls++;
    if (res.statusCode !== 200) {
      badPolls.push(`${res.statusCode} ${res.body}`);
      return 0;
    }
    const page = res.json();
    seen.push(...page.data.map((e: Json) => e.seq as number));
    after = page.next_after;
    return page.data.length as number;
  };
  let writing = true;
  const reader = (async () => {
    while (writing) {
      await poll();
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();

  const statuses: number[] = [];
  const pollsDuringWrites: number[] = [];
  for (let w = 0; w < WAVES; w++) {
    const { claim, doomed, claimant } = targets[w];
    const writers = Array.from({ length: WRITERS }, async (_, i) => {
      // Staggered by a millisecond or two, so the reader's polls interleave even on the one-connection embedded database.
      await new Promise((resolve) => setTimeout(resolve, i % 3));
      switch (i) {
        case 0:
          return api.post('/v1/claims', {
            text: `Wave ${w}: the harbour tunnel will cost 2.4 billion euros`,
            attributions: [{ source_id: source.id, claimant_label: 'the mayor', quote: 'The harbour tunnel will cost 2.4 billion euros' }],
          });
        case 1:
          return api.patch(`/v1/claims/${claim.id}`, { text: `Wave ${w}: changed text`, topics: ['transport'] });
        case 2:
          return api.post('/v1/sources', { kind: 'article', title: `Wave ${w}`, url: `https://news.example/wave-${w}` });
        case 3:
          return api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', evidence: [{ source_id: source.id, stance: 'refutes' }] });
        case 4:
          return api.del(`/v1/claims/${doomed.id}`);
        case 5:
          return api.patch(`/v1/claimants/${claimant.id}`, { aliases: [`Alias ${w}`] });
        case 6:
          return api.post('/v1/claimants', { name: `Writer ${w}`, kind: 'group' });
        default:
          return api.post('/v1/attributions', { claim_id: claim.id, source_id: source.id, claimant_id: claimant.id, stance: 'reports' });
      }
    });
    const results = await Promise.all(writers);
    statuses.push(...results.map((r) => r.statusCode));
    pollsDuringWrites.push(polls);
  }
  writing = false;
  await reader;
  while ((await poll()) > 0);

  t.strictSame(badPolls, [], 'every poll answered 200');
  t.strictSame(
    statuses.filter((s) => s >= 300),
    [],
    'every write succeeded',
  );
  t.ok(pollsDuringWrites.at(-1)! > WAVES, `the reader polled during the writes (${pollsDuringWrites.at(-1)} polls)`);

  const full = (await walk(1000)).map((e) => e.seq as number);
  const expectedEvents = (await eventsOf(api)).length;
  t.equal(full.length, expectedEvents, 'the full read is the whole log');
  t.ok(full.length > WAVES * WRITERS, `the writers made ${full.length} events`);
  t.equal(new Set(seen).size, seen.length, 'the poller saw no event twice');
  t.ok(
    seen.every((s, i) => i === 0 || s > seen[i - 1]),
    'the poller saw seqs strictly increasing',
  );
  t.strictSame(seen, full, 'the poller saw exactly the events of a final full read');
});

t.test('a claim’s history is its own events, oldest first; updates carry only the changed fields', async (t) => {
  await api.reset();
  const claim = await makeClaim(api, { text: 'The harbour tunnel will cost 2.4 billion euros', topics: [] });
  const source = await makeSource(api, { published_at: '2026-03-03T09:00:00Z' });
  await api.patch(`/v1/claims/${claim.id}`, { text: 'The harbour tunnel will cost 2.4 billion euros in total', topics: ['transport'] });
  await api.patch(`/v1/claims/${claim.id}`, { status: 'in_review' });
  await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor' });
  await makeClaim(api); // another claim's events stay out

  const events = await history('claims', claim.id);
  t.strictSame(events.map((e) => e.type), ['claim.created', 'claim.updated', 'claim.updated', 'claim.updated']);
  t.ok(events.every((e) => e.entity_id === claim.id && e.entity_type === 'claim'), 'only this claim’s events');
  t.ok(events.every((e, i) => i === 0 || e.seq > events[i - 1].seq), 'oldest first');
  t.equal(events[0].before, null);
  t.equal(events[0].after.id, claim.id);
  t.strictSame(events[1].before, { text: 'The harbour tunnel will cost 2.4 billion euros', topics: [] });
  t.strictSame(events[1].after, { text: 'The harbour tunnel will cost 2.4 billion euros in total', topics: ['transport'] });
  t.strictSame(events[2].before, { status: 'unreviewed' });
  t.strictSame(events[2].after, { status: 'in_review' });
  t.strictSame(events[3].before, { attribution_count: 0, first_seen_at: null });
  t.strictSame(events[3].after, { attribution_count: 1, first_seen_at: '2026-03-03T09:00:00.000Z' }, 'derived fields moving are logged too');

  const res = await api.get(`/v1/claims/${claim.id}/history?limit=2`);
  t.equal(res.statusCode, 200);
  t.strictSame(res.json().data.map((e: Json) => e.seq), events.slice(0, 2).map((e) => e.seq));
  const rest = await api.get(`/v1/claims/${claim.id}/history?after=${res.json().next_after}`);
  t.strictSame(rest.json().data.map((e: Json) => e.seq), events.slice(2).map((e) => e.seq));
  const done = await api.get(`/v1/claims/${claim.id}/history?after=${rest.json().next_after}`);
  t.equal(done.statusCode, 200, 'a caught-up reader of an existing history gets an empty page, not 404');
  t.strictSame(done.json().data, []);
  expectProblem(t, await api.get(`/v1/claims/${claim.id}/history?limit=0`), 400, 'validation_failed');
  expectProblem(t, await api.get(`/v1/claims/${claim.id}/history?type=claim.created`), 400, 'validation_failed');
});

t.test('review changes show up in the claim’s history as claim.updated with verdict and status before and after', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const first = (await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'false', published_at: '2026-03-05T00:00:00Z' })).json();
  const second = (await api.post(`/v1/claims/${claim.id}/reviews`, { verdict: 'mixed', published_at: '2026-03-06T00:00:00Z' })).json();
  await api.patch(`/v1/reviews/${second.id}`, { verdict: 'misleading' });
  await api.del(`/v1/reviews/${second.id}`);
  await api.del(`/v1/reviews/${first.id}`);

  const events = await history('claims', claim.id);
  t.strictSame(
    events.map((e) => [e.type, e.before, e.after]),
    [
      ['claim.created', null, events[0].after],
      ['claim.updated', { review_count: 0, verdict: null, status: 'unreviewed' }, { review_count: 1, verdict: 'false', status: 'reviewed' }],
      ['claim.updated', { review_count: 1, verdict: 'false' }, { review_count: 2, verdict: 'mixed' }],
      ['claim.updated', { verdict: 'mixed' }, { verdict: 'misleading' }],
      ['claim.updated', { review_count: 2, verdict: 'misleading' }, { review_count: 1, verdict: 'false' }],
      ['claim.updated', { review_count: 1, verdict: 'false', status: 'reviewed' }, { review_count: 0, verdict: null, status: 'unreviewed' }],
    ],
  );
  const reviewEvents = (await feed({ entity_type: 'review' })).data.map((e: Json) => [e.type, e.entity_id]);
  t.strictSame(reviewEvents, [
    ['review.created', first.id],
    ['review.created', second.id],
    ['review.updated', second.id],
    ['review.deleted', second.id],
    ['review.deleted', first.id],
  ]);
});

t.test('a claim’s history is still readable after the claim is deleted; an id that never existed is 404, with or without after', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  await api.patch(`/v1/claims/${claim.id}`, { topics: ['budget'] });
  t.equal((await api.del(`/v1/claims/${claim.id}`)).statusCode, 204);
  expectProblem(t, await api.get(`/v1/claims/${claim.id}`), 404, 'not_found');
  const events = await history('claims', claim.id);
  t.strictSame(events.map((e) => e.type), ['claim.created', 'claim.updated', 'claim.deleted']);
  t.strictSame(events[2].before.topics, ['budget']);

  const missing = expectProblem(t, await api.get(`/v1/claims/${UNKNOWN_ID}/history`), 404, 'not_found');
  t.match(missing.detail, UNKNOWN_ID);
  expectProblem(t, await api.get(`/v1/sources/${UNKNOWN_ID}/history`), 404, 'not_found');
  expectProblem(t, await api.get(`/v1/claims/${UNKNOWN_ID}/history?after=1`), 404, 'not_found');
  expectProblem(t, await api.get(`/v1/sources/${UNKNOWN_ID}/history?after=3&limit=5`), 404, 'not_found');
  expectProblem(t, await api.get('/v1/claims/not-a-uuid/history'), 400, 'validation_failed');
  const source = await makeSource(api);
  expectProblem(t, await api.get(`/v1/claims/${source.id}/history`), 404, 'not_found');
});

t.test('a source’s history: created, the changed fields of updates, and its deletion, oldest first', async (t) => {
  await api.reset();
  const source = await makeSource(api, { title: 'Council approves harbour tunnel', published_at: '2026-03-03T09:00:00Z' });
  const claim = await makeClaim(api);
  await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'the mayor' });
  await api.patch(`/v1/sources/${source.id}`, { title: 'Harbour tunnel approved', published_at: '2026-03-02T09:00:00Z' });
  t.equal((await api.del(`/v1/sources/${source.id}?cascade=true`)).statusCode, 204);

  const events = await history('sources', source.id);
  t.strictSame(events.map((e) => e.type), ['source.created', 'source.updated', 'source.deleted']);
  t.strictSame(events[1].before, { title: 'Council approves harbour tunnel', published_at: '2026-03-03T09:00:00.000Z' });
  t.strictSame(events[1].after, { title: 'Harbour tunnel approved', published_at: '2026-03-02T09:00:00.000Z' });
  t.equal(events[2].before.title, 'Harbour tunnel approved');
  t.equal(events[2].after, null);

  const claimHistory = await history('claims', claim.id);
  t.strictSame(claimHistory.map((e) => [e.before?.first_seen_at, e.after?.first_seen_at]).slice(1), [
    [null, '2026-03-03T09:00:00.000Z'],
    ['2026-03-03T09:00:00.000Z', '2026-03-02T09:00:00.000Z'],
    ['2026-03-02T09:00:00.000Z', null],
  ], 'the source’s date moved the claim’s first_seen_at, and its deletion cleared it');
});
