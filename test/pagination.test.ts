import t from 'tap';
import { rowsOf } from '../src/db/client.js';
import { sql } from 'drizzle-orm';
import { buildTestApp } from './helper.js';
import { makeSource, type Json } from './factories.js';

/*
 * Keyset pagination as clients walk it: every row exactly once, in the documented
 * order (ties broken by id, NULLs last in both directions), Link headers that match
 * next_cursor, and no repeats while rows are inserted between page fetches.
 */

// Walks make hundreds of requests in a few seconds: lift the per-key rate limit for this file.
/** The type of the `t` a subtest callback receives. */
type TapTest = Parameters<Parameters<typeof t.test>[0]>[0];

const api = await buildTestApp(t, { CLAIMLEDGER_RATE_LIMIT: '1000000' });

const N = 170;
const PAGE = 20;

interface Row {
  id: string;
  [field: string]: string | number | null;
}

/** Rows straight from the table: the ground truth the lists are compared with. */
async function tableRows(table: 'claims' | 'sources' | 'attributions', columns: string[]): Promise<Row[]> {
  const res = await api.database.db.execute(sql.raw(`select id::text as id, ${columns.join(', ')} from ${table}`));
  const rows = rowsOf<Json>(res);
  return rows.map((r) => {
    const row: Row = { id: String(r.id) };
    for (const c of columns) {
      const v = r[c];
      row[c] = v === null || v === undefined ? null : v instanceof Date ? v.getTime() : typeof v === 'number' ? v : /_at$/.test(c) ? Date.parse(String(v)) : String(v);
    }
    return row;
  });
}

/** The documented order: by the field (NULLs last either way), then by id in the same direction. */
function expectedOrder(rows: Row[], sort: string): string[] {
  const desc = sort.startsWith('-');
  const field = desc ? sort.slice(1) : sort;
  const byId = (a: Row, b: Row) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * (desc ? -1 : 1);
  return [...rows]
    .sort((a, b) => {
      const va = a[field];
      const vb = b[field];
      if (va === null && vb === null) return byId(a, b);
      if (va === null) return 1;
      if (vb === null) return -1;
      if (va !== vb) return (va < vb ? -1 : 1) * (desc ? -1 : 1);
      return byId(a, b);
    })
    .map((r) => r.id);
}

interface Walk {
  ids: string[];
  pages: number;
  total?: number;
}

/**
 * Follows the Link header from `firstUrl` to the last page, checking on every page
 * that the Link matches next_cursor and keeps the other parameters, and that only
 * the last page has neither. `between` runs after each page (to insert rows).
 */
async function walk(t: TapTest, firstUrl: string, between?: (page: number) => Promise<void>): Promise<Walk> {
  const first = new URL(firstUrl, 'http://x');
  const limit = Number(first.searchParams.get('limit') ?? 50);
  const ids: string[] = [];
  let url: string | null = firstUrl;
  let pages = 0;
  let total: number | undefined;
  let linkProblems = 0;
  while (url) {
    const res = await api.get(url);
    if (res.statusCode !== 200) {
      t.fail(`GET ${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
      break;
    }
    pages++;
    const body = res.json();
    if (pages === 1) total = body.total;
    ids.push(...body.data.map((r: Json) => r.id));
    const link = res.headers.link as string | undefined;
    if (body.next_cursor !== null) {
      if (body.data.length !== limit) {
        linkProblems++;
        t.fail(`page ${pages} of ${firstUrl} has ${body.data.length} rows and a next cursor; expected ${limit}`);
      }
      const m = /^<([^>]+)>; rel="next"$/.exec(link ?? '');
      if (!m) {
        t.fail(`page ${pages} of ${firstUrl}: Link header ${JSON.stringify(link)} is not <…>; rel="next"`);
        break;
      }
      const next = new URL(m[1], 'http://x');
      if (next.searchParams.get('cursor') !== body.next_cursor) {
        linkProblems++;
        t.fail(`page ${pages}: the Link cursor differs from next_cursor`);
      }
      if (next.pathname !== first.pathname) {
        linkProblems++;
        t.fail(`page ${pages}: the Link path ${next.pathname} is not ${first.pathname}`);
      }
      for (const [k, v] of first.searchParams) {
        if (k !== 'cursor' && next.searchParams.get(k) !== v) {
          linkProblems++;
          t.fail(`page ${pages}: the Link lost ${k}=${v}`);
        }
      }
      url = `${next.pathname}${next.search}`;
    } else {
      t.equal(link, undefined, `no Link header on the last page of ${firstUrl}`);
      t.ok(body.data.length <= limit);
      url = null;
    }
    if (between && url) await between(pages);
    if (pages > 200) {
      t.fail('more than 200 pages: the walk does not end');
      break;
    }
  }
  t.equal(linkProblems, 0, `every Link header of ${firstUrl} matches its next_cursor and keeps the parameters`);
  return { ids, pages, total };
}

const duplicates = (ids: string[]) => ids.filter((id, i) => ids.indexOf(id) !== i);

const day = (d: number) => new Date(Date.UTC(2026, 0, 1 + d, 12)).toISOString();

/**
 * N claims with a mix of derived values: no attributions (first_seen_at null), attributions
 * with `said_at` (from a small set of days, so there are ties), attributions without `said_at`
 * in a source with no `published_at` (null again), and in a source with one (a big tie group).
 * attribution_count ranges over 0–3; some claims are `in_review`.
 */
async function seedClaims(n = N) {
  const undated = await makeSource(api, { text: null, published_at: null });
  const dated = await makeSource(api, { text: null, published_at: '2026-01-15T00:00:00Z' });
  const who = { claimant_label: 'a spokesperson' };
  for (let i = 0; i < n; i++) {
    const shape = i % 5;
    const attributions =
      shape === 0
        ? undefined
        : shape === 1
          ? [{ source_id: undated.id, ...who, said_at: day(i % 7) }]
          : shape === 2
            ? [
                { source_id: undated.id, ...who, said_at: day((i % 7) + 3) },
                { source_id: dated.id, ...who, said_at: day(i % 7) },
              ]
            : shape === 3
              ? [{ source_id: undated.id, ...who }]
              : [{ source_id: dated.id, ...who }, { source_id: dated.id, ...who }, { source_id: undated.id, ...who }];
    const res = await api.post('/v1/claims', {
      text: `Claim number ${i} about the harbour tunnel`,
      status: i % 4 === 0 ? 'in_review' : 'unreviewed',
      ...(attributions ? { attributions } : {}),
    });
    if (res.statusCode !== 201) throw new Error(`seeding claim ${i}: ${res.statusCode} ${res.body}`);
  }
  return { undated, dated };
}

const CLAIM_COLUMNS = ['created_at', 'updated_at', 'first_seen_at', 'attribution_count', 'status'];

t.test('walking claims 20 at a time in every sort returns every row exactly once, in order, NULLs last', async (t) => {
  await api.reset();
  await seedClaims();
  const truth = await tableRows('claims', CLAIM_COLUMNS);
  t.equal(truth.length, N);
  const nulls = truth.filter((r) => r.first_seen_at === null).length;
  t.ok(nulls > 20 && nulls < N - 20, `the data has both NULL (${nulls}) and set first_seen_at`);

  for (const sort of ['-created_at', 'created_at', 'first_seen_at', '-first_seen_at', 'attribution_count', '-attribution_count', '-updated_at', 'updated_at']) {
    const result = await walk(t, `/v1/claims?sort=${sort}&limit=${PAGE}`);
    t.equal(result.pages, Math.ceil(N / PAGE), `sort=${sort}: ${Math.ceil(N / PAGE)} pages`);
    t.same(duplicates(result.ids), [], `sort=${sort}: no row twice`);
    t.equal(result.ids.length, N, `sort=${sort}: every row`);
    t.same(result.ids, expectedOrder(truth, sort), `sort=${sort}: in the documented order`);
  }
});

t.test('NULL first_seen_at rows come last in both directions', async (t) => {
  await api.reset();
  await seedClaims(40);
  for (const sort of ['first_seen_at', '-first_seen_at']) {
    const { ids } = await walk(t, `/v1/claims?sort=${sort}&limit=7`);
    const rows = await Promise.all(ids.map(async (id) => (await api.get(`/v1/claims/${id}`)).json()));
    const firstNull = rows.findIndex((r) => r.first_seen_at === null);
    t.ok(firstNull > 0, `sort=${sort}: some rows have a first_seen_at`);
    t.ok(
      rows.slice(firstNull).every((r) => r.first_seen_at === null),
      `sort=${sort}: after the first NULL, only NULLs`,
    );
  }
});

t.test('the default sort is -created_at and the default limit is 50', async (t) => {
  await api.reset();
  await seedClaims(60);
  const truth = await tableRows('claims', CLAIM_COLUMNS);
  const res = await api.get('/v1/claims');
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.data.length, 50, 'limit defaults to 50');
  t.type(body.next_cursor, 'string');
  t.same(
    body.data.map((r: Json) => r.id),
    expectedOrder(truth, '-created_at').slice(0, 50),
    'newest first',
  );
  const rest = await walk(t, '/v1/claims');
  t.equal(rest.ids.length, 60);
  t.equal(rest.pages, 2);
  for (const list of ['sources', 'attributions', 'claimants']) {
    t.equal((await api.get(`/v1/${list}`)).statusCode, 200, `/v1/${list} answers without parameters`);
  }
});

t.test('count=true adds the total of rows matching the filters; without it there is no total', async (t) => {
  await api.reset();
  await seedClaims(80);
  const all = await api.get(`/v1/claims?count=true&limit=${PAGE}`);
  t.equal(all.json().total, 80);
  t.equal(all.json().data.length, PAGE, 'the page is still one page');
  const inReview = await api.get('/v1/claims?count=true&limit=5&status=in_review');
  t.equal(inReview.json().total, 20);
  t.equal((await api.get('/v1/claims?limit=5')).json().total, undefined, 'no total unless asked');
  t.equal((await api.get('/v1/claims?limit=5&count=false')).json().total, undefined);

  // The total stays the same on every page of the walk.
  const { ids, total } = await walk(t, `/v1/claims?status=in_review&count=true&limit=${PAGE}&sort=first_seen_at`);
  t.equal(total, 20);
  t.equal(ids.length, 20, 'the filtered walk returns exactly the matching rows');
  const second = await api.get(`/v1/claims?count=true&limit=${PAGE}&cursor=${all.json().next_cursor}`);
  t.equal(second.json().total, 80, 'total on a later page counts all matches, not the rest');
});

t.test('a filtered walk keeps its filters in every Link and returns only matching rows', async (t) => {
  await api.reset();
  await seedClaims(80);
  const truth = (await tableRows('claims', CLAIM_COLUMNS)).filter((r) => r.status === 'in_review');
  const { ids } = await walk(t, `/v1/claims?status=in_review&sort=-attribution_count&limit=9`);
  t.same(ids, expectedOrder(truth, '-attribution_count'));
});

t.test('walking while new claims are inserted between pages returns every original row exactly once', async (t) => {
  await api.reset();
  const { undated } = await seedClaims();
  const originals = await tableRows('claims', CLAIM_COLUMNS);
  const originalIds = new Set(originals.map((r) => r.id));
  let inserted = 0;
  const insertSome = async () => {
    // New rows land before, inside and after the walked range: with and without first_seen_at.
    await Promise.all(
      [0, 1, 2].map((k) =>
        api.post('/v1/claims', {
          text: `Inserted during the walk ${++inserted}`,
          ...(k === 1 ? { attributions: [{ source_id: undated.id, claimant_label: 'x', said_at: day(k * 3) }] } : {}),
        }),
      ),
    );
  };
  for (const sort of ['-created_at', 'created_at', 'first_seen_at', '-first_seen_at', 'attribution_count']) {
    const result = await walk(t, `/v1/claims?sort=${sort}&limit=${PAGE}`, insertSome);
    t.same(duplicates(result.ids), [], `sort=${sort}: no row twice`);
    const seenOriginals = result.ids.filter((id) => originalIds.has(id));
    t.equal(seenOriginals.length, N, `sort=${sort}: every original row`);
    t.same(seenOriginals, expectedOrder(originals, sort), `sort=${sort}: originals in order`);
  }
  t.ok(inserted > 40, `rows were inserted during the walks (${inserted})`);
});

t.test('walks with concurrent inserts in flight (not only between pages) never repeat a row', async (t) => {
  await api.reset();
  await seedClaims(100);
  const originals = new Set((await tableRows('claims', ['created_at'])).map((r) => r.id));
  let stop = false;
  let inserted = 0;
  const writer = (async () => {
    while (!stop) {
      await api.post('/v1/claims', { text: `Concurrent insert ${++inserted}` });
    }
  })();
  try {
    const result = await walk(t, '/v1/claims?sort=-created_at&limit=7');
    t.same(duplicates(result.ids), [], 'no row twice');
    t.equal(result.ids.filter((id) => originals.has(id)).length, 100, 'every original row');
  } finally {
    stop = true;
    await writer;
  }
  t.ok(inserted > 0, `the writer inserted ${inserted} rows meanwhile`);
});

t.test('walking sources by title (with ties) and by published_at (nullable) returns every row once, in order', async (t) => {
  await api.reset();
  for (let i = 0; i < N; i++) {
    await makeSource(api, {
      text: null,
      // Lower-case ASCII with a fixed prefix: the same order under C and ICU/glibc collations.
      title: `source ${String((i * 37) % 60).padStart(3, '0')}`,
      published_at: i % 3 === 0 ? null : day(i % 11),
    });
  }
  const truth = await tableRows('sources', ['title', 'published_at', 'created_at']);
  for (const sort of ['title', '-title', 'published_at', '-published_at', '-created_at']) {
    const result = await walk(t, `/v1/sources?sort=${sort}&limit=${PAGE}`);
    t.same(duplicates(result.ids), [], `sort=${sort}: no row twice`);
    t.equal(result.ids.length, N, `sort=${sort}: every row`);
    t.same(result.ids, expectedOrder(truth, sort), `sort=${sort}: in order`);
  }
  const counted = await api.get('/v1/sources?count=true&limit=1');
  t.equal(counted.json().total, N);
});

t.test('walking sources by title while sources are inserted never repeats or skips an original', async (t) => {
  await api.reset();
  for (let i = 0; i < 60; i++) await makeSource(api, { text: null, title: `source ${String(i % 20).padStart(3, '0')}` });
  const truth = await tableRows('sources', ['title']);
  const originals = new Set(truth.map((r) => r.id));
  let k = 0;
  const result = await walk(t, '/v1/sources?sort=title&limit=8', async () => {
    // Titles that sort before, among and after the current page.
    for (const title of ['source 000', `source ${String(k++ % 20).padStart(3, '0')}`, 'source 999']) await makeSource(api, { text: null, title });
  });
  t.same(duplicates(result.ids), []);
  const seen = result.ids.filter((id) => originals.has(id));
  t.same(seen, expectedOrder(truth, 'title'), 'every original once, in order');
});

t.test('walking attributions by created_at and said_at (nullable) returns every row once, in order', async (t) => {
  await api.reset();
  await seedClaims(120);
  const truth = await tableRows('attributions', ['created_at', 'updated_at', 'said_at']);
  t.ok(truth.length > 150, `${truth.length} attributions`);
  t.ok(truth.some((r) => r.said_at === null) && truth.some((r) => r.said_at !== null), 'both NULL and set said_at');
  for (const sort of ['-created_at', 'created_at', 'said_at', '-said_at', '-updated_at']) {
    const result = await walk(t, `/v1/attributions?sort=${sort}&limit=${PAGE}`);
    t.same(duplicates(result.ids), [], `sort=${sort}: no row twice`);
    t.equal(result.ids.length, truth.length, `sort=${sort}: every row`);
    t.same(result.ids, expectedOrder(truth, sort), `sort=${sort}: in order`);
  }
  const counted = await api.get('/v1/attributions?count=true&limit=3');
  t.equal(counted.json().total, truth.length);
});

t.test('walking attributions while attributions are inserted never repeats or skips an original', async (t) => {
  await api.reset();
  const { undated } = await seedClaims(50);
  const truth = await tableRows('attributions', ['said_at', 'created_at']);
  const originals = new Set(truth.map((r) => r.id));
  const claim = (await api.post('/v1/claims', { text: 'a claim to attribute' })).json();
  let k = 0;
  for (const sort of ['said_at', '-created_at']) {
    const result = await walk(t, `/v1/attributions?sort=${sort}&limit=9`, async () => {
      const res = await api.post('/v1/attributions', { claim_id: claim.id, source_id: undated.id, claimant_label: 'x', said_at: k++ % 2 ? day(k % 7) : null });
      if (res.statusCode !== 201) t.fail(`inserting an attribution: ${res.statusCode} ${res.body}`);
    });
    t.same(duplicates(result.ids), [], `sort=${sort}: no row twice`);
    t.same(result.ids.filter((id) => originals.has(id)), expectedOrder(truth, sort), `sort=${sort}: every original once, in order`);
  }
});

t.test('a page exactly at the end has no next cursor; an empty list has no Link and next_cursor null', async (t) => {
  await api.reset();
  const empty = await api.get('/v1/claims?limit=10');
  t.same(empty.json(), { data: [], next_cursor: null });
  t.equal(empty.headers.link, undefined);
  await seedClaims(PAGE * 2);
  const first = await api.get(`/v1/claims?limit=${PAGE}`);
  t.type(first.json().next_cursor, 'string');
  const second = await api.get(`/v1/claims?limit=${PAGE}&cursor=${first.json().next_cursor}`);
  t.equal(second.json().data.length, PAGE);
  t.equal(second.json().next_cursor, null, 'no cursor pointing at an empty page');
  t.equal(second.headers.link, undefined);
});

t.test('a cursor stays valid after the row it points at is deleted', async (t) => {
  await api.reset();
  await seedClaims(30);
  const truth = await tableRows('claims', CLAIM_COLUMNS);
  const first = (await api.get('/v1/claims?sort=first_seen_at&limit=10')).json();
  const last = first.data[first.data.length - 1];
  t.equal((await api.del(`/v1/claims/${last.id}`)).statusCode, 204);
  const rest = await walk(t, `/v1/claims?sort=first_seen_at&limit=10&cursor=${first.next_cursor}`);
  const expected = expectedOrder(truth, 'first_seen_at').slice(10);
  t.same(rest.ids, expected, 'the walk continues right after the deleted row');
});
