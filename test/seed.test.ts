import t from 'tap';
import { seed } from '../src/cli/seed.js';
import { TEST_ADMIN_KEY, buildTestApp } from './helper.js';

const api = await buildTestApp(t);

t.test('the demo data set loads through the API with every quote anchored, and only once', async (t) => {
  await api.reset();
  const first = await seed(api.app, { apiKey: TEST_ADMIN_KEY, log: () => {} });
  t.ok(first.sources >= 1 && first.claims >= 3 && first.attributions >= first.claims);
  const attributions = (await api.get('/v1/attributions?limit=200')).json().data;
  t.equal(attributions.length, first.attributions);
  for (const a of attributions.filter((a: { quote: string | null }) => a.quote)) {
    t.equal(a.anchored, true, `attribution ${a.id} is anchored`);
    const source = (await api.get(`/v1/sources/${a.source_id}`)).json();
    t.equal(source.text.slice(a.selector.start, a.selector.end), a.selector.exact);
  }
  const again = await seed(api.app, { apiKey: TEST_ADMIN_KEY, log: () => {} });
  t.same(again, { sources: 0, claimants: 0, claims: 0, attributions: 0 });
  t.equal((await api.get('/v1/claims?count=true')).json().total, first.claims);
});
