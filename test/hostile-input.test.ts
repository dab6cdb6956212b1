import t from 'tap';
import { buildTestApp } from './helper.js';
import { makeClaim } from './factories.js';
import { problemOf, rawRequest } from './support/raw-http.js';

const api = await buildTestApp(t);

t.test('names and titles with control or bidirectional formatting characters are refused with 400 naming the field, and nothing is written', async (t) => {
  await api.reset();
  const cases: [string, Record<string, unknown>, string][] = [
    ['/v1/sources', { kind: 'article', title: 'Mayor resigns \u202Esdrawkcab', url: 'https://example.org/a' }, 'body.title'],
    ['/v1/sources', { kind: 'article', title: 'Fine', publisher: 'Gazette\u2066x\u2069', url: 'https://example.org/b' }, 'body.publisher'],
    ['/v1/sources', { kind: 'article', title: 'Fine', authors: ['Ana\u0000'], url: 'https://example.org/c' }, 'body.authors[0]'],
    ['/v1/claimants', { name: 'Ana\u0007 Lindqvist', kind: 'person' }, 'body.name'],
    ['/v1/claimants', { name: 'Ana Lindqvist', kind: 'person', aliases: ['Mayor\nLindqvist'] }, 'body.aliases[0]'],
    ['/v1/claimants', { name: 'Ana Lindqvist\u200F', kind: 'person' }, 'body.name'],
    ['/v1/claims', { text: 'The tunnel costs 2.4 billion', topics: ['budget\u009B'] }, 'body.topics[0]'],
    ['/v1/keys', { name: 'desk tool\u202E', scopes: ['read'] }, 'body.name'],
  ];
  for (const [url, body, path] of cases) {
    const res = await api.post(url, body);
    t.equal(res.statusCode, 400, `${url} ${path}`);
    t.equal(res.json().code, 'validation_failed');
    t.same(res.json().errors, [{ path, message: 'must not contain control characters or bidirectional formatting characters' }]);
  }
  t.equal((await api.get('/v1/sources')).json().data.length, 0);
  t.equal((await api.get('/v1/claimants')).json().data.length, 0);
  t.notOk(((await api.get('/v1/keys')).json().data as { name: string }[]).some((k) => k.name.startsWith('desk tool')), 'no key was made');
  const ok = await api.post('/v1/claimants', { name: 'אנה לינדקוויסט', kind: 'person', description: 'Mayor.\nSince 2022.' });
  t.equal(ok.statusCode, 201, 'right-to-left names are fine, and a description keeps its line breaks');
});

t.test('GET /v1/events?after= beyond 2^53 − 1 is a 400 naming query.after, not a database error', async (t) => {
  await api.reset();
  const res = await api.get('/v1/events?after=9223372036854775807');
  t.equal(res.statusCode, 400);
  t.equal(res.json().errors[0].path, 'query.after');
  t.equal((await api.get('/v1/events?after=9007199254740991')).statusCode, 200, 'the largest exact integer is accepted');
});

t.test('an unknown method on a known path is 405 problem+json with Allow; an unknown path stays 404', async (t) => {
  await api.reset();
  const claim = await makeClaim(api);
  const put = await api.request({ method: 'PUT', url: `/v1/claims/${claim.id}`, payload: { text: 'x' } });
  t.equal(put.statusCode, 405);
  t.equal(put.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(put.json().code, 'method_not_allowed');
  t.equal(put.headers.allow, 'DELETE, GET, HEAD, PATCH');
  const del = await api.request({ method: 'DELETE', url: '/v1/claims/' });
  t.equal(del.statusCode, 405);
  t.equal(del.headers.allow, 'GET, HEAD, POST');
  t.equal((await api.request({ method: 'PATCH', url: '/v1/nothing-here' })).statusCode, 404);
  t.equal((await api.get('/v1/nothing-here')).statusCode, 404);
});

t.test('malformed HTTP (a bare CR, a NUL in the request line or a header) answers 400 problem+json and closes the connection', async (t) => {
  const base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(base).port);
  for (const [what, head] of [
    ['bare CR in a header', 'GET /v1/claims HTTP/1.1\r\nHost: localhost\rX-Evil: 1\r\n\r\n'],
    ['NUL in the request line', 'GET /v1/cl\u0000aims HTTP/1.1\r\nHost: localhost\r\n\r\n'],
    ['NUL in a header value', 'GET /v1/claims HTTP/1.1\r\nHost: localhost\r\nX-Evil: a\u0000b\r\n\r\n'],
    ['not HTTP at all', 'HELLO\r\n\r\n'],
  ]) {
    const answer = await rawRequest(port, head);
    t.equal(answer.status, 400, what);
    t.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8', `${what}: problem+json`);
    t.equal(problemOf(answer).code, 'validation_failed');
    t.equal(answer.headers.connection, 'close');
  }
});
