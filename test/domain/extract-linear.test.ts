import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { MAX_UNIT_TOKENS, analyseText } from '../../src/domain/extract/document.js';
import { extractClaims, warmUp } from '../../src/domain/extract/index.js';
import { MAX_TOKEN_LENGTH, boundTokenLength, findParagraphs, tokenise } from '../../src/domain/extract/nlp.js';
import { defaultExtractionThreads } from '../../src/domain/extract/pool.js';
import { pathologicalTexts } from '../support/pathological-texts.js';

const DIR = new URL('../fixtures/extraction/', import.meta.url).pathname;
const articles = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => [f, readFileSync(join(DIR, f), 'utf8')] as const);

t.test('prose reaches the tokenizer unchanged and stays in whole sentences: the bounds are far above any labelled article', async (t) => {
  for (const [name, text] of articles) {
    t.equal(boundTokenLength(text), text, `${name}: no run of ${MAX_TOKEN_LENGTH}+ characters to cut`);
    const longest = Math.max(...analyseText(text).units.map((u) => u.last - u.first + 1));
    t.ok(longest < MAX_UNIT_TOKENS / 2, `${name}: longest unit ${longest} tokens`);
  }
});

t.test('a long run is read as pieces of at most MAX_TOKEN_LENGTH, each located verbatim, surrogate pairs whole', async (t) => {
  for (const text of ['-'.repeat(1_000), `Prices rose ${'x'.repeat(350)} today.`, '😀'.repeat(301), `a\u0301${'\u0301'.repeat(500)}`]) {
    const tokens = tokenise(text, findParagraphs(text));
    t.ok(tokens.length > 0);
    t.ok(
      tokens.every((tok) => tok.text === text.slice(tok.start, tok.end)),
      'every token is where it says',
    );
    t.ok(
      tokens.every((tok) => tok.text.length <= MAX_TOKEN_LENGTH),
      `no token longer than ${MAX_TOKEN_LENGTH} (longest ${Math.max(...tokens.map((tok) => tok.text.length))})`,
    );
    t.notOk(
      tokens.some((tok) => /^[\udc00-\udfff]|[\ud800-\udbff]$/.test(tok.text)),
      'no piece starts or ends inside a surrogate pair',
    );
  }
  t.same(
    tokenise('Ana said “yes”.', findParagraphs('Ana said “yes”.')).map((tok) => tok.text),
    ['Ana', 'said', '“', 'yes', '”', '.'],
    'short text is tokenised as before',
  );
});

/** CPU time of one extraction: what grows with the text, whatever else the machine is doing. */
function cpuMs(text: string): number {
  const before = process.cpuUsage();
  extractClaims(text);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

t.test('extraction time grows linearly with pathological text: four times the text costs well under sixteen times the time', async (t) => {
  warmUp();
  // One per family that was superlinear: a long token (wink's tokenizer), a text with no sentence end
  // (the rules within a unit), one token per character, and thousands of attributions; and pronouns
  // looking back for what they name, whose cost showed only past 100,000 characters (×9 from 50,000
  // to 200,000 before the look-back was bounded).
  const cases = [
    ['run of hyphen', 25_000],
    ['repeated pronouns', 50_000],
    ['random of every class, spaces', 25_000],
    ['repeated many attributions', 25_000],
  ] as const;
  for (const [name, size] of cases) {
    const a = (pathologicalTexts(size).find((p) => p.name === name) as { text: string }).text;
    const b = (pathologicalTexts(4 * size).find((p) => p.name === name) as { text: string }).text;
    // The smaller of two runs each, so that a pause elsewhere does not decide.
    const ta = Math.min(cpuMs(a), cpuMs(a));
    const tb = Math.min(cpuMs(b), cpuMs(b));
    t.ok(tb / ta < 8, `${name}: ${size} characters ${ta.toFixed(0)} ms, ${4 * size} characters ${tb.toFixed(0)} ms of CPU (×${(tb / ta).toFixed(1)}; linear ×4, quadratic ×16)`);
  }
});

t.test('each process gets its share of the cores as extraction threads, at least one', async (t) => {
  t.equal(defaultExtractionThreads(1, 2), 2, 'one process on two cores: two threads');
  t.equal(defaultExtractionThreads(2, 2), 1, 'two processes on two cores: one each');
  t.equal(defaultExtractionThreads(3, 2), 1, 'more processes than cores: still one');
  t.equal(defaultExtractionThreads(4, 16), 4);
});
