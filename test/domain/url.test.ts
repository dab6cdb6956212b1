import t from 'tap';
import { normaliseSourceUrl } from '../../src/domain/url.js';

t.test('accepts plain http and https URLs', async (tt) => {
  tt.equal(normaliseSourceUrl('https://example.com/news/article'), 'https://example.com/news/article');
  tt.equal(normaliseSourceUrl('http://example.com'), 'http://example.com/');
});

t.test('removes utm_ parameters case-insensitively', async (tt) => {
  tt.equal(
    normaliseSourceUrl('https://example.com/a?utm_source=tw&id=7&UTM_Medium=social&Utm_campaign=x'),
    'https://example.com/a?id=7',
  );
  tt.equal(normaliseSourceUrl('https://example.com/a?utm_=1&b=2'), 'https://example.com/a?b=2', 'bare utm_ prefix');
  tt.equal(normaliseSourceUrl('https://example.com/a?utm%5Fsource=x&b=2'), 'https://example.com/a?b=2', 'encoded name');
});

t.test('keeps parameters with malformed percent-encoding instead of rejecting the URL', async (tt) => {
  tt.equal(normaliseSourceUrl('https://example.com/?%E0%A4%A=1&utm_x=2&%zz=3'), 'https://example.com/?%E0%A4%A=1&%zz=3');
});

t.test('keeps parameters that merely resemble utm_', async (tt) => {
  tt.equal(normaliseSourceUrl('https://example.com/?utm=1&xutm_source=2&utmsource=3'), 'https://example.com/?utm=1&xutm_source=2&utmsource=3');
});

t.test('keeps other parameters in their original order and encoding', async (tt) => {
  tt.equal(
    normaliseSourceUrl('https://example.com/s?z=1&utm_source=x&a=2&m=hello%20world&flag&a=3'),
    'https://example.com/s?z=1&a=2&m=hello%20world&flag&a=3',
  );
});

t.test('drops the trailing ? when no parameters remain', async (tt) => {
  tt.equal(normaliseSourceUrl('https://example.com/a?utm_source=x&utm_medium=y'), 'https://example.com/a');
  tt.equal(normaliseSourceUrl('https://example.com/a?'), 'https://example.com/a');
});

t.test('removes the fragment', async (tt) => {
  tt.equal(normaliseSourceUrl('https://example.com/a#section-2'), 'https://example.com/a');
  tt.equal(normaliseSourceUrl('https://example.com/a?b=1#top'), 'https://example.com/a?b=1');
  tt.equal(normaliseSourceUrl('https://example.com/a#'), 'https://example.com/a');
  tt.equal(normaliseSourceUrl('https://example.com/a?utm_source=x#frag'), 'https://example.com/a');
});

t.test('lower-cases scheme and host but keeps path case', async (tt) => {
  tt.equal(normaliseSourceUrl('HTTPS://News.Example.COM/Politics/Article-42'), 'https://news.example.com/Politics/Article-42');
});

t.test('removes default ports and keeps non-default ones', async (tt) => {
  tt.equal(normaliseSourceUrl('http://example.com:80/a'), 'http://example.com/a');
  tt.equal(normaliseSourceUrl('https://example.com:443/a'), 'https://example.com/a');
  tt.equal(normaliseSourceUrl('https://example.com:8443/a'), 'https://example.com:8443/a');
});

t.test('rejects non-http schemes', async (tt) => {
  for (const input of ['ftp://example.com/file', 'javascript:alert(1)', 'mailto:someone@example.com', 'file:///etc/passwd', 'data:text/plain,hi', 'ws://example.com/']) {
    tt.equal(normaliseSourceUrl(input), null, input);
  }
});

t.test('rejects relative and malformed URLs', async (tt) => {
  for (const input of ['/news/article', 'news/article', '//example.com/a', '?q=1', '', '   ', 'https://', 'not a url']) {
    tt.equal(normaliseSourceUrl(input), null, JSON.stringify(input));
  }
});

t.test('rejects URLs with credentials', async (tt) => {
  tt.equal(normaliseSourceUrl('https://user:pass@example.com/a'), null);
  tt.equal(normaliseSourceUrl('https://user@example.com/a'), null);
  tt.equal(normaliseSourceUrl('https://:secret@example.com/a'), null);
});

t.test('rejects non-string input from untyped callers', async (tt) => {
  tt.equal(normaliseSourceUrl(undefined as unknown as string), null);
  tt.equal(normaliseSourceUrl(42 as unknown as string), null);
});

t.test('removes the common click and campaign tracking parameters, in any case', async (tt) => {
  tt.equal(
    normaliseSourceUrl('https://example.com/a?id=7&fbclid=IwAR0&gclid=Cj0&mc_cid=1&mc_eid=2&igshid=3&msclkid=4&_ga=2.1&_gl=1*x&twclid=5&ttclid=6&yclid=7&dclid=8'),
    'https://example.com/a?id=7',
  );
  tt.equal(normaliseSourceUrl('https://example.com/a?FBCLID=x&page=2'), 'https://example.com/a?page=2');
  tt.equal(normaliseSourceUrl('https://example.com/a?_hsenc=x&_hsmi=y&mkt_tok=z&li_fat_id=w'), 'https://example.com/a');
});

t.test('keeps parameters that merely resemble tracking ones', async (tt) => {
  tt.equal(
    normaliseSourceUrl('https://example.com/a?ref=home&fbclid_note=1&xgclid=2&ga=3&id=fbclid'),
    'https://example.com/a?ref=home&fbclid_note=1&xgclid=2&ga=3&id=fbclid',
  );
});

t.test('drops a trailing slash from the path but not from the root', async (tt) => {
  tt.equal(normaliseSourceUrl('https://example.com/news/article/'), 'https://example.com/news/article');
  tt.equal(normaliseSourceUrl('https://example.com/news/article//'), 'https://example.com/news/article');
  tt.equal(normaliseSourceUrl('https://example.com/news/article/?id=7#x'), 'https://example.com/news/article?id=7');
  tt.equal(normaliseSourceUrl('https://example.com/'), 'https://example.com/');
  tt.equal(normaliseSourceUrl('https://example.com'), 'https://example.com/');
  tt.equal(normaliseSourceUrl('https://example.com//?utm_source=x'), 'https://example.com/');
  tt.equal(normaliseSourceUrl('https://example.com/a/b/c'), 'https://example.com/a/b/c', 'inner slashes stay');
});

t.test('www. and the scheme stay distinct', async (tt) => {
  tt.equal(normaliseSourceUrl('https://www.example.com/a/'), 'https://www.example.com/a');
  tt.equal(normaliseSourceUrl('http://example.com/a/'), 'http://example.com/a');
  tt.not(normaliseSourceUrl('https://www.example.com/a'), normaliseSourceUrl('https://example.com/a'));
  tt.not(normaliseSourceUrl('http://example.com/a'), normaliseSourceUrl('https://example.com/a'));
});
