import { findParagraphs, tokenise, type Paragraph, type Token } from './nlp.js';
import { findQuotations, type Quotation } from './quotes.js';

/**
 * A text prepared for the attribution rules: paragraphs, tokens, quotations,
 * and "units" — wink's sentences, joined where a quotation runs across a
 * sentence boundary (“It is late. But it will be done,” she said) or where the
 * next sentence is only the attribution (“Who will pay?” asked X).
 */
export interface Unit {
  index: number;
  /** Token indices, inclusive. */
  first: number;
  last: number;
  paragraph: number;
}

export interface AnalysedText {
  text: string;
  paragraphs: Paragraph[];
  tokens: Token[];
  quotations: Quotation[];
  units: Unit[];
  /** Paragraphs that are short and lack closing punctuation: headlines, bylines, subheadings. */
  headings: Set<number>;
}

function markQuotations(tokens: Token[], quotations: Quotation[]): void {
  let t = 0;
  for (const q of quotations) {
    while (t < tokens.length && (tokens[t] as Token).start < q.open) t++;
    for (let k = t; k < tokens.length && (tokens[k] as Token).start < q.close; k++) {
      const token = tokens[k] as Token;
      token.quote = q.index;
      token.quoteMark = token.start < q.start || token.start >= q.end;
    }
  }
}

/**
 * The most tokens in one unit. The attribution rules look across a unit from
 * each reporting verb in it, so their work grows with the square of a unit's
 * length; a text with no sentence ends ("he said she said …" for 200,000
 * characters) would be one unit and take minutes. Sentences in prose are far
 * shorter (the longest in the labelled articles has 50 tokens), so only such
 * texts are cut, into units of this length.
 */
export const MAX_UNIT_TOKENS = 300;

function buildUnits(tokens: Token[]): Unit[] {
  const units: Unit[] = [];
  let current: Unit | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    const previous = tokens[i - 1];
    let join = false;
    if (current && previous && previous.paragraph === token.paragraph) {
      if (previous.sentence === token.sentence) join = true;
      else if (previous.quote !== -1 && previous.quote === token.quote) join = true;
      // wink ends a sentence at “…?” / “…!”; the attribution that follows belongs to it.
      else if (token.isWord && !token.isCapitalised && /^\p{Ll}/u.test(token.text)) join = true;
      else if (!token.isWord && /^[,;:)\]”’]/.test(token.text)) join = true;
    }
    if (join && current && i - current.first < MAX_UNIT_TOKENS) {
      current.last = i;
    } else {
      current = { index: units.length, first: i, last: i, paragraph: token.paragraph };
      units.push(current);
    }
    token.unit = current.index;
  }
  return units;
}

export function analyseText(text: string): AnalysedText {
  const paragraphs = findParagraphs(text);
  const tokens = tokenise(text, paragraphs);
  const quotations = findQuotations(text, paragraphs);
  markQuotations(tokens, quotations);
  const units = buildUnits(tokens);
  const headings = new Set<number>();
  for (const p of paragraphs) {
    const body = text.slice(p.start, p.end);
    // A paragraph ending in a colon introduces what follows ("In a statement, the union said:").
    if (!/[.!?…:]["”’')\]]*$/.test(body) && body.split(/\s+/).length <= 25) headings.add(p.index);
  }
  return { text, paragraphs, tokens, quotations, units, headings };
}
