import { createHash } from 'node:crypto';
import t from 'tap';
import { buildTestApp } from '../helper.js';
import { eventsOf, makeSource } from '../factories.js';

const api = await buildTestApp(t);

t.test('creating a source normalises its url and computes the text hash and length', async (t) => {
  await api.reset();
  const res = await api.post('/v1/sources', {
    kind: 'article',
    url: 'HTTPS://Example.COM/news/tunnel?utm_source=x&id=4&UTM_medium=y#comments',
    title: 'Tunnel',
    text: 'héllo 😀',
  });
  t.equal(res.statusCode, 201);
  const body = res.json();
  t.equal(body.url, 'https://example.com/news/tunnel?id=4');
  t.equal(body.text_length, 8);
  t.equal(body.content_sha256, createHash('sha256').update('héllo 😀', 'utf8').digest('hex'));
  t.equal(res.headers.location, `/v1/sources/${body.id}`);
  t.equal(body.version, 1);
  const events = await eventsOf(api, body.id);
  t.same(events.map((e) => e.type), ['source.created']);
});

t.test('a duplicate url is 409 with the existing id, and writes nothing', async (t) => {
  await api.reset();
  const first = await makeSource(api, { url: 'https://example.com/a?b=1' });
  const res = await api.post('/v1/sources', { kind: 'article', title: 'again', url: 'https://EXAMPLE.com/a?b=1&utm_campaign=z#x' });
  t.equal(res.statusCode, 409);
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal(res.json().existing_id, first.id);
  t.equal(res.json().code, 'conflict');
  const list = await api.get('/v1/sources?count=true');
  t.equal(list.json().total, 1);
});
