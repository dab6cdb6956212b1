import t from 'tap';
import { buildTestApp } from './helper.js';
import { countOf, expectProblem, makeClaimant, makeSource, qs, type Json } from './factories.js';

process.env.TZ = 'UTC';

const api = await buildTestApp(t);

const lookup = async (q: string, extra: Record<string, string | number> = {}) => {
  const res = await api.get(`/v1/claimants?${qs({ q, ...extra })}`);
  if (res.statusCode !== 200) throw new Error(`lookup ${q} answered ${res.statusCode}: ${res.body}`);
  return res.json() as { data: Json[]; next_cursor: string | null; total?: number };
};

/** A newsroom's claimants: the people of the issue, and others with similar names to be fooled by. */
async function people() {
  const ana = await makeClaimant(api, { name: 'Ana Lindqvist', aliases: ['Mayor Lindqvist', 'A. Lindkvist'] });
  const pyotr = await makeClaimant(api, { name: 'Pyotr Tchaikovsky', aliases: [] });
  const others = [];
  for (const name of ['Lars Lindgren', 'Anna Lindholm', 'Jonas Berg', 'Pyotr Kowalski', 'Tove Lindberg', 'Nikolai Rimsky', 'Sara Lind', 'Port Authority']) {
    others.push(await makeClaimant(api, { name }));
  }
  return { ana, pyotr, others };
}

t.test('lookup forgives case, accents, small misspellings and transliterations, best first', async (t) => {
  await api.reset();
  const { ana, pyotr } = await people();
  for (const q of ['lindkvist', 'LINDQVIST', 'lindqvíst', 'Lindqvst', 'ana lindqvist', 'Mayor Lindqvist']) {
    const page = await lookup(q);
    t.equal(page.data[0]?.id, ana.id, `${q} → Ana Lindqvist first`);
  }
  for (const q of ['Chaikovsky', 'Tschaikowsky', 'tchaikovski', 'Pyotr Tchaikovsky']) {
    const page = await lookup(q);
    t.equal(page.data[0]?.id, pyotr.id, `${q} → Pyotr Tchaikovsky first`);
  }
});

t.test('each hit says which name or alias matched, and how well', async (t) => {
  await api.reset();
  const { ana } = await people();
  const exact = await lookup('ANA LINDQVIST');
  t.equal(exact.data[0].matched, 'Ana Lindqvist');
  t.equal(exact.data[0].score, 1, 'the same name ignoring case scores 1');
  const alias = await lookup('lindkvist');
  t.equal(alias.data[0].id, ana.id);
  t.equal(alias.data[0].matched, 'A. Lindkvist', 'the alias spelled that way');
  t.ok(alias.data[0].score >= 0.85 && alias.data[0].score < 1, `a part of a name scores below 1 (${alias.data[0].score})`);
  const title = await lookup('mayor lindqvist');
  t.equal(title.data[0].matched, 'Mayor Lindqvist');
  for (const page of [exact, alias, title]) {
    for (let i = 1; i < page.data.length; i++) t.ok(page.data[i - 1].score >= page.data[i].score, 'best first');
    t.ok(page.data.every((c) => c.score > 0 && c.score <= 1));
  }
  t.same((await lookup('Xylophone Quartermaster')).data, [], 'an unrelated name finds nobody');
  const plain = (await api.get(`/v1/claimants/${ana.id}`)).json();
  t.notOk('matched' in plain || 'score' in plain, 'no matched/score without q');
  t.notOk('lookup_key' in plain || 'lookup_names' in plain, 'internal lookup columns never leave');
});

t.test('lookup combines with filters and pages by score', async (t) => {
  await api.reset();
  for (let i = 0; i < 7; i++) await makeClaimant(api, { name: `Person ${i} Lindqvist`, kind: i % 2 ? 'person' : 'organization' });
  const all: Json[] = [];
  let cursor: string | null = null;
  do {
    const page = await lookup('lindqvist', cursor ? { limit: 2, cursor } : { limit: 2 });
    all.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  t.equal(all.length, 7);
  t.equal(new Set(all.map((c) => c.id)).size, 7, 'every hit once');
  t.same((await lookup('lindqvist', { kind: 'organization' })).data.length, 4, 'kind filter');
  t.equal((await lookup('lindqvist', { count: 'true', limit: 1 })).total, 7, 'count=true');
  expectProblem(t, await api.get(`/v1/claimants?${qs({ q: 'lindqvist', cursor: 'garbage' })}`), 400, 'invalid_cursor');
});

t.test('claimant_name reuses a claimant only for the same name, an alias or a spelling variant', async (t) => {
  await api.reset();
  const { ana, pyotr } = await people();
  const source = await makeSource(api);
  const before = await countOf(api, '/v1/claimants');
  const claimantOf = async (claimant_name: string) => {
    const res = await api.post('/v1/claims', { text: `Something ${claimant_name} said`, attributions: [{ source_id: source.id, claimant_name }] });
    t.equal(res.statusCode, 201, res.body);
    return res.json().attributions[0].claimant_id as string;
  };
  t.equal(await claimantOf('A. Lindkvist'), ana.id, 'an alias');
  t.equal(await claimantOf('ana LINDQVÍST'), ana.id, 'case and accents');
  t.equal(await claimantOf('Lindqvist, Ana'), ana.id, 'word order and punctuation');
  t.equal(await claimantOf('Ana Lindkvist'), ana.id, 'a spelling variant of the name');
  t.equal(await claimantOf('Pyotr Tchaikovski'), pyotr.id, 'a transliteration of the name');
  t.equal(await countOf(api, '/v1/claimants'), before, 'one person did not become several claimants');

  const anna = await claimantOf('Anna Lindqvist');
  t.not(anna, ana.id, 'another first name is another person');
  const surname = await claimantOf('Lindqvist');
  t.not(surname, ana.id, 'a surname alone is not enough to merge');
  const stranger = await claimantOf('Ingrid Fjellström');
  t.notOk([ana.id, pyotr.id, anna, surname].includes(stranger), 'an unrelated name creates a new claimant');
  t.equal(await countOf(api, '/v1/claimants'), before + 3);
  t.equal(await claimantOf('ingrid fjellstrom'), stranger, 'and the new one is found next time');
  const created = (await api.get(`/v1/claimants/${stranger}`)).json();
  t.equal(created.name, 'Ingrid Fjellström', 'stored as first written');
});

t.test('claimant_name reuses a claimant for a clear misspelling and says how it resolved; other people stay apart', async (t) => {
  await api.reset();
  const hillary = await makeClaimant(api, { name: 'Hillary Clinton' });
  const rand = await makeClaimant(api, { name: 'Rand Paul' });
  const kean = await makeClaimant(api, { name: 'Tom Kean Jr' });
  const trump = await makeClaimant(api, { name: 'Donald Trump' });
  const source = await makeSource(api);
  const attribute = async (claimant_name: string) => {
    const claim = (await api.post('/v1/claims', { text: `Something ${claimant_name} said` })).json();
    const res = await api.post('/v1/attributions', { claim_id: claim.id, source_id: source.id, claimant_name });
    t.equal(res.statusCode, 201, res.body);
    return res.json();
  };
  const hilary = await attribute('Hilary Clinton');
  t.equal(hilary.claimant_id, hillary.id, 'a misspelling of the name');
  t.match(hilary.claimant_resolution, { status: 'matched', claimant_id: hillary.id, matched_name: 'Hillary Clinton', rule: 'misspelling' });
  t.match((await attribute('Hillary Clinton')).claimant_resolution, { status: 'matched', rule: 'same_name', score: 1 });
  for (const [name, other] of [['Ron Paul', rand], ['Tom Kean Sr', kean], ['Donald Trump Jr', trump]] as const) {
    const a = await attribute(name);
    t.not(a.claimant_id, other.id, `${name} is not ${other.name}`);
    t.match(a.claimant_resolution, { status: 'created', rule: 'no_close_match' }, `${name}: created`);
  }
  const plain = (await api.get(`/v1/attributions/${hilary.id}`)).json();
  t.equal(plain.claimant_resolution, undefined, 'the resolution is told in the write answer only');
});

t.test('at equal score the claimant named by more attributions comes first, and timestamps are RFC 3339', async (t) => {
  await api.reset();
  const girl = await makeClaimant(api, { name: 'Obama Girl' });
  const michelle = await makeClaimant(api, { name: 'Michelle Obama' });
  const barack = await makeClaimant(api, { name: 'Barack Obama' });
  const source = await makeSource(api, { text: null });
  const said = async (claimantId: string, times: number) => {
    for (let i = 0; i < times; i++) {
      const res = await api.post('/v1/claims', { text: `Claim ${claimantId} ${i}`, attributions: [{ source_id: source.id, claimant_id: claimantId }] });
      t.equal(res.statusCode, 201, res.body);
    }
  };
  await said(barack.id, 3);
  await said(michelle.id, 1);
  const page = await lookup('obama');
  t.same(page.data.map((c) => c.name), ['Barack Obama', 'Michelle Obama', 'Obama Girl'], 'most used first');
  t.equal(new Set(page.data.map((c) => c.score)).size, 1, 'all three at the same score');
  t.equal(page.data[2].id, girl.id);
  // Paging by one keeps the same order.
  const names: string[] = [];
  let cursor: string | null = null;
  do {
    const p = await lookup('obama', { limit: 1, ...(cursor ? { cursor } : {}) });
    names.push(...p.data.map((c) => c.name));
    cursor = p.next_cursor;
  } while (cursor);
  t.same(names, ['Barack Obama', 'Michelle Obama', 'Obama Girl'], 'pages follow the same order');
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
  for (const hit of page.data) {
    t.match(hit.created_at, rfc3339, `created_at ${hit.created_at}`);
    t.match(hit.updated_at, rfc3339, `updated_at ${hit.updated_at}`);
  }
});

t.test('bad lookup input is 400', async (t) => {
  await api.reset();
  expectProblem(t, await api.get('/v1/claimants?q='), 400, 'validation_failed');
  expectProblem(t, await api.get(`/v1/claimants?${qs({ q: 'x'.repeat(301) })}`), 400, 'validation_failed');
  expectProblem(t, await api.get('/v1/claimants?q=ana&sort=-rank'), 400, 'validation_failed');
});
