import { performance } from 'node:perf_hooks';
import t from 'tap';
import { buildTestApp, type TestApp } from './helper.js';
import { expectProblem } from './factories.js';
import { repeatTo } from './support/pathological-texts.js';

/**
 * The bounds of POST /v1/extract: a time limit per extraction and a bounded
 * queue for its threads (src/domain/extract/pool.ts, here loaded from the
 * TypeScript sources as tap runs them; test/extract-server.test.ts runs the
 * built server).
 */

const LIMIT = 200_000;

const extract = (api: TestApp, text: string) => api.post('/v1/extract', { text });

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work;
  return [result, performance.now() - started];
}

t.test('an extraction running past the time limit is stopped with 422 extraction_timed_out, and one waiting past it for a thread gets 503 extraction_busy', async (t) => {
  const api = await buildTestApp(t, { CLAIMLEDGER_EXTRACT_THREADS: '1', CLAIMLEDGER_EXTRACT_QUEUE: '4', CLAIMLEDGER_EXTRACT_TIMEOUT_MS: '200' });
  // The thread loads the language model first; that wait does not count against the limit.
  t.equal((await extract(api, 'Nothing to see.')).statusCode, 200, 'a warm-up request');

  // The same text twice: whichever reaches the thread first runs and is stopped at 0.2 s; the other
  // waits, and at 0.2 s of waiting the replacement thread is still loading the model.
  const slow = repeatTo('!?', LIMIT);
  const [answers, ms] = await timed(Promise.all([extract(api, slow), extract(api, slow)]));
  const stopped = answers.find((r) => r.statusCode === 422) ?? answers[0];
  const waited = answers.find((r) => r !== stopped) ?? answers[1];
  const problem = expectProblem(t, stopped, 422, 'extraction_timed_out');
  t.same(problem.errors, [{ path: 'body.text', message: 'took longer than 0.2 s to analyse' }], 'names the field and the limit');
  t.match(problem.detail, /did not finish within 0\.2 s/, 'the detail says why');
  const busy = expectProblem(t, waited, 503, 'extraction_busy');
  t.equal(waited.headers['retry-after'], '5', 'with Retry-After');
  t.match(busy.detail, /no extraction thread was free within 200 ms/);
  t.ok(ms < 5_000, `both answered soon after the limit (${Math.round(ms)} ms)`);

  // The stopped thread is replaced: requests are served again once the new thread has loaded the model.
  let next = await extract(api, 'Nothing to see.');
  for (let tries = 0; next.statusCode === 503 && tries < 180; tries++) {
    await new Promise((r) => setTimeout(r, 500));
    next = await extract(api, 'Nothing to see.');
  }
  t.equal(next.statusCode, 200, `served after the stop: ${next.body.slice(0, 200)}`);
});

t.test('with every thread busy and the queue full, a request is refused at once with 503 extraction_busy and Retry-After', async (t) => {
  const api = await buildTestApp(t, { CLAIMLEDGER_EXTRACT_THREADS: '1', CLAIMLEDGER_EXTRACT_QUEUE: '1', CLAIMLEDGER_EXTRACT_TIMEOUT_MS: '60000' });
  t.equal((await extract(api, 'Nothing to see.')).statusCode, 200, 'a warm-up request');
  // Long enough to be still running when the other two arrive (they are sent together).
  const text = repeatTo('Ana Lindqvist said: “Prices rose 4%,” she said. ', 50_000);
  const answers = await Promise.all([extract(api, text), extract(api, text), extract(api, text)]);
  t.same(answers.map((r) => r.statusCode).sort(), [200, 200, 503], 'one running, one waiting, one refused');
  const refused = answers.find((r) => r.statusCode === 503);
  if (!refused) return;
  const problem = expectProblem(t, refused, 503, 'extraction_busy');
  t.equal(refused.headers['retry-after'], '5');
  t.match(problem.detail, /all 1 extraction threads are busy and 1 requests are waiting/);
});
