import t from 'tap';
import { withWrite } from '../src/db/write.js';
import { ExtractionPool } from '../src/domain/extract/pool.js';
import { systemActor } from '../src/lib/actor.js';
import { commitSourceExtraction, extractFromSource } from '../src/resources/extract/workflow.js';
import { buildTestApp } from './helper.js';
import { countAll, eventLog, makeSource } from './factories.js';

// A source is extracted from outside any transaction and committed inside one. Over
// HTTP the text can change in between only by a race; calling the two steps directly
// puts a change there every time.

const api = await buildTestApp(t, { CLAIMLEDGER_EXTRACT_TIMEOUT_MS: '120000' });
const pool = new ExtractionPool({ threads: 1, maxQueue: 1, timeoutMs: 120_000 });
t.teardown(() => pool.close());
const extractor = { pool, maxTextLength: 200_000 };

t.test('a source whose text changes between extraction and commit: 409 conflict, and nothing is written', async (t) => {
  await api.reset();
  const source = await makeSource(api, { text: '“The harbour tunnel will cost 2.4 billion euros,” Mayor Ana Lindqvist said.' });
  const extraction = await extractFromSource(api.app.db, extractor, source.id as string);
  t.equal(extraction.candidates.length, 1, 'one candidate to commit');

  const patched = await api.patch(`/v1/sources/${source.id}`, { text: '“The harbour tunnel will cost 3 billion euros,” Mayor Ana Lindqvist said.' });
  t.equal(patched.statusCode, 200, patched.body);
  const rows = await countAll(api);
  const events = await eventLog(api);

  await t.rejects(
    withWrite(api.app.db, systemActor, (w) => commitSourceExtraction(w, extraction, {})),
    { code: 'conflict', status: 409, message: /text changed while its claims were being extracted; nothing was written/ },
  );
  t.same(await countAll(api), rows, 'no claim, attribution or claimant');
  t.same(await eventLog(api), events, 'no event');

  const again = await api.post(`/v1/sources/${source.id}/extract?commit=true`, {});
  t.equal(again.statusCode, 201, 'extracted afresh, the new text commits');
  t.match(again.json(), { claims: [{ text: /3 billion euros/ }] });
});
