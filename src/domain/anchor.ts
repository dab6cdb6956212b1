/**
 * Quote anchoring: locate a client-supplied quotation inside a source text and
 * describe it as a W3C Web Annotation TextQuoteSelector plus the offsets of a
 * TextPositionSelector.
 *
 * Clients copy quotes out of browsers, PDFs and chat apps, which silently
 * rewrite whitespace, quotation marks, dashes and sometimes case. We therefore
 * match on a normalised form of both strings, but always report offsets and
 * text from the ORIGINAL source so that `exact === sourceText.slice(start, end)`.
 */

export interface TextQuoteSelector {
  exact: string;
  prefix: string;
  suffix: string;
  /** UTF-16 code unit offset into the original source text (inclusive). */
  start: number;
  /** UTF-16 code unit offset into the original source text (exclusive). */
  end: number;
}

export interface NormalisedText {
  normalised: string;
  /**
   * `map[i]` is the index in the original text of the code point (or the
   * first character of the whitespace run) that produced `normalised[i]`.
   * It has one extra trailing entry equal to the original length so that an
   * end offset can always be looked up without a bounds check.
   */
  map: number[];
}

const DEFAULT_CONTEXT_LENGTH = 32;

// Every character a client might substitute for ", ', or -. Keeping these as
// explicit sets (rather than Unicode categories) avoids surprising matches such
// as treating a math minus in a formula differently from a hyphen.
const DOUBLE_QUOTES = new Set([0x22, 0x201c, 0x201d, 0x201e, 0x201f, 0xab, 0xbb, 0x2033, 0xff02]);
const SINGLE_QUOTES = new Set([0x27, 0x2018, 0x2019, 0x201a, 0x201b, 0x2032, 0x2039, 0x203a, 0x2bc, 0xff07]);
const DASHES = new Set([0x2d, 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212]);

/** The same set of code points that `\s` matches in JavaScript regexes. */
function isWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * Case-fold one code point. Lower-casing is done per code point (never on the
 * whole string) so that each output unit can be attributed to exactly one
 * source code point. The output may still differ in length from the input
 * (astral letters, or case mappings added in future Unicode versions), which
 * the caller handles by mapping every output unit to the same origin.
 */
function foldCodePoint(char: string): string {
  // 'İ' lower-cases to 'i' + U+0307 (combining dot), which would stop
  // "istanbul" from matching "İSTANBUL"; readers see one letter, so fold it to 'i'.
  if (char === '\u0130') return 'i';
  const lower = char.toLowerCase();
  // Per-code-point lower-casing cannot see word ends, so 'Σ' always becomes
  // 'σ'; fold the final form too or upper-cased Greek would never match.
  return lower === '\u03c2' ? '\u03c3' : lower;
}

export function normaliseForMatching(text: string): NormalisedText {
  let normalised = '';
  const map: number[] = [];
  let inWhitespace = false;
  // toLowerCase() per character dominates on non-Latin documents; a text
  // rarely has more than a few thousand distinct characters, so memoise.
  const foldCache = new Map<number, string>();

  for (let i = 0; i < text.length; ) {
    const code = text.codePointAt(i) as number;
    const width = code > 0xffff ? 2 : 1;

    if (isWhitespace(code)) {
      // A whole run collapses to one space that points at the run's start.
      if (!inWhitespace) {
        normalised += ' ';
        map.push(i);
        inWhitespace = true;
      }
      i += width;
      continue;
    }
    inWhitespace = false;

    let folded: string;
    if (code < 0x80) {
      // Fast path: this loop runs once per character of a possibly
      // megabyte-sized document, and ASCII '"', "'" and '-' are already the
      // canonical members of their classes.
      folded = code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 0x20) : text[i] as string;
    } else if (DOUBLE_QUOTES.has(code)) {
      folded = '"';
    } else if (SINGLE_QUOTES.has(code)) {
      folded = "'";
    } else if (DASHES.has(code)) {
      folded = '-';
    } else {
      const cached = foldCache.get(code);
      if (cached === undefined) {
        folded = foldCodePoint(text.slice(i, i + width));
        foldCache.set(code, folded);
      } else {
        folded = cached;
      }
    }

    normalised += folded;
    for (let k = 0; k < folded.length; k++) map.push(i);
    i += width;
  }

  map.push(text.length);
  return { normalised, map };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

// Context windows must never cut an astral character (emoji) in half, or the
// prefix/suffix would not be valid strings once serialised.
function contextBefore(text: string, start: number, length: number): string {
  let from = Math.max(0, start - length);
  // Shrinking (not widening) keeps the promise of "at most contextLength units".
  if (from > 0 && from < start && isLowSurrogate(text.charCodeAt(from)) && isHighSurrogate(text.charCodeAt(from - 1))) {
    from += 1;
  }
  return text.slice(from, start);
}

function contextAfter(text: string, end: number, length: number): string {
  let to = Math.min(text.length, end + length);
  if (to < text.length && to > end && isHighSurrogate(text.charCodeAt(to - 1)) && isLowSurrogate(text.charCodeAt(to))) {
    to -= 1;
  }
  return text.slice(end, to);
}

export function anchorQuote(
  sourceText: string,
  quote: string,
  options?: { contextLength?: number },
): TextQuoteSelector | null {
  const contextLength = options?.contextLength ?? DEFAULT_CONTEXT_LENGTH;
  if (!(contextLength >= 0)) {
    throw new RangeError(`contextLength must be a non-negative number, got ${contextLength}`);
  }

  // Whitespace collapses to at most one space at each end, so trimming the
  // normalised quote is equivalent to trimming the raw one.
  const needle = trimmedNeedle(quote);
  if (needle.length === 0) return null;

  const { normalised, map } = normaliseForMatching(sourceText);
  const at = normalised.indexOf(needle);
  if (at === -1) return null;

  const { start, end } = originalSpan(map, at, needle.length);
  return selectorOf(sourceText, start, end, contextLength);
}

/** The offsets in the original text of `length` normalised units from `at`. */
function originalSpan(map: number[], at: number, length: number): { start: number; end: number } {
  // The end is where the code point after the last matched unit begins. Scan
  // past units that share an origin so that a match ending inside a multi-unit
  // fold (e.g. the first half of a surrogate pair) still covers the whole
  // source character and never yields a half emoji.
  const lastOrigin = map[at + length - 1] as number;
  let k = at + length;
  while ((map[k] as number) === lastOrigin) k++;
  return { start: map[at] as number, end: map[k] as number };
}

function selectorOf(sourceText: string, start: number, end: number, contextLength: number): TextQuoteSelector {
  const contextUnits = Math.floor(Math.min(contextLength, sourceText.length));
  return {
    exact: sourceText.slice(start, end),
    prefix: contextBefore(sourceText, start, contextUnits),
    suffix: contextAfter(sourceText, end, contextUnits),
    start,
    end,
  };
}

/** One stretch of a quotation's words in the source: `exact === sourceText.slice(start, end)`. */
export interface QuotePart {
  exact: string;
  start: number;
  end: number;
}

/** Where a quotation sits: the whole span (first part's start to last part's end) and each part. */
export interface QuotationAnchor {
  selector: TextQuoteSelector;
  parts: QuotePart[];
}

/**
 * Why a quotation could not be anchored: `part` (1-based) is the first part
 * that could not be placed, `text` its words as the quote gives them.
 */
export interface QuotationMiss {
  reason: 'no_words' | 'not_in_source' | 'too_far';
  part: number;
  parts: number;
  text: string;
  /** Whether the quote has elisions or bracketed insertions (else its one part is the whole quote). */
  marked: boolean;
  /** For `too_far`: the most source text allowed between this part and the one before. */
  maxGap?: number;
}

/**
 * Most source text an elision may stand for between two parts, in UTF-16 code
 * units of the source with each whitespace run counted as one. About 300
 * English words: a few sentences or a short paragraph, which is what an
 * ellipsis in a news quotation leaves out; passages further apart are two
 * quotations, and letting them join would let common words anchor anywhere.
 */
export const MAX_ELISION_GAP = 2000;

/**
 * Most source text a bracketed insertion may stand for ("[The mayor] added"
 * replaces "She added"; "it [the tunnel] will" adds words and replaces none):
 * a name, a title or a short phrase.
 */
export const MAX_INSERTION_GAP = 100;

const DOTS = String.raw`(?:\u2026|\.(?:\s*\.){2,})`;
// Elisions: "...", ". . .", "…", and the same in square or round brackets.
// Any other bracketed text is an editorial insertion. Longer alternatives first.
const SEPARATOR = new RegExp(String.raw`\[\s*${DOTS}\s*\]|\(\s*${DOTS}\s*\)|${DOTS}|(?<insertion>\[[^\[\]]*\])`, 'g');
// Punctuation next to an elision or insertion is the quoting writer's ("euros, ... and"),
// not necessarily the source's, so it is not searched for.
const EDGE_BEFORE_SEPARATOR = /[\s,;:]+$/;
const EDGE_AFTER_SEPARATOR = /^[\s,;:]+/;

interface QuotationPiece {
  text: string;
  /** Most source text allowed between this part and the previous one (Infinity for the first). */
  maxGap: number;
}

/** Splits a quotation at its elisions and bracketed insertions; parts keep their order. */
function splitQuotation(quote: string): QuotationPiece[] {
  const pieces: QuotationPiece[] = [];
  let gap = 0;
  let from = 0;
  const push = (raw: string, afterSeparator: boolean, beforeSeparator: boolean) => {
    let text = raw;
    if (afterSeparator) text = text.replace(EDGE_AFTER_SEPARATOR, '');
    if (beforeSeparator) text = text.replace(EDGE_BEFORE_SEPARATOR, '');
    text = text.trim();
    if (text === '') return;
    pieces.push({ text, maxGap: pieces.length === 0 ? Infinity : gap });
    gap = 0;
  };
  for (const match of quote.matchAll(SEPARATOR)) {
    push(quote.slice(from, match.index), from > 0, true);
    // Consecutive marks ("... [the mayor] ...") may stand for all their text together.
    gap += match.groups?.insertion === undefined ? MAX_ELISION_GAP : MAX_INSERTION_GAP;
    from = match.index + match[0].length;
  }
  push(quote.slice(from), from > 0, false);
  return pieces;
}

/**
 * Anchors a quotation as journalists write them: elisions ("...", "…", "[…]",
 * "[...]", "(…)") split it into parts that must appear in the source in order,
 * each at most MAX_ELISION_GAP after the previous one; bracketed insertions
 * ("[The mayor]") are editorial, are not searched for, and separate parts at
 * most MAX_INSERTION_GAP apart. Each part is matched as anchorQuote matches a
 * quote (forgiving whitespace, quotation marks, dashes and case). Among the
 * placements that fit, the tightest is chosen (earliest on a tie).
 *
 * A quotation found word for word, with or without such marks, is one part,
 * exactly as anchorQuote anchors it, so a quote whose source has literal
 * brackets or dots anchors as it always did.
 */
export function anchorQuotation(sourceText: string, quote: string): { anchor: QuotationAnchor } | { miss: QuotationMiss } {
  // Normalising the source dominates on long texts: once, for every search below.
  const { normalised, map } = normaliseForMatching(sourceText);
  const spanOf = (at: number, needle: string): QuotePart => {
    const { start, end } = originalSpan(map, at, needle.length);
    return { exact: sourceText.slice(start, end), start, end };
  };
  const anchorOf = (parts: QuotePart[]): { anchor: QuotationAnchor } => ({
    anchor: { selector: selectorOf(sourceText, (parts[0] as QuotePart).start, (parts[parts.length - 1] as QuotePart).end, DEFAULT_CONTEXT_LENGTH), parts },
  });

  const whole = trimmedNeedle(quote);
  const literal = whole === '' ? -1 : normalised.indexOf(whole);
  if (literal !== -1) return anchorOf([spanOf(literal, whole)]);

  const pieces = splitQuotation(quote);
  const marked = !(pieces.length === 1 && pieces[0]?.text === quote.trim());
  const needles = pieces.map((p) => trimmedNeedle(p.text));
  const miss = (reason: QuotationMiss['reason'], i: number, maxGap?: number): { miss: QuotationMiss } => ({
    miss: {
      reason,
      part: i + 1,
      parts: Math.max(1, pieces.length),
      text: pieces[i]?.text ?? quote.trim(),
      marked,
      ...(maxGap === undefined ? {} : { maxGap }),
    },
  });
  const empty = needles.findIndex((n) => n === '');
  if (pieces.length === 0 || empty !== -1) return miss('no_words', Math.max(0, empty));
  // Without marks the literal search above was the whole search.
  if (!marked) return miss('not_in_source', 0);

  // For each part, every place its words occur (overlapping ones too), and for
  // each such place the latest start of a first part from which a chain of
  // in-order, close-enough parts reaches it. Both lists grow in text order,
  // so the window of predecessors that fit slides forward, and a monotonic
  // deque gives its best entry: linear in the number of occurrences.
  const occurrences: number[][] = [];
  const chainStart: number[][] = [];
  const previous: number[][] = [];
  for (const [i, needle] of needles.entries()) {
    const found: number[] = [];
    for (let at = normalised.indexOf(needle); at !== -1; at = normalised.indexOf(needle, at + 1)) found.push(at);
    if (found.length === 0) return miss('not_in_source', i);
    const starts: number[] = [];
    const links: number[] = [];
    if (i === 0) {
      for (const at of found) {
        starts.push(at);
        links.push(-1);
      }
    } else {
      const before = occurrences[i - 1] as number[];
      const beforeStarts = chainStart[i - 1] as number[];
      const beforeLength = (needles[i - 1] as string).length;
      const maxGap = (pieces[i] as QuotationPiece).maxGap;
      const window: number[] = [];
      let head = 0;
      let next = 0;
      for (const at of found) {
        // Admit predecessors that end before this occurrence starts...
        while (next < before.length && (before[next] as number) + beforeLength <= at) {
          if ((beforeStarts[next] as number) >= 0) {
            while (window.length > head && (beforeStarts[window[window.length - 1] as number] as number) <= (beforeStarts[next] as number)) window.pop();
            window.push(next);
          }
          next++;
        }
        // ...and drop those that end too far before it.
        while (window.length > head && at - ((before[window[head] as number] as number) + beforeLength) > maxGap) head++;
        const best = window.length > head ? (window[head] as number) : -1;
        starts.push(best === -1 ? -1 : (beforeStarts[best] as number));
        links.push(best);
      }
      if (starts.every((s) => s < 0)) return miss('too_far', i, maxGap);
    }
    occurrences.push(found);
    chainStart.push(starts);
    previous.push(links);
  }

  const last = needles.length - 1;
  const lastLength = (needles[last] as string).length;
  let chosen = -1;
  for (const [j, at] of (occurrences[last] as number[]).entries()) {
    const start = (chainStart[last] as number[])[j] as number;
    if (start < 0) continue;
    const span = at + lastLength - start;
    if (chosen === -1) chosen = j;
    else {
      const bestStart = (chainStart[last] as number[])[chosen] as number;
      const bestSpan = ((occurrences[last] as number[])[chosen] as number) + lastLength - bestStart;
      if (span < bestSpan || (span === bestSpan && start < bestStart)) chosen = j;
    }
  }

  const parts: QuotePart[] = new Array(needles.length);
  for (let i = last, j = chosen; i >= 0; j = (previous[i] as number[])[j] as number, i--) {
    parts[i] = spanOf((occurrences[i] as number[])[j] as number, needles[i] as string);
  }
  return anchorOf(parts);
}

/** A quote's normalised words, without the single space a leading or trailing whitespace run leaves. */
function trimmedNeedle(quote: string): string {
  let needle = normaliseForMatching(quote).normalised;
  if (needle.startsWith(' ')) needle = needle.slice(1);
  if (needle.endsWith(' ')) needle = needle.slice(0, -1);
  return needle;
}
