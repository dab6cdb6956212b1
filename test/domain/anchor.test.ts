import t from 'tap';
import {
  MAX_ELISION_GAP,
  MAX_INSERTION_GAP,
  anchorQuotation,
  anchorQuote,
  normaliseForMatching,
  type QuotationAnchor,
  type QuotationMiss,
  type TextQuoteSelector,
} from '../../src/domain/anchor.js';
import { mulberry32 } from '../support/random.js';

// Only the assertions the helper needs, so it accepts the root and any subtest.
type Test = Pick<typeof t, 'equal' | 'ok' | 'fail'>;

// Every found selector must satisfy the core invariant, so route all lookups
// that are expected to succeed through one helper.
function found(tt: Test, source: string, quote: string, options?: { contextLength?: number }): TextQuoteSelector {
  const sel = anchorQuote(source, quote, options);
  if (sel === null) {
    tt.fail(`expected to anchor ${JSON.stringify(quote)}`);
    throw new Error('not found');
  }
  tt.equal(source.slice(sel.start, sel.end), sel.exact, 'exact is the source slice');
  tt.ok(sel.start <= sel.end, 'start <= end');
  tt.equal(source.slice(Math.max(0, sel.start - sel.prefix.length), sel.start), sel.prefix, 'prefix precedes start');
  tt.equal(source.slice(sel.end, sel.end + sel.suffix.length), sel.suffix, 'suffix follows end');
  return sel;
}

t.test('finds a plain quote with exact offsets', async (tt) => {
  const source = 'The minister said that taxes will fall next year.';
  const sel = found(tt, source, 'taxes will fall');
  tt.equal(sel.start, source.indexOf('taxes'));
  tt.equal(sel.end, sel.start + 'taxes will fall'.length);
  tt.equal(sel.exact, 'taxes will fall');
});

t.test('typographic quotes in source match straight quotes in the quote', async (tt) => {
  const source = 'She replied: “We never said “never” to anyone.” Then she left.';
  const sel = found(tt, source, '"We never said "never" to anyone."');
  tt.equal(sel.exact, '“We never said “never” to anyone.”', 'exact keeps the source typography');
  tt.equal(sel.start, source.indexOf('“We'));
});

t.test('straight quotes in source match typographic quotes in the quote', async (tt) => {
  const source = `He wrote "the plan is 'final'" in the memo.`;
  const sel = found(tt, source, '„the plan is ‘final’“');
  tt.equal(sel.exact, `"the plan is 'final'"`);
});

t.test('guillemets and prime marks belong to the double-quote class', async (tt) => {
  const source = 'Le président a dit « nous gagnerons » hier.';
  tt.equal(found(tt, source, '" nous gagnerons "').exact, '« nous gagnerons »');
  tt.equal(found(tt, 'He said «ja» twice', '"JA"').exact, '«ja»');
  tt.equal(found(tt, 'height 6″ tall', 'height 6" tall').exact, 'height 6″ tall');
});

t.test('apostrophe variants match each other', async (tt) => {
  found(tt, 'I think it’s over.', "it's over");
  found(tt, "I think it's over.", 'it’s over');
  found(tt, 'rock ‘n’ roll', "rock 'n' roll");
  found(tt, 'don‛t', 'don′t');
  tt.equal(found(tt, 'they don’t know', 'DON\'T KNOW').exact, 'don’t know');
});

t.test('double quotes inside the quote are matched literally', async (tt) => {
  const source = 'The report called it a "temporary" measure, twice.';
  const sel = found(tt, source, 'called it a "temporary" measure');
  tt.equal(sel.exact, 'called it a "temporary" measure');
  tt.equal(anchorQuote(source, 'called it a temporary measure'), null, 'quotes are not optional');
});

t.test('quotes are not stripped from the quote when the source lacks them', async (tt) => {
  tt.equal(anchorQuote('We will win.', '"We will win."'), null);
});

t.test('dash variants (hyphen, en dash, em dash, minus) match each other', async (tt) => {
  tt.equal(found(tt, 'the 2019–2020 season', '2019-2020').exact, '2019–2020');
  tt.equal(found(tt, 'the 2019-2020 season', '2019—2020').exact, '2019-2020');
  tt.equal(found(tt, 'growth was −3 percent', 'was -3 percent').exact, 'was −3 percent');
  tt.equal(found(tt, 'a well‑known fact', 'well-known').exact, 'well‑known');
  tt.equal(found(tt, 'yes — no', 'yes ― no').exact, 'yes — no');
});

t.test('a single space in the quote matches a line break in the source', async (tt) => {
  const source = 'We will not\nraise taxes.';
  const sel = found(tt, source, 'will not raise');
  tt.equal(sel.exact, 'will not\nraise');
});

t.test('a single space in the quote matches CRLF and multiple spaces', async (tt) => {
  const source = 'We will not\r\n  raise   taxes\t\tthis year.';
  const sel = found(tt, source, 'not raise taxes this');
  tt.equal(sel.exact, 'not\r\n  raise   taxes\t\tthis');
});

t.test('line breaks and runs of whitespace in the quote match a single space in the source', async (tt) => {
  const source = 'We will not raise taxes this year.';
  const sel = found(tt, source, 'will\r\nnot   raise\n\n\ttaxes');
  tt.equal(sel.exact, 'will not raise taxes');
});

t.test('non-breaking and other Unicode spaces count as whitespace', async (tt) => {
  tt.equal(found(tt, '100\u00a0000 people', '100 000 people').exact, '100\u00a0000 people');
  tt.equal(found(tt, 'a\u2009b\u3000c', 'a b c').exact, 'a\u2009b\u3000c');
  tt.equal(found(tt, 'one two', 'one\u202ftwo').exact, 'one two');
});

t.test('whitespace is not invented where the source has none', async (tt) => {
  tt.equal(anchorQuote('taxes', 'tax es'), null);
  tt.equal(anchorQuote('tax es', 'taxes'), null);
});

t.test('leading and trailing whitespace of the quote is ignored and not included in exact', async (tt) => {
  const source = 'Before.   The claim itself.   After.';
  const sel = found(tt, source, '  \n The claim itself. \t ');
  tt.equal(sel.exact, 'The claim itself.');
  tt.equal(sel.start, source.indexOf('The claim'));
  tt.equal(sel.suffix.startsWith('   After.'), true);
});

t.test('matching is case-insensitive and exact keeps source case', async (tt) => {
  tt.equal(found(tt, 'The Economy Is Growing', 'the economy is growing').exact, 'The Economy Is Growing');
  tt.equal(found(tt, 'the economy is growing', 'THE ECONOMY').exact, 'the economy');
  tt.equal(found(tt, 'ÉCOLE publique', 'école').exact, 'ÉCOLE');
  tt.equal(found(tt, 'ΟΔΟΣ', 'οδος').exact, 'ΟΔΟΣ', 'Greek upper case matches lower case');
  tt.equal(found(tt, 'η οδός', 'Η ΟΔΌΣ').exact, 'η οδός', 'final sigma matches capital sigma');
  tt.equal(found(tt, 'МОСКВА', 'москва').exact, 'МОСКВА');
});

t.test('repeated quotes anchor to the first occurrence', async (tt) => {
  const source = 'No. I said no. I said NO, and I meant “no”.';
  const sel = found(tt, source, 'I said no');
  tt.equal(sel.start, 4);
  tt.equal(sel.exact, 'I said no');
  const second = found(tt, source, 'said NO,');
  tt.equal(second.start, source.indexOf('said NO,'), 'a longer quote can disambiguate');
});

t.test('emoji before the quote: offsets are UTF-16 code units', async (tt) => {
  const source = '🎉🎉 Party time! 👍 The vote passed 52–48.';
  const sel = found(tt, source, 'the vote passed 52-48');
  tt.equal(sel.start, source.indexOf('The vote'));
  tt.equal(sel.start, '🎉🎉 Party time! 👍 '.length, 'emoji count as two units each');
  tt.equal(sel.exact, 'The vote passed 52–48');
});

t.test('non-Latin text before the quote keeps offsets exact', async (tt) => {
  const prefixes = ['Ελληνικά κείμενα ', 'Русский текст ', '中文文本和日本語 ', 'نص عربي ', '𠜎𠜱𠝹 ', 'e\u0301te\u0301 '];
  for (const p of prefixes) {
    const source = `${p}The budget is balanced.`;
    const sel = found(tt, source, 'budget is balanced');
    tt.equal(sel.start, p.length + 'The '.length, `after ${JSON.stringify(p)}`);
  }
});

t.test('a quote that itself contains emoji or non-Latin text', async (tt) => {
  tt.equal(found(tt, 'He posted: "great news 🚀🚀" today', 'GREAT NEWS 🚀🚀').exact, 'great news 🚀🚀');
  tt.equal(found(tt, 'Министр сказал: «Налоги снизятся» вчера', '"налоги снизятся"').exact, '«Налоги снизятся»');
  tt.equal(found(tt, '首相は「経済は成長している」と述べた', '経済は成長している').exact, '経済は成長している');
  tt.equal(found(tt, 'قال الوزير إن الاقتصاد ينمو بسرعة', 'الاقتصاد ينمو').exact, 'الاقتصاد ينمو');
  tt.equal(found(tt, 'Ο υπουργός είπε ότι «η ανεργία μειώθηκε»', 'Η ΑΝΕΡΓΊΑ ΜΕΙΏΘΗΚΕ').exact, 'η ανεργία μειώθηκε');
  tt.equal(anchorQuote('🚀', '🚁'), null, 'different emoji sharing a high surrogate do not match');
});

t.test('a lone surrogate in the quote never yields half an emoji', async (tt) => {
  const source = 'go 😀 now';
  const sel = found(tt, source, '\uDE00');
  tt.equal(sel.exact, '😀', 'widened to the whole code point');
  const high = found(tt, source, 'go \uD83D');
  tt.equal(high.exact, 'go 😀', 'a match ending on a high surrogate covers the whole pair');
});

t.test('a char whose lower case is longer (İ) before the quote keeps offsets exact', async (tt) => {
  tt.equal('İ'.toLowerCase().length, 2, 'precondition: naive lower-casing changes length');
  const source = 'İİİ İSTANBUL: the mayor said “we will build it”.';
  const sel = found(tt, source, 'we will build it');
  tt.equal(sel.start, source.indexOf('we will'));
  tt.equal(sel.exact, 'we will build it');
  tt.equal(sel.prefix, 'İİİ İSTANBUL: the mayor said “');
  tt.equal(found(tt, source, 'istanbul').exact, 'İSTANBUL', 'dotted capital I matches plain i');
  tt.equal(found(tt, source, 'İstanbul').exact, 'İSTANBUL');
  tt.equal(found(tt, 'x İ y', 'İ').start, 2);
});

t.test('astral letters with case (Deseret) fold and keep offsets exact', async (tt) => {
  const source = 'say 𐐀𐐁 ok';
  tt.equal(found(tt, source, '𐐨𐐩 OK').exact, '𐐀𐐁 ok');
  tt.equal(found(tt, source, '𐐨𐐩 OK').start, 4);
});

t.test('normaliseForMatching maps every normalised unit back to the original', async (tt) => {
  const text = 'İ  “A”\r\n😀—b';
  const { normalised, map } = normaliseForMatching(text);
  tt.equal(normalised, 'i "a" 😀-b');
  tt.same(map, [0, 1, 3, 4, 5, 6, 8, 8, 10, 11, 12]);
  tt.equal(map.length, normalised.length + 1, 'one trailing sentinel entry');
});

t.test('prefix and suffix default to 32 code units of context', async (tt) => {
  const before = 'a'.repeat(50);
  const after = 'b'.repeat(50);
  const source = `${before} QUOTE ${after}`;
  const sel = found(tt, source, 'quote');
  tt.equal(sel.prefix.length, 32);
  tt.equal(sel.suffix.length, 32);
  tt.equal(sel.prefix, `${'a'.repeat(31)} `);
  tt.equal(sel.suffix, ` ${'b'.repeat(31)}`);
});

t.test('contextLength option controls prefix and suffix length', async (tt) => {
  const source = 'one two three four five';
  const sel = found(tt, source, 'three', { contextLength: 4 });
  tt.equal(sel.prefix, 'two ');
  tt.equal(sel.suffix, ' fou');
  const none = found(tt, source, 'three', { contextLength: 0 });
  tt.equal(none.prefix, '');
  tt.equal(none.suffix, '');
  const all = found(tt, source, 'three', { contextLength: Infinity });
  tt.equal(all.prefix, 'one two ');
  tt.equal(all.suffix, ' four five');
  tt.throws(() => anchorQuote(source, 'three', { contextLength: -1 }), RangeError);
  tt.throws(() => anchorQuote(source, 'three', { contextLength: Number.NaN }), RangeError);
});

t.test('prefix is empty at the start of the text and suffix is empty at the end', async (tt) => {
  const source = 'Whole text is the quote';
  const sel = found(tt, source, 'whole text is the quote');
  tt.equal(sel.start, 0);
  tt.equal(sel.end, source.length);
  tt.equal(sel.prefix, '');
  tt.equal(sel.suffix, '');
  const near = found(tt, 'ab QUOTE cd', 'quote');
  tt.equal(near.prefix, 'ab ', 'short prefix near the start');
  tt.equal(near.suffix, ' cd', 'short suffix near the end');
});

t.test('prefix and suffix never split a surrogate pair', async (tt) => {
  // With contextLength 4 the naive prefix cut would land between the halves of 😀.
  const source = 'x😀ab QUOTE cd😀y';
  const sel = found(tt, source, 'quote', { contextLength: 4 });
  tt.equal(sel.prefix, 'ab ', 'shrunk by one instead of keeping a lone low surrogate');
  tt.equal(sel.suffix, ' cd', 'shrunk by one instead of keeping a lone high surrogate');
  const wide = found(tt, source, 'quote', { contextLength: 5 });
  tt.equal(wide.prefix, '😀ab ');
  tt.equal(wide.suffix, ' cd😀');
  for (let n = 0; n <= 12; n++) {
    const s = found(tt, '🎉🎉🎉🎉🎉quote🎉🎉🎉🎉🎉', 'QUOTE', { contextLength: n });
    tt.ok(s.prefix.length <= n && s.suffix.length <= n, `within contextLength ${n}`);
    tt.notOk(/^[\uDC00-\uDFFF]/.test(s.prefix), `prefix of ${n} starts on a whole code point`);
    tt.notOk(/[\uD800-\uDBFF]$/.test(s.suffix), `suffix of ${n} ends on a whole code point`);
    tt.equal(s.prefix.length, Math.min(10, n - (n % 2)), `prefix of ${n} keeps whole emoji`);
  }
});

t.test('empty and whitespace-only quotes return null', async (tt) => {
  tt.equal(anchorQuote('some text', ''), null);
  tt.equal(anchorQuote('some text', '   '), null);
  tt.equal(anchorQuote('some text', '\n\t\r\n \u00a0\u3000'), null);
  tt.equal(anchorQuote('', ''), null);
});

t.test('a quote that is not in the text returns null', async (tt) => {
  tt.equal(anchorQuote('The economy is growing.', 'the economy is shrinking'), null);
  tt.equal(anchorQuote('', 'anything'), null);
});

t.test('a quote longer than the text returns null', async (tt) => {
  tt.equal(anchorQuote('short', 'short but longer'), null);
  tt.equal(anchorQuote('short', 'not short'), null);
});

t.test('a 1 MB source text with the quote at the end is anchored', async (tt) => {
  const filler = 'Lorem ipsum dolor sit amet, “consectetur” adipiscing elit — sed do eiusmod.\n';
  let source = filler.repeat(Math.ceil(1_000_000 / filler.length));
  const tail = 'The final, decisive claim: “we are done”.';
  source += tail;
  tt.ok(source.length >= 1_000_000);
  const sel = found(tt, source, 'the FINAL, decisive claim: "we are done".');
  tt.equal(sel.start, source.length - tail.length);
  tt.equal(sel.end, source.length);
  tt.equal(sel.exact, tail);
  tt.equal(sel.suffix, '');
  tt.equal(sel.prefix, source.slice(sel.start - 32, sel.start));
});


const SWAPS: Record<string, string[]> = {
  '“': ['"', '„'],
  '”': ['"', '″'],
  '"': ['“', '«'],
  '’': ["'", '‛'],
  "'": ['’', '‘'],
  '—': ['-', '–'],
  '–': ['-', '—'],
  '-': ['‐', '−'],
};

function mangle(text: string, rand: () => number): string {
  let out = '';
  for (const ch of text.replace(/\s+/g, () => (rand() < 0.5 ? ' ' : rand() < 0.5 ? '\n' : ' \u00a0\t'))) {
    const options = SWAPS[ch];
    if (options !== undefined && rand() < 0.7) {
      out += options[Math.floor(rand() * options.length)];
      continue;
    }
    // Change case only where it round-trips, since e.g. 'ß' upper-cases to 'SS'.
    const upper = ch.toUpperCase();
    const lower = ch.toLowerCase();
    if (rand() < 0.5) out += upper.length === ch.length && upper.toLowerCase() === lower ? upper : ch;
    else out += lower.length === ch.length ? lower : ch;
  }
  return out;
}

t.test('property: mangled random slices of a paragraph anchor to the same (or an earlier equivalent) text', async (tt) => {
  const paragraph = [
    'On Tuesday the minister told reporters: “We have never — not once — promised a tax cut.”',
    "Critics weren't convinced; the opposition's leader said it's \"simply untrue\" and pointed to\r\nthe 2019–2020 manifesto.",
    '  The fact-checkers at Ελεγκτές Γεγονότων rated the claim FALSE 🚫, noting that “never” is a strong word.',
    'В интервью он повторил: «Мы никогда не обещали снижения налогов». 財務省はコメントを控えた。',
    'İSTANBUL bureau: the statement was repeated — verbatim — in three languages.\n\n\tEnd of report.',
  ].join('\n');
  const rand = mulberry32(20240611);
  let checked = 0;
  for (let i = 0; i < 500; i++) {
    let from = Math.floor(rand() * paragraph.length);
    let to = Math.min(paragraph.length, from + 1 + Math.floor(rand() * 80));
    // Keep slices on code point boundaries; a half emoji is not a quote anyone sends.
    if (from > 0 && /[\uDC00-\uDFFF]/.test(paragraph[from] as string)) from -= 1;
    if (to < paragraph.length && /[\uDC00-\uDFFF]/.test(paragraph[to] as string)) to += 1;
    const raw = paragraph.slice(from, to);
    const trimmed = raw.trim();
    if (trimmed === '') continue;
    const originalStart = from + (raw.length - raw.trimStart().length);
    const quote = mangle(raw, rand);

    const sel = anchorQuote(paragraph, quote);
    if (sel === null) {
      tt.fail(`seeded case ${i}: ${JSON.stringify(quote)} not found`);
      continue;
    }
    if (paragraph.slice(sel.start, sel.end) !== sel.exact) tt.fail(`case ${i}: exact is not the source slice`);
    if (normaliseForMatching(sel.exact).normalised !== normaliseForMatching(trimmed).normalised) {
      tt.fail(`case ${i}: ${JSON.stringify(sel.exact)} is not equivalent to ${JSON.stringify(trimmed)}`);
    }
    if (sel.start > originalStart) tt.fail(`case ${i}: start ${sel.start} after original ${originalStart}`);
    if (sel.start === originalStart && sel.exact !== trimmed) {
      tt.fail(`case ${i}: same start but ${JSON.stringify(sel.exact)} !== ${JSON.stringify(trimmed)}`);
    }
    checked++;
  }
  tt.ok(checked > 400, `checked ${checked} random slices`);
});

// Quotations as journalists write them: elisions and bracketed insertions.

const TUNNEL =
  'The mayor spoke on Monday. “The tunnel will cost 2.4 billion euros. We have checked the figures twice — and not a cent more,” ' +
  'she said. Hidalgo added that it would open in 2031.';

/** Anchors a quotation that must be found, checking every invariant of its parts. */
function quotation(tt: Test, source: string, quote: string): QuotationAnchor {
  const result = anchorQuotation(source, quote);
  if (!('anchor' in result)) {
    tt.fail(`expected to anchor ${JSON.stringify(quote)}: ${JSON.stringify(result.miss)}`);
    throw new Error('not found');
  }
  const { selector, parts } = result.anchor;
  tt.ok(parts.length >= 1, 'at least one part');
  for (const [i, part] of parts.entries()) {
    tt.equal(source.slice(part.start, part.end), part.exact, `part ${i + 1}: exact is the source slice`);
    if (i > 0) tt.ok(part.start >= (parts[i - 1] as { end: number }).end, `part ${i + 1} starts after part ${i} ends`);
  }
  tt.equal(selector.start, parts[0]?.start, 'the selector starts where the first part does');
  tt.equal(selector.end, parts[parts.length - 1]?.end, 'the selector ends where the last part does');
  tt.equal(source.slice(selector.start, selector.end), selector.exact, 'the selector exact is the source slice');
  tt.equal(source.slice(selector.start - selector.prefix.length, selector.start), selector.prefix);
  tt.equal(source.slice(selector.end, selector.end + selector.suffix.length), selector.suffix);
  return result.anchor;
}

function missOf(tt: Test, source: string, quote: string): QuotationMiss {
  const result = anchorQuotation(source, quote);
  if (!('miss' in result)) {
    tt.fail(`expected ${JSON.stringify(quote)} not to anchor, got ${JSON.stringify(result.anchor.parts)}`);
    throw new Error('anchored');
  }
  return result.miss;
}

const exacts = (a: QuotationAnchor) => a.parts.map((p) => p.exact);

t.test('an ellipsis in the middle splits the quotation into two parts found in order', async (tt) => {
  const a = quotation(tt, TUNNEL, 'The tunnel will cost 2.4 billion euros ... and not a cent more');
  tt.same(exacts(a), ['The tunnel will cost 2.4 billion euros', 'and not a cent more']);
  tt.equal(a.selector.exact, 'The tunnel will cost 2.4 billion euros. We have checked the figures twice — and not a cent more');
  tt.same(exacts(quotation(tt, TUNNEL, 'The tunnel will cost … not a cent more')), ['The tunnel will cost', 'not a cent more'], 'the ellipsis character');
  tt.same(exacts(quotation(tt, TUNNEL, 'The tunnel will cost . . . not a cent more')), ['The tunnel will cost', 'not a cent more'], 'spaced dots');
  tt.same(exacts(quotation(tt, TUNNEL, 'will cost 2.4 billion euros.... We have checked')), ['will cost 2.4 billion euros', 'We have checked'], 'a full stop then an ellipsis');
});

t.test('an ellipsis at the start or the end leaves one part', async (tt) => {
  const start = quotation(tt, TUNNEL, '… not a cent more');
  tt.same(exacts(start), ['not a cent more']);
  tt.equal(start.selector.start, TUNNEL.indexOf('not a cent more'));
  tt.same(exacts(quotation(tt, TUNNEL, 'The tunnel will cost 2.4 billion euros...')), ['The tunnel will cost 2.4 billion euros']);
  tt.same(exacts(quotation(tt, TUNNEL, '...we have checked the figures twice [...]')), ['We have checked the figures twice']);
});

t.test('[…], [...] and (…) are elisions too, and the punctuation beside them is the writer’s', async (tt) => {
  tt.same(exacts(quotation(tt, TUNNEL, 'The tunnel will cost 2.4 billion euros […] and not a cent more')), [
    'The tunnel will cost 2.4 billion euros',
    'and not a cent more',
  ]);
  tt.same(exacts(quotation(tt, TUNNEL, 'The tunnel will cost 2.4 billion euros, [...] and not a cent more')), [
    'The tunnel will cost 2.4 billion euros',
    'and not a cent more',
  ], 'the comma before the mark is not searched for');
  tt.same(exacts(quotation(tt, TUNNEL, 'We have checked the figures twice (…) not a cent more')), ['We have checked the figures twice', 'not a cent more']);
});

t.test('a bracketed insertion is editorial: not searched for, and it may stand for a word of the source', async (tt) => {
  const replaced = quotation(tt, TUNNEL, '[The mayor] added that it would open in 2031');
  tt.same(exacts(replaced), ['added that it would open in 2031'], 'replaces “Hidalgo”');
  const source = 'Asked about the cost, she said it will cost 2.4 billion euros and no more.';
  tt.same(exacts(quotation(tt, source, 'it [the tunnel] will cost 2.4 billion euros')), ['it', 'will cost 2.4 billion euros'], 'adds words, replaces none');
  tt.same(exacts(quotation(tt, source, '[S]he said it will cost')), ['he said it will cost'], 'a changed capital');
  tt.same(exacts(quotation(tt, source, 'she said [that] it will cost 2.4 billion euros [sic] and no more')), [
    'she said',
    'it will cost 2.4 billion euros',
    'and no more',
  ]);
});

t.test('an insertion stands for at most a short phrase of the source', async (tt) => {
  const filler = 'x'.repeat(MAX_INSERTION_GAP + 10);
  const source = `Lindqvist said ${filler} the harbour will close.`;
  const miss = missOf(tt, source, 'Lindqvist said [that] the harbour will close');
  tt.equal(miss.reason, 'too_far');
  tt.equal(miss.part, 2);
  tt.equal(miss.text, 'the harbour will close');
  tt.same(exacts(quotation(tt, source, 'Lindqvist said ... the harbour will close')), ['Lindqvist said', 'the harbour will close'], 'an elision may be longer');
});

t.test('a quotation found word for word, marks and all, is one part as before', async (tt) => {
  const source = 'The memo read: “Costs rose [...] sharply [sic] in 2025.” Nothing more.';
  const a = quotation(tt, source, 'costs rose [...] sharply [sic] in 2025.');
  tt.same(exacts(a), ['Costs rose [...] sharply [sic] in 2025.']);
  const plain = quotation(tt, TUNNEL, 'we have CHECKED the figures twice');
  tt.same(plain.parts, [{ exact: plain.selector.exact, start: plain.selector.start, end: plain.selector.end }]);
  tt.same(plain.selector, anchorQuote(TUNNEL, 'we have CHECKED the figures twice'), 'the same selector anchorQuote gives');
});

t.test('parts out of order are refused, naming the first part that does not follow', async (tt) => {
  const miss = missOf(tt, TUNNEL, 'not a cent more ... The tunnel will cost');
  tt.same(miss, { reason: 'too_far', part: 2, parts: 2, text: 'The tunnel will cost', marked: true, maxGap: MAX_ELISION_GAP });
});

t.test('parts further apart than the elision bound are refused', async (tt) => {
  const between = 'Other business followed. '.repeat(Math.ceil(MAX_ELISION_GAP / 25) + 1);
  const source = `The tunnel will cost 2.4 billion euros. ${between}And not a cent more.`;
  const miss = missOf(tt, source, 'The tunnel will cost 2.4 billion euros ... and not a cent more');
  tt.equal(miss.reason, 'too_far');
  tt.equal(miss.part, 2);
  tt.equal(miss.text, 'and not a cent more');
  const near = `The tunnel will cost 2.4 billion euros. ${'Other business followed. '.repeat(Math.floor(MAX_ELISION_GAP / 25) - 2)}And not a cent more.`;
  quotation(tt, near, 'The tunnel will cost 2.4 billion euros ... and not a cent more');
});

t.test('repeated fragments: the tightest in-order placement is chosen, the earliest on a tie', async (tt) => {
  const source = 'We will build it. Later: we will build it, said the mayor, and we will pay for it. Then: we will build it.';
  const a = quotation(tt, source, 'we will build it ... we will pay');
  tt.equal(a.parts[0]?.start, source.indexOf('we will build it, said'), 'the occurrence nearest the next part');
  tt.equal(a.parts[1]?.start, source.indexOf('we will pay'));
  const tie = 'a b. X c. a b. X c.';
  const t2 = quotation(tt, tie, 'a b ... c');
  tt.equal(t2.parts[0]?.start, 0, 'earliest of equally tight placements');
  tt.equal(t2.selector.exact, 'a b. X c');
  // The occurrence of the middle part nearest the last one cannot be reached from the
  // first part; an earlier one can: the placement is searched, not picked greedily.
  const far = `alpha beta ${'z'.repeat(MAX_INSERTION_GAP + 50)} beta ${'z'.repeat(500)} gamma`;
  const b = quotation(tt, far, 'alpha [and] beta ... gamma');
  tt.same(b.parts.map((p) => p.start), [0, far.indexOf('beta'), far.indexOf('gamma')]);
});

t.test('a part not in the source is named with its position and words', async (tt) => {
  const miss = missOf(tt, TUNNEL, 'The tunnel will cost 2.4 billion euros ... and not a penny more … open in 2031');
  tt.same(miss, { reason: 'not_in_source', part: 2, parts: 3, text: 'and not a penny more', marked: true });
  tt.same(missOf(tt, TUNNEL, 'nothing like this'), { reason: 'not_in_source', part: 1, parts: 1, text: 'nothing like this', marked: false });
  tt.same(missOf(tt, TUNNEL, '[The mayor] added that it would open in 2032'), {
    reason: 'not_in_source',
    part: 1,
    parts: 1,
    text: 'added that it would open in 2032',
    marked: true,
  }, 'one part left once the insertion is set aside');
  tt.equal(missOf(tt, TUNNEL, '[…]').reason, 'no_words', 'marks alone have no words to find');
});

t.test('parts keep the forgiving match: quotes, dashes, whitespace and case', async (tt) => {
  const a = quotation(tt, TUNNEL, '"THE TUNNEL   will cost ... checked the figures twice - and not');
  tt.same(exacts(a), ['“The tunnel will cost', 'checked the figures twice — and not']);
});

t.test('offsets of parts count UTF-16 code units after astral characters', async (tt) => {
  const source = '🚇🚇 The tunnel 🚇 will cost 2.4 billion euros, she said 🙂, and not a cent more.';
  const a = quotation(tt, source, 'will cost 2.4 billion euros … not a cent more');
  tt.equal(a.parts[1]?.start, source.indexOf('not a cent more'));
});
