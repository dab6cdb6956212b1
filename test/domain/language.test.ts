import t from 'tap';
import { LANGUAGE_TAG, canonicalLanguage } from '../../src/domain/language.js';

t.test('canonical form: BCP 47 case conventions and deprecated codes replaced', async (tt) => {
  const cases: [string, string][] = [
    ['EN-gb', 'en-GB'],
    ['en', 'en'],
    ['zh-hant-tw', 'zh-Hant-TW'],
    ['SR-latn-RS', 'sr-Latn-RS'],
    ['es-419', 'es-419'],
    ['iw', 'he'],
    ['eng', 'en'],
    ['en-US-U-CA-Gregory', 'en-US-u-ca-gregory'],
    ['en-x-Private', 'en-x-private'],
  ];
  for (const [input, wanted] of cases) tt.equal(canonicalLanguage(input), wanted, input);
});

t.test('well-formed tags Intl cannot canonicalise still get the case conventions', async (tt) => {
  tt.equal(canonicalLanguage('ZH-YUE-hk'), 'zh-yue-HK', 'an extlang');
  tt.equal(canonicalLanguage('DE-ch-1901-1901'), 'de-CH-1901-1901', 'a repeated variant');
  tt.equal(canonicalLanguage('en-A-bb-A-CC'), 'en-a-bb-a-cc', 'a repeated singleton: lower case after it');
});

t.test('the tag pattern accepts well-formed tags and refuses the rest', async (tt) => {
  for (const tag of ['en', 'en-GB', 'zh-Hant-TW', 'es-419', 'de-CH-1901', 'zh-yue-HK', 'en-US-u-ca-gregory', 'en-x-foo', 'sl-rozaj-biske']) {
    tt.ok(LANGUAGE_TAG.test(tag), tag);
  }
  for (const tag of ['english', 'e', 'en-', 'en-a', 'en-US-US', 'en-abcdefghi', 'i-klingon', 'en_GB', 'en-GB-']) {
    tt.notOk(LANGUAGE_TAG.test(tag), tag);
  }
});
