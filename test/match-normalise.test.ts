import t from 'tap';
import { rowsOf } from '../src/db/client.js';
import { sql } from 'drizzle-orm';
import { buildTestApp } from './helper.js';
import {
  diceOverlap,
  foldText,
  matchScore,
  normaliseForMatching,
  numberAgreement,
  numberSpellings,
  trigramSimilarity,
  trigrams,
} from '../src/domain/matching.js';
import { bestName, nameKey, prepareNameQuery, scoreName } from '../src/domain/matching-names.js';

t.test('numbers written as words, digits, with separators or scales become the same digits', async (t) => {
  const cases: [string, string[]][] = [
    ['240 nurses', ['240']],
    ['two hundred forty nurses', ['240']],
    ['two hundred and forty nurses', ['240']],
    ['forty-six thousand school leavers', ['46000']],
    ['12,000 jobs', ['12000']],
    ['twelve thousand jobs', ['12000']],
    ['twelve hundred officers', ['1200']],
    ['2.4 billion euros', ['2400000000']],
    ['€2.4bn', ['2400000000']],
    ['two point four billion', ['2400000000']],
    ['2,400,000,000', ['2400000000']],
    ['half a million people', ['500000']],
    ['a million people', ['1000000']],
    ['€600m of financing', ['600000000']],
    ['3,500 posts', ['3500']],
    ['three thousand five hundred posts', ['3500']],
    ['40% / forty per cent / 40 percent', ['40']],
    ['voted 31-14', ['31', '14']],
    ['one in five', ['1', '5']],
    ['in 2019 and 2023', ['2019', '2023']],
    ['the point is', []],
  ];
  for (const [text, numbers] of cases) t.same(normaliseForMatching(text).numbers, numbers, text);
});

t.test('quantities are searched in the forms the English parser indexes them', async (t) => {
  t.same(numberSpellings(['2400000000']), ['2400000000', '2.4']);
  t.same(numberSpellings(['12000', '240']), ['12000', '12', '240']);
  t.same(numberSpellings(['2.4']), ['2.4']);
});

t.test('folding: case, accents, special letters, typographic punctuation', async (t) => {
  t.equal(foldText('Åsa Ström — Søren’s Ærø Straße'), "asa strom - soren's aero strasse");
  t.equal(normaliseForMatching('The Harbour Tunnel, WILL cost!').key, 'harbour tunnel cost', 'stop words and punctuation go');
  t.same(normaliseForMatching('4 euros each way').key.split(' ').sort(), normaliseForMatching('€4 each way').key.split(' ').sort(), 'currency words in one form');
});

t.test('signals and score', async (t) => {
  t.equal(trigramSimilarity(trigrams('harbour tunnel'), trigrams('tunnel harbour')), 1, 'word order does not matter to trigrams');
  t.equal(diceOverlap(new Set(['a', 'b']), new Set(['b', 'c'])), 0.5);
  t.equal(numberAgreement(['240'], ['240']), 1);
  t.equal(numberAgreement(['240'], ['300']), -1);
  t.equal(numberAgreement([], ['300']), 0);
  t.ok(matchScore({ trigram: 1, lexical: 1, numbers: 1 }) > 0.99);
  t.ok(matchScore({ trigram: 0.1, lexical: 0.1, numbers: 0 }) < 0.01);
  t.ok(matchScore({ trigram: 0.6, lexical: 0.7, numbers: 1 }) > matchScore({ trigram: 0.6, lexical: 0.7, numbers: -1 }), 'agreeing numbers raise the score');
});

t.test('name scores: exact 1, a part ≤ 0.9, a spelling variant ≤ 0.95', async (t) => {
  const q = (s: string) => prepareNameQuery(s);
  t.equal(scoreName(q('ana lindqvist'), 'ana lindqvist'), 1);
  t.equal(scoreName(q('lindqvist, ana'), 'ana lindqvist'), 1, 'word order and punctuation');
  t.equal(scoreName(q('lindqvist'), 'ana lindqvist'), 0.9, 'a surname alone');
  t.equal(scoreName(q('ana lindkvist'), 'ana lindqvist'), 0.95, 'a spelling variant');
  t.ok(scoreName(q('anna lindqvist'), 'ana lindqvist') < 0.95, 'another first name is not the same name');
  t.ok(scoreName(q('tschaikowsky'), 'pyotr tchaikovsky') >= 0.8, 'a transliteration');
  t.same(bestName(q('lindkvist'), ['ana lindqvist', 'mayor lindqvist', 'a. lindkvist']), { index: 2, score: 0.9 }, 'the alias spelled that way wins');
});

t.test('the name key in TypeScript is the one in SQL (claimledger_translit)', async (t) => {
  const api = await buildTestApp(t);
  const names = ['Pyotr Tchaikovsky', 'Tschaikowsky', 'Lindqvist', 'Schmidt', 'Philipp Mueller', 'Jackson', 'Yusuf Şahin', 'Ærø Hoeg', 'Чайковский'];
  for (const name of names) {
    const res = await api.database.db.execute(sql`select claimledger_fold(${name}) as folded, claimledger_name_key(${name}) as key`);
    const [row] = rowsOf<{ folded: string; key: string }>(res);
    t.equal(nameKey(row.folded), row.key, name);
  }
});
