import t from 'tap';
import { rowsOf } from '../src/db/client.js';
import { sql } from 'drizzle-orm';
import { buildTestApp } from './helper.js';
import { cleanQueryText, cosine, leadsOf, matchScores, meanVector, parseTsvector, signatureDate, signatureWords, timeProximity, type MatchSignals } from '../src/domain/matching.js';
import { DIMENSIONS, VOCABULARY, wordVectors } from '../src/domain/word-vectors.js';
import { compareQuantities, readQuantities } from '../src/domain/numbers.js';
import { bestName, nameKey, prepareNameQuery, scoreName } from '../src/domain/matching-names.js';

const values = (text: string) => readQuantities(text).map((q) => (q.low === q.high ? q.value : [q.low, q.high]));
const units = (text: string) => readQuantities(text).map((q) => q.unit);
const agree = (a: string, b: string) => compareQuantities(readQuantities(a), readQuantities(b));

t.test('numbers written as digits, with separators, as words or with suffixes read as the same value', async (t) => {
  const cases: [string, (number | number[])[]][] = [
    ['240 nurses', [240]],
    ['two hundred forty nurses', [240]],
    ['two hundred and forty nurses', [240]],
    ['forty-six thousand school leavers', [46000]],
    ['80,000 people', [80000]],
    ['80 000 people', [80000]],
    ['1.234.567 votes', [1234567]],
    ['twelve hundred officers', [1200]],
    ['2.4 billion euros', [2.4e9]],
    ['€2.4bn', [2.4e9]],
    ['$2.4bn', [2.4e9]],
    ['two point four billion euros', [2.4e9]],
    ['2,400,000,000 euros', [2.4e9]],
    ['a hundred thousand people', [100000]],
    ['two and a half million people', [2.5e6]],
    ['half a million people', [500000]],
    ['a dozen eggs', [12]],
    ['100k followers', [100000]],
    ['€600m of financing', [6e8]],
    ['three thousand five hundred posts', [3500]],
    ['40% of voters', [40]],
    ['forty per cent of voters', [40]],
    ['10 to 20 percent', [[10, 20]]],
    ['between 5 and 7 million people', [[5e6, 7e6]]],
    ['rose from 5 to 7 million people', [5e6, 7e6]],
    ['fell from 7 to 5 million people', [7e6, 5e6]],
    ['voted 31-14', [31, 14]],
    ['in 2019 and 2023', []],
    ['the point is', []],
  ];
  for (const [text, expected] of cases) t.same(values(text), expected, text);
  t.same(units('40% / 40 percent / 40 per cent'), ['percent', 'percent', 'percent'], 'percent in every spelling');
  t.same(units('$100 million and 100 million dollars'), ['USD', 'USD'], 'a currency by symbol or by word');
});

t.test('hedges are read with the number they hedge', async (t) => {
  const hedge = (text: string) => readQuantities(text).map((q) => [q.value, q.hedge]);
  t.same(hedge('approximately 800,000 residents'), [[800000, 'about']]);
  t.same(hedge('more than 150 people'), [[150, 'more']]);
  t.same(hedge('nearly half of pupils'), [[0.5, 'about']]);
  t.same(hedge('fewer than 20 cases'), [[20, 'less']]);
  t.same(hedge('exactly 20 cases'), [[20, null]]);
});

t.test('dates are not quantities, not even in a tweet signature', async (t) => {
  t.same(readQuantities('On January 14, 2020 in 2019'), []);
  t.same(readQuantities(cleanQueryText('Prices rose 70% — Jane Doe (@jdoe) January 14, 2020')).map((q) => q.text), ['70%']);
});

t.test('the same quantity written differently agrees; a different key quantity contradicts', async (t) => {
  t.equal(agree('$100 million for the tunnel', 'one hundred million dollars for the tunnel'), 1);
  t.equal(agree('240 nurses quit', 'two hundred and forty nurses quit'), 1);
  t.equal(agree('nearly half of pupils', '48% of pupils'), 1, 'a hedge allows what it hedges');
  t.equal(agree('70% of voters', '47% of voters'), -1);
  t.equal(agree('$100 million', '$300 million'), -1);
  t.equal(agree('3 billion euros', '2.4 billion euros'), -1);
  t.equal(agree('70% of voters', '300 nurses'), 0, 'different kinds of quantity are not compared');
  t.equal(agree('the tunnel', '300 nurses'), 0, 'no quantity on one side says nothing');
});

t.test('a text that gives part of a claim\'s quantities agrees with it; each giving one the other contradicts does not', async (t) => {
  const claim = 'Unemployment fell from 10% to 5% under the mayor';
  t.equal(agree('Unemployment fell to 5% under the mayor', claim), 1, 'the text quotes one end');
  t.equal(agree(claim, 'Unemployment fell to 5% under the mayor'), 1, 'either way round');
  t.equal(agree('Unemployment fell to 4% under the mayor', claim), -1, 'an end the claim does not give');
  t.equal(agree('Unemployment fell to 10% under the mayor', claim), -1, 'where it started given as where it ended');
  t.equal(agree('Unemployment rose from 12% to 15%', 'Unemployment rose from 10% to 15%'), -1, 'a rise is a change, not a range');
  t.equal(agree('Unemployment rose to 15%', 'Unemployment rose from 10% to 15%'), 1);
  t.equal(agree('Unemployment rose from 10% to 15%', 'Unemployment rose from ten percent to fifteen percent'), 1);
  t.equal(agree('Unemployment fell from 12% to 5% under the mayor', claim), -1, 'one end shared, the other contradicted');
  t.equal(agree('70% of voters back the plan, which costs $100 million', '70% of voters back the plan, which costs $300 million'), -1, 'one key quantity contradicted is enough');
  t.equal(agree('The plan costs $100 million', 'The $100 million plan has 70% support'), 1, 'a quantity of a kind the other lacks is not compared');
});

t.test('a number whose one dot may separate thousands is compared either way', async (t) => {
  t.same(values('80.000 people'), [80], 'read as a decimal');
  t.same(readQuantities('80.000 people')[0].alternative, { low: 80000, high: 80000 }, 'with the thousands as its other reading');
  t.same(readQuantities('1.234 votes')[0].alternative, { low: 1234, high: 1234 });
  t.equal(readQuantities('a 0.005% chance')[0].alternative, undefined, 'no thousands after a leading zero');
  t.equal(readQuantities('12.345% of them')[0].alternative, undefined, 'nor in a percentage');
  t.equal(agree('a 0.005% chance', 'a 5% chance'), -1);
  t.equal(agree('between 1.500 and 2.000 jobs', '1,800 jobs'), 1, 'a range read either way');
  t.equal(readQuantities('80,000 people')[0].alternative, undefined, 'an unambiguous number has one reading');
  t.equal(readQuantities('2.5 billion')[0].alternative, undefined);
  t.equal(agree('80.000 people marched', '80,000 people marched'), 1, 'as thousands');
  t.equal(agree('80.000 people marched', '80 people marched'), 1, 'as a decimal');
  t.equal(agree('80.000 people marched', '50,000 people marched'), -1, 'neither reading agrees');
  t.equal(agree('1.500 jobs', 'one thousand five hundred jobs'), 1);
});

t.test('tweets are cleaned: signature, links, pictures, handles and hashtags, emoji', async (t) => {
  t.equal(
    cleanQueryText('Butterflies survive the #AustralianFires 🔥🦋 via @CenterForBioDiv https://t.co/x pic.twitter.com/0eJtwJyS1J — Center for Bio Div (@CenterForBioDiv) January 14, 2020'),
    'Butterflies survive the Australian Fires via Center For Bio Div',
  );
  t.equal(cleanQueryText('#COVID19Vaccine &amp; #joe_biden'), 'COVID 19 Vaccine & joe biden');
});

t.test("a tweet's signature gives its author and month as words, never its day", async (t) => {
  t.equal(signatureWords('Vote to save our NHS. — Jeremy Corbyn (@jeremycorbyn) December 8, 2019'), 'Jeremy Corbyn jeremycorbyn December 2019');
  t.equal(signatureWords('No signature here, 8 December 2019'), '');
  t.same(signatureDate('Vote to save our NHS. — Jeremy Corbyn (@jeremycorbyn) December 8, 2019'), new Date('2019-12-08T00:00:00Z'), "the signature's date, midnight UTC");
  t.same(signatureDate('Flooded again — City Desk (@citydesk) Sept. 3, 2019'), new Date('2019-09-03T00:00:00Z'), 'an abbreviated month');
  t.equal(signatureDate('Leap — City Desk (@citydesk) February 30, 2020'), undefined, 'no such day');
  t.equal(signatureDate('Not a month — City Desk (@citydesk) Someday 3, 2019'), undefined, 'no such month');
  t.equal(signatureDate('Not a month — City Desk (@citydesk) Marching 3, 2019'), undefined, 'a word that only starts like one');
  t.equal(signatureDate('Too early — City Desk (@citydesk) March 3, 0099'), undefined, 'no tweet is that old');
  t.equal(signatureDate('No signature here, 8 December 2019'), undefined);
});

t.test('word vectors: read from the npm package, unit length, alike words close', async (t) => {
  const vectors = wordVectors();
  t.comment(`${VOCABULARY} word vectors read in ${vectors.loadSeconds.toFixed(2)} s`);
  const vaccine = vectors.vector('vaccine');
  t.equal(vaccine?.length, DIMENSIONS);
  t.ok(Math.abs(vaccine!.reduce((s, v) => s + v * v, 0) - 1) < 1e-4, 'unit length');
  t.equal(vectors.rank('the'), 0, 'most frequent first');
  t.equal(vectors.vector('qwzxv'), undefined, 'no vector for a non-word');
  const same = cosine(meanVector('The vaccine causes infertility in women'), meanVector('Vaccination makes women infertile'));
  const other = cosine(meanVector('The vaccine causes infertility in women'), meanVector('The library opens on Sundays'));
  t.ok(same > other + 0.2, `a rewording is closer (${same.toFixed(3)}) than an unrelated sentence (${other.toFixed(3)})`);
});

t.test('time: 1 from a few days before the text to the text, then falling by e a month; 0 earlier or without dates', async (t) => {
  t.equal(timeProximity(undefined), 0);
  t.equal(timeProximity(-3.5), 0, 'published well before the text');
  t.equal(timeProximity(-3), 1);
  t.equal(timeProximity(0), 1);
  t.equal(timeProximity(30), 0.3679);
  t.equal(timeProximity(3650), 0, 'ten years after');
});

t.test('signals and scores', async (t) => {
  t.same([...parseTsvector("'cost':3 'tunnel':2,5 'o''brien':1")], [['cost', [3]], ['tunnel', [2, 5]], ["o'brien", [1]]]);
  t.same(leadsOf([3, 1, 2]), [1, -2, -1], 'each against the best other');
  t.same(leadsOf([2]), [2], 'alone: against a claim with nothing in common');
  t.same(leadsOf([2], 3), [-1], 'alone, with a floor: no lead for having no rivals');
  t.same(leadsOf([5, 4], 3), [1, -1], 'a floor below the best other changes nothing');
  t.same(leadsOf([3, 4, 1], 0, [true, false, true]), [2, 1, -2], 'a value that does not compete is no rival (3 leads 1); its own lead is over all the others, as before');
  const strong: MatchSignals = { text: 30, context: 40, relative: 1, coverage: 1, phrases: 1, numbers: 0, meaning: 0.9, meaning_lead: 0.3, sentence: 0.8, sentence_lead: 0.3, time: 0 };
  const weak: MatchSignals = { text: 3, context: 4, relative: 0.1, coverage: 0.1, phrases: 0, numbers: 0, meaning: 0.6, meaning_lead: -0.3, sentence: 0.4, sentence_lead: -0.3, time: 0 };
  const [s, w] = matchScores([strong, weak]);
  t.ok(s > 0.9 && w < 0.1, `a full match scores high (${s}), a weak one low (${w})`);
  const middling: MatchSignals = { text: 10, context: 14, relative: 1, coverage: 0.5, phrases: 0.2, numbers: 0, meaning: 0.7, meaning_lead: 0.05, sentence: 0.6, sentence_lead: 0, time: 0 };
  const [alone] = matchScores([middling, weak]);
  const [far] = matchScores([middling, { ...weak, time: 0.0001 }]);
  t.ok(Math.abs(far - alone) < 0.001, `a candidate published months after the text moves the others' scores by as little as its time (${alone} → ${far})`);
  const [near] = matchScores([middling, { ...weak, time: 1 }]);
  t.ok(near < alone - 0.03, `one published right after it, by more (${alone} → ${near})`);
  const [contradicted] = matchScores([{ ...strong, numbers: -1 }, weak]);
  t.ok(contradicted < 0.5, `a contradicted quantity keeps a full match below the default min_score (${contradicted})`);
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
