import t from 'tap';
import { buildTestApp } from '../helper.js';
import {
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
} from '../factories.js';

const api = await buildTestApp(t);

t.test('creating a claimant stores its fields, defaults kind to unknown and logs claimant.created', async (t) => {
  await api.reset();
  const res = await api.post('/v1/claimants', {
    name: 'Ana Lindqvist',
    kind: 'person',
    aliases: ['Mayor Lindqvist', 'A. Lindkvist'],
    description: 'Mayor of the harbour city since 2022.',
    wikidata_id: 'Q4182',
    url: 'https://city.example/mayor',
  });
  t.equal(res.statusCode, 201);
  const body = res.json();
  t.match(body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUIDv7');
  t.equal(res.headers.location, `/v1/claimants/${body.id}`);
  t.equal(body.name, 'Ana Lindqvist');
  t.equal(body.kind, 'person');
  t.same(body.aliases, ['Mayor Lindqvist', 'A. Lindkvist']);
  t.equal(body.description, 'Mayor of the harbour city since 2022.');
  t.equal(body.wikidata_id, 'Q4182');
  t.equal(body.url, 'https://city.example/mayor');
  t.equal(body.version, 1);
  t.equal(body.created_at, body.updated_at);
  t.same((await api.get(`/v1/claimants/${body.id}`)).json(), body, 'GET answers what POST did');

  const bare = await api.post('/v1/claimants', { name: 'city officials' });
  t.equal(bare.statusCode, 201);
  t.equal(bare.json().kind, 'unknown');
  t.same(bare.json().aliases, []);
  t.equal(bare.json().description, null);
  t.equal(bare.json().wikidata_id, null);
  t.equal(bare.json().url, null);

  const events = await eventsOf(api, body.id);
  t.same(events.map((e) => e.type), ['claimant.created']);
  t.equal(events[0].after.name, 'Ana Lindqvist');
  t.same(events[0].after.aliases, ['Mayor Lindqvist', 'A. Lindkvist']);
  t.equal(events[0].before, null);
});

t.test('creating a claimant refuses bad bodies with 400 and writes nothing', async (t) => {
  await api.reset();
  const cases: [unknown, string][] = [
    [{}, 'body.name'],
    [{ name: '' }, 'body.name'],
    [{ name: 'X', kind: 'alien' }, 'body.kind'],
    [{ name: 'X', aliases: 'Mayor' }, 'body.aliases'],
    [{ name: 'X', url: 'ftp://city.example' }, 'body.url'],
    [{ name: 'X', verified: true }, 'body.verified'],
  ];
  for (const [body, path] of cases) {
    const problem = expectProblem(t, await api.post('/v1/claimants', body), 400, 'validation_failed');
    t.ok(problem.errors.some((e: { path: string }) => e.path === path), `${JSON.stringify(body)} names ${path}`);
  }
  t.equal(await countOf(api, '/v1/claimants'), 0);
  t.same(await eventsOf(api), []);
});

t.test('wikidata_id must be Q followed by digits, on create and on PATCH', async (t) => {
  await api.reset();
  for (const wikidata_id of ['q42', 'Q', 'Q0', '42', 'Q42a', 'Q 42', 'P31']) {
    const problem = expectProblem(t, await api.post('/v1/claimants', { name: 'Ana', wikidata_id }), 400, 'validation_failed');
    t.equal(problem.errors[0].path, 'body.wikidata_id', wikidata_id);
  }
  t.equal(await countOf(api, '/v1/claimants'), 0);

  const claimant = await makeClaimant(api, { wikidata_id: 'Q42' });
  const problem = expectProblem(t, await api.patch(`/v1/claimants/${claimant.id}`, { wikidata_id: 'Q-1' }), 400, 'validation_failed');
  t.equal(problem.errors[0].path, 'body.wikidata_id');
  const read = (await api.get(`/v1/claimants/${claimant.id}`)).json();
  t.equal(read.wikidata_id, 'Q42');
  t.equal(read.version, 1);
  expectProblem(t, await api.get('/v1/claimants?wikidata_id=42'), 400, 'validation_failed');
});

t.test('a wikidata_id another claimant holds is 409 with its id, on create and on PATCH, and writes nothing', async (t) => {
  await api.reset();
  const first = await makeClaimant(api, { name: 'Ana Lindqvist', wikidata_id: 'Q4182' });
  const other = await makeClaimant(api, { name: 'Jonas Berg', wikidata_id: 'Q99' });
  const eventsBefore = (await eventsOf(api)).length;

  const created = expectProblem(t, await api.post('/v1/claimants', { name: 'A. Lindqvist', wikidata_id: 'Q4182' }), 409, 'conflict');
  t.equal(created.existing_id, first.id);
  t.equal(created.errors[0].path, 'body.wikidata_id');
  t.equal(await countOf(api, '/v1/claimants'), 2);

  const patched = expectProblem(t, await api.patch(`/v1/claimants/${other.id}`, { wikidata_id: 'Q4182', name: 'Renamed' }), 409, 'conflict');
  t.equal(patched.existing_id, first.id);
  const read = (await api.get(`/v1/claimants/${other.id}`)).json();
  t.equal(read.wikidata_id, 'Q99');
  t.equal(read.name, 'Jonas Berg');
  t.equal(read.version, 1);
  t.equal((await eventsOf(api)).length, eventsBefore);

  const own = await api.patch(`/v1/claimants/${first.id}`, { wikidata_id: 'Q4182' });
  t.equal(own.statusCode, 200, 'its own wikidata_id is no conflict');
  t.equal(own.json().version, 1);

  t.same(idsOf(await api.get('/v1/claimants?wikidata_id=Q4182')), [first.id]);
  t.equal((await api.post('/v1/claimants', { name: 'Nobody', wikidata_id: null })).statusCode, 201, 'null is no id and never conflicts');
  t.equal((await api.post('/v1/claimants', { name: 'Nobody 2', wikidata_id: null })).statusCode, 201);
});

t.test('PATCH changes fields and aliases, adds 1 to version, null clears, and the event holds only changed fields', async (t) => {
  await api.reset();
  const claimant = await makeClaimant(api, {
    name: 'Ana Lindqvist',
    aliases: ['Mayor Lindqvist'],
    description: 'Mayor.',
    wikidata_id: 'Q4182',
    url: 'https://city.example/mayor',
  });
  const res = await api.patch(`/v1/claimants/${claimant.id}`, { aliases: ['Mayor Lindqvist', 'A. Lindkvist'], kind: 'government' });
  t.equal(res.statusCode, 200);
  t.same(res.json().aliases, ['Mayor Lindqvist', 'A. Lindkvist']);
  t.equal(res.json().kind, 'government');
  t.equal(res.json().name, 'Ana Lindqvist');
  t.equal(res.json().version, 2);

  const same = await api.patch(`/v1/claimants/${claimant.id}`, { aliases: ['Mayor Lindqvist', 'A. Lindkvist'], name: 'Ana Lindqvist' });
  t.equal(same.json().version, 2, 'an unchanged PATCH keeps the version');

  const cleared = await api.patch(`/v1/claimants/${claimant.id}`, { description: null, wikidata_id: null, url: null });
  t.equal(cleared.statusCode, 200);
  t.equal(cleared.json().description, null);
  t.equal(cleared.json().wikidata_id, null);
  t.equal(cleared.json().url, null);
  t.equal(cleared.json().version, 3);
  expectProblem(t, await api.patch(`/v1/claimants/${claimant.id}`, { name: null }), 400, 'validation_failed');
  expectProblem(t, await api.patch(`/v1/claimants/${claimant.id}`, { aliases: null }), 400, 'validation_failed');
  expectProblem(t, await api.patch(`/v1/claimants/${claimant.id}`, { id: claimant.id }), 400, 'validation_failed');
  const read = (await api.get(`/v1/claimants/${claimant.id}`)).json();
  t.equal(read.version, 3);
  t.same(read.aliases, ['Mayor Lindqvist', 'A. Lindkvist']);

  const events = await eventsOf(api, claimant.id);
  t.same(events.map((e) => e.type), ['claimant.created', 'claimant.updated', 'claimant.updated']);
  t.same(events[1].before, { kind: 'person', aliases: ['Mayor Lindqvist'] });
  t.same(events[1].after, { kind: 'government', aliases: ['Mayor Lindqvist', 'A. Lindkvist'] });
  t.same(events[2].before, { description: 'Mayor.', wikidata_id: 'Q4182', url: 'https://city.example/mayor' });
  t.same(events[2].after, { description: null, wikidata_id: null, url: null });
});

t.test('GET of a malformed id is 400 and of an unknown id is 404', async (t) => {
  await api.reset();
  expectProblem(t, await api.get('/v1/claimants/123'), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/claimants/0190a5b0-0000-7000-8000-000000000001'), 404, 'not_found');
  expectProblem(t, await api.patch('/v1/claimants/0190a5b0-0000-7000-8000-000000000001', { name: 'X' }), 404, 'not_found');
  expectProblem(t, await api.del('/v1/claimants/0190a5b0-0000-7000-8000-000000000001'), 404, 'not_found');
});

t.test('the name filter matches names and aliases ignoring case, accents and extra spaces, but not parts of names', async (t) => {
  await api.reset();
  const ana = await makeClaimant(api, { name: 'Ana Lindqvist', aliases: ['Mayor Lindqvist', 'A. Lindkvist'] });
  const asa = await makeClaimant(api, { name: 'Åsa Ström', aliases: ['Söderström'] });
  const jonas = await makeClaimant(api, { name: 'Jonas Berg', aliases: [] });
  const port = await makeClaimant(api, { name: 'Port Authority', kind: 'organization', aliases: ['the Port Authority', 'Hamnverket'] });
  const byName = async (name: string) => {
    const res = await api.get(`/v1/claimants?${qs({ name })}`);
    t.equal(res.statusCode, 200, name);
    return idsOf(res);
  };
  t.same(await byName('Ana Lindqvist'), [ana.id]);
  t.same(await byName('ANA LINDQVIST'), [ana.id], 'case');
  t.same(await byName('mayor lindqvist'), [ana.id], 'alias');
  t.same(await byName('a. lindkvist'), [ana.id], 'other alias');
  t.same(await byName('asa strom'), [asa.id], 'accents in the name');
  t.same(await byName('SODERSTRÖM'), [asa.id], 'accents in an alias');
  t.same(await byName('  jonas   berg '), [jonas.id], 'surrounding and double spaces');
  t.same(await byName('THE PORT AUTHORITY'), [port.id]);
  t.same(await byName('Lindqvist'), [], 'a part of a name is no match');
  t.same(await byName('Ana Lindqvist Berg'), []);
  t.same(idsOf(await api.get('/v1/claimants?kind=organization')), [port.id]);
  t.same(idsOf(await api.get('/v1/claimants?sort=name')), [ana.id, jonas.id, port.id, asa.id], 'sort=name');
});

t.test('DELETE answers 204, then 404, and logs claimant.deleted', async (t) => {
  await api.reset();
  const claimant = await makeClaimant(api);
  t.equal((await api.del(`/v1/claimants/${claimant.id}`)).statusCode, 204);
  expectProblem(t, await api.get(`/v1/claimants/${claimant.id}`), 404, 'not_found');
  t.same(await eventLog(api, claimant.id), [
    ['claimant.created', claimant.id],
    ['claimant.deleted', claimant.id],
  ]);
  const deleted = (await eventsOf(api, claimant.id))[1];
  t.equal(deleted.before.name, claimant.name);
  t.equal(deleted.after, null);
});

t.test('deleting a claimant attributions name is 409 in_use and changes nothing; cascade=true deletes those attributions', async (t) => {
  await api.reset();
  const source = await makeSource(api, { published_at: '2026-03-03T09:00:00Z' });
  const mayor = await makeClaimant(api, { name: 'Ana Lindqvist' });
  const port = await makeClaimant(api, { name: 'Port Authority' });
  const claim = await makeClaim(api, {
    attributions: [
      { source_id: source.id, claimant_id: mayor.id, quote: 'not a cent more', said_at: '2026-03-02T20:00:00Z' },
      { source_id: source.id, claimant_id: port.id, quote: '12,000 jobs' },
    ],
  });
  t.equal(claim.first_seen_at, '2026-03-02T20:00:00.000Z');
  const [byMayor, byPort] = claim.attributions;
  const counts = await countAll(api);
  const eventsBefore = (await eventsOf(api)).length;

  expectProblem(t, await api.del(`/v1/claimants/${mayor.id}`), 409, 'in_use');
  t.same(await countAll(api), counts, 'nothing deleted');
  t.equal((await api.get(`/v1/claimants/${mayor.id}`)).statusCode, 200);
  t.equal((await eventsOf(api)).length, eventsBefore);

  t.equal((await api.del(`/v1/claimants/${mayor.id}?cascade=true`)).statusCode, 204);
  expectProblem(t, await api.get(`/v1/claimants/${mayor.id}`), 404, 'not_found');
  expectProblem(t, await api.get(`/v1/attributions/${byMayor.id}`), 404, 'not_found');
  t.equal((await api.get(`/v1/attributions/${byPort.id}`)).statusCode, 200);
  const read = (await api.get(`/v1/claims/${claim.id}`)).json();
  t.equal(read.attribution_count, 1);
  t.equal(read.first_seen_at, '2026-03-03T09:00:00.000Z', 'back to the source’s published_at');
  t.same(await countAll(api), { ...counts, claimants: counts.claimants - 1, attributions: counts.attributions - 1 });
  const logged = (await eventsOf(api)).slice(eventsBefore);
  t.same(logged.map((e) => [e.type, e.entity_id]), [
    ['attribution.deleted', byMayor.id],
    ['claim.updated', claim.id],
    ['claimant.deleted', mayor.id],
  ]);
  t.same(logged[1].after, { attribution_count: 1, first_seen_at: '2026-03-03T09:00:00.000Z' });

  const unused = await makeClaimant(api);
  t.equal((await api.del(`/v1/claimants/${unused.id}?cascade=true`)).statusCode, 204, 'cascade on an unused claimant is a plain delete');
});

t.test('an attribution with only a label does not keep any claimant in use', async (t) => {
  await api.reset();
  const source = await makeSource(api);
  const claimant = await makeClaimant(api);
  const claim = await makeClaim(api);
  await makeAttribution(api, { claim_id: claim.id, source_id: source.id, claimant_label: 'a senior official', quote: 'not a cent more' });
  t.equal((await api.del(`/v1/claimants/${claimant.id}`)).statusCode, 204);
});
