import { mulberry32 } from './random.js';

/**
 * Texts built to make claim extraction slow: long runs of one character of
 * many classes, punctuation runs, emoji and combining marks, text without
 * spaces, huge numbers, nested and unbalanced quotation marks, one endless
 * sentence, thousands of attributions. Each is `length` UTF-16 code units
 * long (a surrogate pair is never cut), so the same case can be run at the
 * size limit. Seeded: the same name and length give the same text.
 */
export interface PathologicalText {
  name: string;
  text: string;
}

/** `unit` repeated until the text is `length` code units long, without cutting a surrogate pair. */
export function repeatTo(unit: string, length: number): string {
  const text = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? `${text.slice(0, -1)}x` : text;
}

/** Random characters from `alphabet` (an array of code points as strings), cut to `length`. */
function randomOf(alphabet: string[], length: number, seed: number): string {
  const random = mulberry32(seed);
  const parts: string[] = [];
  let n = 0;
  while (n < length) {
    const c = alphabet[Math.floor(random() * alphabet.length)] as string;
    parts.push(c);
    n += c.length;
  }
  return repeatTo(parts.join(''), length);
}

/** One character repeated: letters, digits, punctuation, symbols, quotation marks, spaces wink does and does not split at. */
const SINGLE_CHARACTERS: Record<string, string> = {
  hyphen: '-',
  'en dash': '–',
  'em dash': '—',
  'letter x': 'x',
  'capital X': 'X',
  'accented e': 'é',
  cyrillic: 'ж',
  cjk: '中',
  arabic: 'ب',
  digit: '9',
  period: '.',
  comma: ',',
  colon: ':',
  semicolon: ';',
  exclamation: '!',
  question: '?',
  ellipsis: '…',
  apostrophe: "'",
  'right single quote': '’',
  'straight double quote': '"',
  'left double quote': '“',
  'right double quote': '”',
  guillemet: '«',
  'open paren': '(',
  'close paren': ')',
  bracket: '[',
  brace: '{',
  slash: '/',
  backslash: '\\',
  at: '@',
  hash: '#',
  dollar: '$',
  euro: '€',
  percent: '%',
  ampersand: '&',
  asterisk: '*',
  plus: '+',
  equals: '=',
  underscore: '_',
  tilde: '~',
  pipe: '|',
  'less than': '<',
  'soft hyphen': '\u00ad',
  'zero-width space': '\u200b',
  'word joiner': '\u2060',
  'combining acute': '\u0301',
  'ideographic space': '\u3000',
  'no-break space': '\u00a0',
  'vertical tab': '\v',
  'line separator': '\u2028',
  space: ' ',
  newline: '\n',
  tab: '\t',
  emoji: '😀',
  flag: '🇫🇷',
  'zwj family': '👨‍👩‍👧',
};

/** Short units repeated without spaces or with them. */
const REPEATED_UNITS: Record<string, string> = {
  'double hyphen': '--',
  'dot dash comma': '.-,',
  'question exclamation': '?!',
  'ellipsis quote': '..."',
  'apostrophe s': "'s",
  emoticons: ':-):(;)',
  'letter then combining marks': 'e\u0301\u0302\u0303',
  'emoji with skin tone': '👍🏽',
  'url-like': 'http://a.b/c-d?e=f&',
  'email-like': 'a@b.c',
  mentions: '@ab',
  hashtags: '#ab',
  'thousands separators': '1,000,',
  'dotted numbers': '1.2.',
  'negative numbers': '-1',
  ordinals: '12th',
  decades: "'90s",
  'money without spaces': '$1,000,000',
  'time-like': '12:30pm',
  abbreviations: 'U.S.',
  'hyphenated word': 'well-',
  'nested quotes without spaces': '“‘"\'',
  'close quotes without spaces': '”’"\'',
  'spaced quotes': '“ ',
  'nested quotes with words': '“a ‘b “c ',
  'unclosed quotations': '“It is late, ',
  'many attributions': 'Ana Lindqvist said: “Prices rose 4%,” she said. ',
  'reported speech': 'The minister said that the plan would cost 2 billion euros. ',
  'according to': 'according to ',
  'names and titles': 'Mayor Ana Lindqvist ',
  pronouns: 'Ana Lindqvist said he said she said ',
  'one endless sentence': 'the council approved the budget and ',
  'capitalised words': 'Aaa Bbb Ccc ',
  'number words': 'one hundred thousand million ',
  'spaced digits': '1 000 ',
  'spaced percents': '90% ',
  'blank lines': '\n\n',
  'one-word lines': 'a\n',
  'headline paragraphs': 'Breaking News\n\n',
  'said colon paragraphs': 'The union said:\n\n',
};

export function pathologicalTexts(length: number): PathologicalText[] {
  const out: PathologicalText[] = [];
  for (const [name, c] of Object.entries(SINGLE_CHARACTERS)) out.push({ name: `run of ${name}`, text: repeatTo(c, length) });
  for (const [name, unit] of Object.entries(REPEATED_UNITS)) out.push({ name: `repeated ${name}`, text: repeatTo(unit, length) });
  const letters = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'];
  const punctuation = [...'.,;:!?-–—…\'’"“”()[]{}/\\@#$%&*+=_~|<>'];
  const everything = [...letters, ...punctuation, ...'0123456789', 'é', 'ж', '中', '😀', '\u0301', '\u200b'];
  out.push({ name: 'random letters, no spaces', text: randomOf(letters, length, 1) });
  out.push({ name: 'random punctuation, no spaces', text: randomOf(punctuation, length, 2) });
  out.push({ name: 'random of every class, no spaces', text: randomOf(everything, length, 3) });
  out.push({ name: 'random of every class, spaces', text: randomOf([...everything, ' ', ' ', ' ', '\n'], length, 4) });
  out.push({ name: 'huge number', text: `${'9'.repeat(length - 6)} euros` });
  out.push({ name: 'one huge quotation', text: `“${repeatTo('word ', length - 40)}” Ana Lindqvist said.` });
  out.push({ name: 'open quotes then close quotes', text: repeatTo('“', length / 2) + repeatTo('”', length / 2) });
  return out;
}
