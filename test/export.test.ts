import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, getTableColumns, inArray, sql } from 'drizzle-orm';
import t from 'tap';
import { attributions, claimantColumns, claimColumns, claimants, claims, reviewEvidence, reviews, sources } from '../src/db/schema.js';
import { importFiles } from '../src/cli/import.js';
import { rowToBulkLine, bulkTypeOf } from '../src/cli/export-rows.js';
import { csvCell } from '../src/resources/export/format.js';
import { TEST_ADMIN_KEY, buildTestApp, type TestApp } from './helper.js';
import { expectProblem, qs, type Json } from './factories.js';
import { ndjsonExportRows, parseCsv } from './support/export-files.js';
import { newsroomLines, toNdjson, type Line } from './fixtures/bulk/newsroom.js';

const api = await buildTestApp(t);
const empty = await buildTestApp(t);

const TYPES = ['sources', 'claimants', 'claims', 'attributions', 'reviews'] as const;
type ExportType = (typeof TYPES)[number];

const bulk = (app: TestApp, payload: string) =>
  app.request({ method: 'POST', url: '/v1/bulk', headers: { 'content-type': 'application/x-ndjson' }, payload });

/** Rows whose text needs care in every format: quotes, commas, line breaks, non-Latin script, emoji. */
const tricky: Line[] = [
  {
    type: 'source',
    ref: 'tricky',
    data: {
      kind: 'transcript',
      title: 'Debate, part "two"',
      publisher: 'Radio Nord, Tromsø',
      authors: ['Smith, Jane', 'Ola "OJ" Nordmann'],
      text: 'Line one, with a comma.\r\nLine "two" says: “42 % — really?” 😀\nLast line; done.',
      metadata: { desk: 'politics', tags: ['a', 'b'], nested: { n: 1, ok: true } },
      published_at: '2026-03-04T05:06:07.089Z',
    },
  },
  { type: 'claimant', ref: 'pm', data: { name: 'Jonas Støre', kind: 'person', aliases: ['J. Støre', 'Støre, Jonas'], wikidata_id: 'Q1300', description: 'Line\nbreak' } },
  { type: 'claim', ref: 'tc1', data: { text: 'Unemployment fell by "12,5 %"\nsince 2020', language: 'nb', topics: ['jobs', 'economy, general'] } },
  { type: 'claim', ref: 'tc2', data: { text: 'A claim in review', status: 'in_review', topics: [] } },
  { type: 'attribution', data: { claim_ref: 'tc1', source_ref: 'tricky', claimant_ref: 'pm', quote: 'line "two" says: "42 % - really?"', said_at: '2026-03-01T00:00:00Z', stance: 'questions' } },
  { type: 'attribution', data: { claim_ref: 'tc2', source_ref: 'tricky', claimant_label: 'a listener, calling in', kind: 'paraphrase' } },
  {
    type: 'review',
    data: {
      claim_ref: 'tc1',
      verdict: 'mostly_false',
      textual_rating: 'Stretching it',
      rating_value: 2,
      best_rating: 5,
      worst_rating: 1,
      summary: 'It fell by 8,1 %.\nSee the data.',
      reviewer_name: 'Faktisk',
      reviewer_url: 'https://faktisk.example/',
      url: 'https://faktisk.example/reviews/1',
      published_at: '2026-03-05T10:00:00Z',
      language: 'nb',
      evidence: [
        { source_ref: 'tricky', stance: 'refutes', note: 'Statistics, table 3' },
        { source_ref: 'tricky', stance: 'context' },
      ],
    },
  },
];

async function load(app: TestApp) {
  const res = await bulk(app, toNdjson([...tricky, ...newsroomLines(600, 'export')]));
  if (res.statusCode !== 200) throw new Error(res.body);
}

async function exported(app: TestApp, type: ExportType, params: Record<string, string | boolean> = {}, format = 'ndjson') {
  const res = await app.get(`/v1/export?${qs({ type, format, ...params })}`);
  if (res.statusCode !== 200) throw new Error(`export ${type} answered ${res.statusCode}: ${res.body}`);
  return res;
}

const ndjsonRows = (body: string): Json[] => ndjsonExportRows(body);

/** The rows as the database holds them, in id order, in the shape the API shows. */
async function databaseRows(app: TestApp, type: ExportType): Promise<Json[]> {
  const db = app.database.db;
  const plain = (rows: unknown[]) => JSON.parse(JSON.stringify(rows)) as Json[];
  if (type === 'claims') return plain(await db.select(claimColumns).from(claims).orderBy(asc(claims.id)));
  if (type === 'sources') return plain(await db.select(getTableColumns(sources)).from(sources).orderBy(asc(sources.id)));
  if (type === 'claimants') return plain(await db.select(claimantColumns).from(claimants).orderBy(asc(claimants.id)));
  if (type === 'attributions') return plain(await db.select().from(attributions).orderBy(asc(attributions.id)));
  const rows = plain(await db.select().from(reviews).orderBy(asc(reviews.id)));
  const evidence = await db.select().from(reviewEvidence).where(inArray(reviewEvidence.review_id, rows.map((r) => r.id as string))).orderBy(reviewEvidence.review_id, reviewEvidence.position);
  return rows.map((r) => ({ ...r, evidence: evidence.filter((e) => e.review_id === r.id).map(({ source_id, stance, note }) => ({ source_id, stance, note })) }));
}

t.test('an export of every type, in every row and field, is what the database holds', async (t) => {
  await api.reset();
  await load(api);
  for (const type of TYPES) {
    const res = await exported(api, type);
    t.equal(res.headers['content-type'], 'application/x-ndjson; charset=utf-8');
    t.match(res.headers['content-disposition'], new RegExp(`^attachment; filename="claimledger-${type}-\\d{8}T\\d{6}Z\\.ndjson"$`));
    const rows = ndjsonRows(res.body);
    const stored = await databaseRows(api, type);
    t.ok(stored.length > 0);
    t.equal(rows.length, stored.length, `${type}: every row`);
    let same = 0;
    for (const [i, row] of rows.entries()) if (t.same(row, stored[i], `${type} row ${i}`)) same++;
    t.equal(same, stored.length, `${type}: row by row`);
  }
  const source = ndjsonRows((await exported(api, 'sources')).body).find((s) => s.title === 'Debate, part "two"')!;
  t.equal(source.text, tricky[0].data.text, 'sources carry their full text');
});

t.test('CSV: RFC 4180, a header row, lists joined with |, objects as JSON, the same rows as the database', async (t) => {
  await api.reset();
  await load(api);
  for (const type of TYPES) {
    const res = await exported(api, type, {}, 'csv');
    t.equal(res.headers['content-type'], 'text/csv; charset=utf-8; header=present');
    t.match(res.headers['content-disposition'], /\.csv"$/);
    const [header, ...records] = parseCsv(res.body);
    const stored = await databaseRows(api, type);
    t.same(header, Object.keys(stored[0]), `${type}: header`);
    t.equal(records.length, stored.length, `${type}: every row`);
    const mismatched = records.filter((record, i) => JSON.stringify(record) !== JSON.stringify(header.map((c) => csvCell(stored[i][c]))));
    t.same(mismatched, [], `${type}: row by row`);
  }
  const sourcesCsv = parseCsv((await exported(api, 'sources', { publisher: 'Radio Nord, Tromsø' }, 'csv')).body);
  const [header, row] = sourcesCsv;
  const cell = (name: string) => row[header.indexOf(name)];
  t.equal(cell('authors'), 'Smith, Jane|Ola "OJ" Nordmann');
  t.same(JSON.parse(cell('metadata')), tricky[0].data.metadata);
  t.equal(cell('text'), tricky[0].data.text, 'line breaks survive inside quotes');
  t.equal(cell('url'), '', 'null is an empty field');
  t.equal(cell('published_at'), '2026-03-04T05:06:07.089Z');

  const none = await exported(api, 'claims', { topic: 'nothing like this' }, 'csv');
  t.same(parseCsv(none.body), [Object.keys((await databaseRows(api, 'claims'))[0])], 'an empty export is its header');
});

t.test('CSV: a text cell that a spreadsheet would run as a formula starts with an apostrophe; NDJSON keeps the text as written', async (t) => {
  await api.reset();
  const texts = ['=HYPERLINK("http://evil.example","click")', '+48 percent of voters agree', '-5 degrees was the record', '@mayor said the tunnel costs 2.4 billion'];
  for (const text of texts) t.equal((await api.post('/v1/claims', { text, topics: ['=cmd'] })).statusCode, 201, text);
  t.equal((await api.post('/v1/claims', { text: 'A plain claim, 2 + 2 = 4', topics: ['budget'] })).statusCode, 201);
  const [header, ...records] = parseCsv((await exported(api, 'claims', {}, 'csv')).body);
  const column = (name: string) => records.map((r) => r[header.indexOf(name)]);
  t.same(column('text').sort(), [...texts.map((x) => `'${x}`), 'A plain claim, 2 + 2 = 4'].sort(), 'each formula start is neutralised; other text is not touched');
  t.same(column('topics').sort(), ["'=cmd", "'=cmd", "'=cmd", "'=cmd", 'budget'], 'lists too');
  t.ok(column('attribution_count').every((n) => n === '0'), 'numbers are left as they are');
  const raw = ndjsonRows((await exported(api, 'claims')).body).map((r) => r.text as string);
  t.same(raw.sort(), [...texts, 'A plain claim, 2 + 2 = 4'].sort(), 'NDJSON gives the text as written');
});

t.test('exports take the list filters and give the rows the list gives', async (t) => {
  await api.reset();
  await load(api);
  const claimId = ndjsonRows((await exported(api, 'claims', { topic: 'jobs' })).body)[0].id;
  const cases: [ExportType, Record<string, string | boolean>][] = [
    ['claims', { topic: 'budget' }],
    ['claims', { verdict: 'false', has_review: true }],
    ['claims', { status: 'in_review' }],
    ['claims', { seen_from: '2026-02-01T01:00:00Z', seen_to: '2026-02-01T03:00:00Z' }],
    ['sources', { publisher: 'The Harbour Gazette' }],
    ['claimants', { kind: 'person' }],
    ['attributions', { claim_id: claimId }],
    ['attributions', { kind: 'paraphrase', stance: 'asserts' }],
    ['reviews', { verdict: 'mixed' }],
    ['reviews', { published_from: '2026-03-01T02:00:00Z' }],
  ];
  for (const [type, filters] of cases) {
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = (await api.get(`/v1/${type}?${qs({ ...filters, limit: 200, sort: 'created_at', ...(cursor ? { cursor } : {}) })}`)).json();
      listed.push(...page.data.map((r: Json) => r.id));
      cursor = page.next_cursor;
    } while (cursor);
    const ids = ndjsonRows((await exported(api, type, filters)).body).map((r) => r.id);
    t.ok(ids.length > 0, `${type} ${JSON.stringify(filters)} finds rows`);
    t.same(ids, [...listed].sort(), `${type} ${JSON.stringify(filters)}: the list's rows, in id order`);
  }
});

t.test('format=claimreview gives one ClaimReview per review, as the single endpoints do', async (t) => {
  await api.reset();
  await load(api);
  const res = await exported(api, 'reviews', { verdict: 'mostly_false' }, 'claimreview');
  t.equal(res.headers['content-type'], 'application/x-ndjson; charset=utf-8');
  t.match(res.headers['content-disposition'], /filename="claimledger-claimreviews-/);
  const docs = ndjsonRows(res.body);
  const ids = ndjsonRows((await exported(api, 'reviews', { verdict: 'mostly_false' })).body).map((r) => r.id);
  t.equal(docs.length, ids.length);
  for (const [i, id] of ids.entries()) t.same(docs[i], (await api.get(`/v1/reviews/${id}/claimreview`)).json(), `review ${id}`);
  const tricky = docs.find((d) => d.claimReviewed.startsWith('Unemployment'))!;
  t.match(tricky, { '@type': 'ClaimReview', reviewRating: { ratingValue: 2, bestRating: 5, worstRating: 1, alternateName: 'Stretching it' } });

  const byClaim = ndjsonRows((await exported(api, 'claims', { topic: 'jobs' }, 'claimreview')).body);
  const expected: Json[] = [];
  for (const claim of ndjsonRows((await exported(api, 'claims', { topic: 'jobs' })).body)) {
    expected.push(...(await api.get(`/v1/claims/${claim.id}/claimreview`)).json());
  }
  t.ok(expected.length > 0);
  t.same(byClaim, expected, 'type=claims: the reviews of every reviewed claim, claim by claim');
});

t.test('bad export requests are problems, before anything is streamed', async (t) => {
  await api.reset();
  const cases: [string, number, string, string][] = [
    ['format=ndjson', 400, 'validation_failed', 'query.type'],
    ['type=planets', 400, 'validation_failed', 'query.type'],
    ['type=claims&format=xml', 400, 'validation_failed', 'query.format'],
    ['type=sources&topic=budget', 400, 'validation_failed', 'query.topic'],
    ['type=sources&kind=person', 400, 'validation_failed', 'query.kind'],
    ['type=claims&has_review=perhaps', 400, 'validation_failed', 'query.has_review'],
    ['type=claims&limit=10', 400, 'validation_failed', 'query.limit'],
    ['type=sources&format=claimreview', 400, 'validation_failed', 'query.format'],
    ['type=attributions&claim_id=nope', 400, 'validation_failed', 'query.claim_id'],
  ];
  for (const [query, status, code, path] of cases) {
    const problem = expectProblem(t, await api.get(`/v1/export?${query}`), status, code);
    t.ok(problem.errors?.some((e: Json) => e.path === path), `${query}: ${JSON.stringify(problem.errors)}`);
  }
  const res = await api.request({ method: 'GET', url: '/v1/export?type=claims', headers: { authorization: null as unknown as string } });
  t.equal(res.statusCode, 401);
});

t.test('export → import into an empty database reproduces the same rows (with the import CLI)', async (t) => {
  await api.reset();
  await empty.reset();
  await load(api);
  const dir = mkdtempSync(join(tmpdir(), 'claimledger-export-'));
  const files: string[] = [];
  // Written in reverse dependency order on purpose: the importer orders them.
  for (const type of [...TYPES].reverse()) {
    const res = await exported(api, type);
    const file = join(dir, /filename="([^"]+)"/.exec(res.headers['content-disposition'] as string)![1]);
    writeFileSync(file, res.body);
    files.push(file);
  }
  await empty.app.listen({ host: '127.0.0.1', port: 0 });
  const address = empty.app.server.address() as { port: number };
  const lines: string[] = [];
  const result = await importFiles(files, { url: `http://127.0.0.1:${address.port}`, key: TEST_ADMIN_KEY, log: (l) => lines.push(l) });
  t.ok(result.ok, lines.join('\n'));
  t.match(lines.at(-1), /^created \d+ of \d+ lines: \d+ sources, \d+ claimants, \d+ claims, \d+ attributions, \d+ reviews$/);

  const lifecycle = (row: Json) => {
    const { created_at: _c, updated_at: _u, version: _v, ...rest } = row;
    return rest;
  };
  for (const type of TYPES) {
    const before = ndjsonRows((await exported(api, type)).body).map(lifecycle);
    const after = ndjsonRows((await exported(empty, type)).body).map(lifecycle);
    t.equal(after.length, before.length, `${type}: as many rows`);
    t.same(after, before, `${type}: the same rows (ids, fields, anchors, derived values), only timestamps and versions are new`);
  }
  // Every import wrote its events.
  const [{ n }] = ((await empty.database.db.execute(sql`select count(*)::int as n from events where type like '%.created'`)) as unknown as { rows: { n: number }[] }).rows;
  t.equal(n, (result.body as Json).created);

  // Importing the same export again changes nothing: every id is taken.
  const again = await importFiles(files, { url: `http://127.0.0.1:${address.port}`, key: TEST_ADMIN_KEY, log: () => {} });
  t.equal(again.status, 422);
  t.match((again.body as Json).errors[0], { path: 'id', code: 'conflict' });
});

t.test('the converter keeps ids and writable fields and drops what the API derives', async (t) => {
  const line = rowToBulkLine(bulkTypeOf('claims')!, {
    id: '01900000-0000-7000-8000-000000000001',
    text: 'x',
    language: null,
    topics: ['a'],
    status: 'reviewed',
    verdict: 'false',
    first_seen_at: '2026-01-01T00:00:00.000Z',
    attribution_count: 3,
    review_count: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    version: 4,
  });
  t.same(line, { type: 'claim', id: '01900000-0000-7000-8000-000000000001', data: { text: 'x', topics: ['a'] } });
});
