import t from 'tap';
import { backend, buildTestApp } from './helper.js';
import { HARBOUR_TEXT, makeClaim, makeClaimant, makeSource, type Json } from './factories.js';

/*
 * Concurrent writers over the same sources, claims and claimants take their
 * locks in one order (src/resources/lock-order.ts), so none fails with a
 * deadlock (409 "a concurrent change got in the way"). PGlite has one
 * connection, so writes never overlap there: this needs the PostgreSQL server.
 */

const ROUNDS = 5;
const WRITERS = 6;
const QUOTE = 'The harbour tunnel will cost 2.4 billion euros';

t.test(
  `cascade deletes of a source and of a claimant never deadlock with ${WRITERS} writers creating, moving and deleting its attributions and reviews`,
  { skip: backend === 'pglite' ? 'PGlite serialises every request: run with CLAIMLEDGER_TEST_DATABASE_URL' : false },
  async (t) => {
    const api = await buildTestApp(t);
    await api.reset();
    const statuses = new Map<string, number>();
    const count = (what: string, status: number) => statuses.set(`${what} ${status}`, (statuses.get(`${what} ${status}`) ?? 0) + 1);
    let deleteMs = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const source = await makeSource(api, { text: HARBOUR_TEXT });
      const other = await makeSource(api, { text: HARBOUR_TEXT });
      const person = await makeClaimant(api);
      const claims: Json[] = [];
      for (let i = 0; i < 3; i++) claims.push(await makeClaim(api));
      const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];
      let stop = false;
      const attributionIds: string[] = [];

      const creator = async () => {
        while (!stop) {
          const res = await api.post('/v1/attributions', {
            claim_id: pick(claims).id,
            source_id: pick([source.id, other.id]),
            claimant_id: person.id,
            quote: QUOTE,
          });
          count('create attribution', res.statusCode);
          if (res.statusCode === 201) attributionIds.push(res.json().id);
        }
      };
      const mover = async () => {
        while (!stop) {
          const id = pick(attributionIds);
          if (!id) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            continue;
          }
          const res = Math.random() < 0.5 ? await api.patch(`/v1/attributions/${id}`, { claim_id: pick(claims).id, source_id: pick([source.id, other.id]) }) : await api.del(`/v1/attributions/${id}`);
          count('move or delete attribution', res.statusCode);
        }
      };
      const reviewer = async () => {
        while (!stop) {
          const res = await api.post(`/v1/claims/${pick(claims).id}/reviews`, { verdict: 'false', evidence: [{ source_id: source.id, stance: 'refutes' }] });
          count('create review', res.statusCode);
        }
      };
      const writers = [...Array.from({ length: WRITERS - 2 }, creator), mover(), reviewer()];
      await new Promise((resolve) => setTimeout(resolve, 150));
      const started = performance.now();
      const deleted = await api.del(`/v1/sources/${source.id}?cascade=true`);
      deleteMs = Math.max(deleteMs, performance.now() - started);
      count('delete source', deleted.statusCode);
      const claimantDeleted = await api.del(`/v1/claimants/${person.id}?cascade=true`);
      count('delete claimant', claimantDeleted.statusCode);
      stop = true;
      await Promise.all(writers);
    }

    const seen = Object.fromEntries([...statuses].sort());
    t.comment(JSON.stringify(seen));
    t.equal(statuses.get('delete source 204'), ROUNDS, 'every cascade delete of the source succeeds');
    t.equal(statuses.get('delete claimant 204'), ROUNDS, 'every cascade delete of the claimant succeeds');
    t.same(
      [...statuses.keys()].filter((k) => / (409|5\d\d)$/.test(k)),
      [],
      'no request failed with a conflict (a deadlock) or a server error',
    );
    t.ok((statuses.get('create attribution 201') ?? 0) > 0, 'writers did write while the deletes ran');
    t.comment(`slowest cascade delete: ${deleteMs.toFixed(0)} ms`);
  },
);
