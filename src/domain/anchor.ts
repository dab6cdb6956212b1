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
  let needle = normaliseForMatching(quote).normalised;
  if (needle.startsWith(' ')) needle = needle.slice(1);
  if (needle.endsWith(' ')) needle = needle.slice(0, -1);
  if (needle.length === 0) return null;

  const { normalised, map } = normaliseForMatching(sourceText);
  const at = normalised.indexOf(needle);
  if (at === -1) return null;

  const start = map[at] as number;
  // The end is where the code point after the last matched unit begins. Scan
  // past units that share an origin so that a match ending inside a multi-unit
  // fold (e.g. the first half of a surrogate pair) still covers the whole
  // source character and never yields a half emoji.
  const lastOrigin = map[at + needle.length - 1] as number;
  let k = at + needle.length;
  while ((map[k] as number) === lastOrigin) k++;
  const end = map[k] as number;

  const contextUnits = Math.floor(Math.min(contextLength, sourceText.length));
  return {
    exact: sourceText.slice(start, end),
    prefix: contextBefore(sourceText, start, contextUnits),
    suffix: contextAfter(sourceText, end, contextUnits),
    start,
    end,
  };
}
