import winkNLP, { type WinkMethods } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

/**
 * Tokens, parts of speech and sentence boundaries from wink-nlp with its
 * English "lite" model. The model is loaded once per process (about 0.2 s) on
 * first use; `loadLanguageModel()` lets a server pay that cost at start.
 *
 * What we take from wink: tokenisation, sentence boundaries and part-of-speech
 * tags. What we do not: its named entities — the lite model recognises dates,
 * numbers, money and the like but not people or organisations, so names are
 * found from tags and capitalisation (see mentions.ts).
 */

let nlp: WinkMethods | undefined;

export function loadLanguageModel(): WinkMethods {
  // sbd + pos only: negation, sentiment and entity passes cost time we do not use.
  nlp ??= winkNLP(model, ['sbd', 'pos']);
  return nlp;
}

export const isLanguageModelLoaded = (): boolean => nlp !== undefined;

export interface Token {
  index: number;
  /** UTF-16 offsets into the analysed text. */
  start: number;
  end: number;
  text: string;
  lower: string;
  pos: string;
  /** wink's sentence number. */
  sentence: number;
  /** Index into the quote-aware sentence units (see units.ts). */
  unit: number;
  paragraph: number;
  /** The quotation this token is inside (between the marks), or -1. */
  quote: number;
  /** True for the quotation marks themselves. */
  quoteMark: boolean;
  isWord: boolean;
  isCapitalised: boolean;
}

export interface Span {
  start: number;
  end: number;
}

export interface Paragraph extends Span {
  index: number;
}

const UPPER = /^\p{Lu}/u;
const WORDLIKE = /[\p{L}\p{N}]/u;

/** Paragraph boundaries: blank lines when the text has them, otherwise every line break. */
export function findParagraphs(text: string): Paragraph[] {
  const separator = /\n[ \t\r\f\v]*\n/.test(text) ? /\n[ \t\r\f\v]*\n\s*/g : /\n\s*/g;
  const out: Paragraph[] = [];
  let from = 0;
  const push = (start: number, end: number) => {
    let s = start;
    let e = end;
    while (s < e && /\s/.test(text[s] as string)) s++;
    while (e > s && /\s/.test(text[e - 1] as string)) e--;
    if (e > s) out.push({ index: out.length, start: s, end: e });
  };
  for (const m of text.matchAll(separator)) {
    push(from, m.index);
    from = m.index + m[0].length;
  }
  push(from, text.length);
  return out;
}

/**
 * The longest run of characters wink's tokenizer is given as one piece, in
 * UTF-16 code units. wink splits text into tokens at spaces first and then runs
 * regular expressions over each token whose cost grows with the square of its
 * length: one 60,000-character run of '-' took 15 s. Longer runs are cut into
 * pieces of at most this length, which bounds the work per piece and keeps
 * tokenising linear in the text. Prose never has runs this long (its longest
 * words and ordinary links are well under it), so ordinary text reaches wink
 * unchanged; only the pieces of such a run become separate tokens.
 */
export const MAX_TOKEN_LENGTH = 100;

/** The characters at which wink's tokenizer splits (its `splitter`): any other character continues a token. */
const isWinkSpace = (code: number) =>
  code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09 || code === 0xa0 || (code >= 0x2002 && code <= 0x2005) ||
  code === 0x2009 || code === 0x200a || code === 0x202f || code === 0x205f;

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * The text as wink should read it: a space inserted into every run of
 * non-space characters wherever it reaches MAX_TOKEN_LENGTH (never inside a
 * surrogate pair). Every token wink returns is still a verbatim piece of the
 * original text, so tokenise() locates it there as before.
 */
export function boundTokenLength(text: string): string {
  let pieces: string[] | null = null;
  let from = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isWinkSpace(code)) {
      run = 0;
      continue;
    }
    if (run >= MAX_TOKEN_LENGTH && !isLowSurrogate(code)) {
      (pieces ??= []).push(text.slice(from, i));
      from = i;
      run = 0;
    }
    run++;
  }
  if (!pieces) return text;
  pieces.push(text.slice(from));
  return pieces.join(' ');
}

/** How far past the previous token wink's next token may start (whitespace between them). */
const MAX_GAP = 200;

function locateNear(text: string, value: string, cursor: number): number {
  const at = text.slice(cursor, cursor + MAX_GAP + value.length).indexOf(value);
  return at < 0 ? -1 : cursor + at;
}

/**
 * Tokenises with wink and locates every token in the original text (wink keeps
 * token values verbatim, so a forward search from the previous token's end
 * finds each one; whitespace tokens are dropped). `sentence` on each token is
 * wink's sentence number.
 */
export function tokenise(text: string, paragraphs: Paragraph[]): Token[] {
  const nlpInstance = loadLanguageModel();
  const its = nlpInstance.its;
  const doc = nlpInstance.readDoc(boundTokenLength(text));
  const values = doc.tokens().out(its.value) as string[];
  const tags = doc.tokens().out(its.pos) as string[];
  const spans = doc.sentences().out(its.span) as unknown as [number, number][];
  const sentenceOf = new Int32Array(values.length);
  spans.forEach(([a, b], s) => sentenceOf.fill(s, a, b + 1));

  const tokens: Token[] = [];
  let cursor = 0;
  let paragraph = 0;
  for (let w = 0; w < values.length; w++) {
    const value = values[w] as string;
    if (!value.trim()) continue;
    // Searching only as far as a token may be keeps a token wink rewrote (it should not)
    // from costing a scan of the rest of the text; it is skipped rather than mislocated.
    const at = text.startsWith(value, cursor) ? cursor : locateNear(text, value, cursor);
    if (at < 0) continue;
    const end = at + value.length;
    while (paragraph < paragraphs.length - 1 && at >= (paragraphs[paragraph + 1] as Paragraph).start) paragraph++;
    tokens.push({
      index: tokens.length,
      start: at,
      end,
      text: value,
      lower: value.toLowerCase(),
      pos: tags[w] as string,
      sentence: sentenceOf[w] as number,
      unit: -1,
      paragraph,
      quote: -1,
      quoteMark: false,
      isWord: WORDLIKE.test(value),
      isCapitalised: UPPER.test(value),
    });
    cursor = end;
  }
  return tokens;
}
