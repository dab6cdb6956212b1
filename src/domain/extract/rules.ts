import type { AnalysedText, Unit } from './document.js';
import type { Span, Token } from './nlp.js';
import type { Quotation } from './quotes.js';
import { MentionIndex, type ResolvedSpeaker, type SpeakerPhrase } from './mentions.js';
import {
  CHARACTERISE_VERBS,
  CLAIM_NOUNS,
  CLAUSE_ONLY_VERBS,
  DENY_VERBS,
  PRE_VERB_FILLERS,
  QUESTION_VERBS,
  QUOTE_VERBS,
  REPORT_VERBS,
  ROLE_WORDS,
  SPEECH_VERBS,
  TELL_VERBS,
} from './lexicon.js';

/**
 * The attribution rules. Each finds one journalistic pattern and yields a raw
 * candidate: who (a resolved speaker), which words (a span of the text), how
 * (kind, stance, cue) and how sure the rule is. They run unit by unit in text
 * order, so "she", "the ministry" or "one of them" resolve against what came
 * before.
 */

export type CandidateKind = 'direct_quote' | 'reported' | 'paraphrase';
export type Stance = 'asserts' | 'denies' | 'questions' | 'reports';

export interface RawCandidate {
  kind: CandidateKind;
  stance: Stance;
  cue: string;
  speaker: ResolvedSpeaker;
  /** The quoted or reported words: `text.slice(start, end)`. */
  quote: Span;
  /** For a quotation split around its attribution, each part. */
  parts?: Span[];
  /** The claim as a sentence of its own. */
  claimText: string;
  confidence: number;
  rule: string;
  /** Where the attribution (speaker and cue) is written, for reading it in context. */
  unit: number;
  /** The paragraph the quote starts in. */
  paragraph: number;
}

const QUOTE_CLOSERS = /[\s,;:—–-]+$/;
const SUBJECT_PRONOUNS = new Set(['he', 'she', 'it', 'they', 'we', 'i', 'you', 'this', 'that', 'there', 'its', 'their', 'his', 'her', 'our']);
const PARTICIPLE_CUES = new Set(['adding', 'saying', 'noting', 'warning', 'arguing', 'insisting', 'claiming', 'explaining', 'stressing', 'acknowledging', 'admitting', 'suggesting']);
const TIME_OR_PLACE = new Set(['on', 'in', 'at', 'during', 'after', 'before', 'late', 'last', 'earlier', 'this', 'yesterday', 'today', 'tonight', 'on', 'via', 'from', 'over', 'while', 'when', 'through', 'to', 'with']);
const UNAMBIGUOUS_CUES = new Set(['said', 'says', 'told', 'tells', 'according', 'added', 'noted', 'warned', 'insisted', 'asked']);

export function capitaliseSentence(words: string): string {
  let s = words.trim().replace(QUOTE_CLOSERS, '');
  if (!s) return s;
  s = s.charAt(0).toUpperCase() + s.slice(1);
  if (!/[.!?…]["”’']?$/.test(s)) s += '.';
  return s;
}

export class AttributionRules {
  private readonly tokens: Token[];
  private readonly consumed: Uint8Array;
  readonly candidates: RawCandidate[] = [];
  private readonly embedded: boolean[];
  /** The last direct-quote candidate, for quotations that continue without an attribution. */
  private lastQuote: RawCandidate | null = null;

  constructor(
    private readonly doc: AnalysedText,
    private readonly mentions: MentionIndex,
  ) {
    this.tokens = doc.tokens;
    this.consumed = new Uint8Array(doc.tokens.length);
    this.quoteRange = doc.quotations.map(() => [-1, -1]);
    for (const token of doc.tokens) {
      if (token.quote === -1) continue;
      const range = this.quoteRange[token.quote] as [number, number];
      if (range[0] === -1) range[0] = token.index;
      range[1] = token.index;
    }
    for (const q of doc.quotations) {
      const [first] = this.marksOf(q);
      if (first === -1) continue;
      const unit = this.t(first).unit;
      const list = this.quotesOfUnit.get(unit) ?? [];
      list.push(q);
      this.quotesOfUnit.set(unit, list);
    }
    this.embedded = doc.quotations.map((q) => this.isEmbedded(q));
  }

  run(): RawCandidate[] {
    const turns = this.transcriptTurns();
    for (const unit of this.doc.units) {
      const turn = turns.get(unit.paragraph);
      if (turn) {
        this.transcriptUnit(unit, turn);
        continue;
      }
      // Headlines and bylines name people without attributing anything to them.
      if (this.doc.headings.has(unit.paragraph)) continue;
      this.noteUnitSubject(unit);
      const before = this.candidates.length;
      this.directQuotes(unit);
      const quoted = this.candidates.length > before ? (this.candidates.at(-1) as RawCandidate).speaker : null;
      this.reportedSpeech(unit, quoted);
    }
    return this.candidates;
  }

  // ------------------------------------------------------------ transcripts

  /**
   * Transcripts write each turn as "SPEAKER: words". A paragraph counts as a
   * turn when it opens with a name (or a name in capitals) and a colon, and
   * the text has at least two such paragraphs — so an article's "Update:" or
   * "Correction:" line is not taken for a speaker.
   */
  private transcriptTurns(): Map<number, { speaker: ResolvedSpeaker; colon: number }> {
    const turns = new Map<number, { speaker: ResolvedSpeaker; colon: number }>();
    const NOT_SPEAKERS = /^(update|correction|note|editor'?s note|photo|video|watch|read more|related|source|sources|updated|live|breaking|warning|q|a)$/i;
    let t = 0;
    for (const p of this.doc.paragraphs) {
      while (t < this.tokens.length && this.t(t).start < p.start) t++;
      let colon = -1;
      for (let k = t; k < this.tokens.length && k - t <= 5 && this.t(k).start < p.end; k++) {
        if (this.t(k).text === ':') {
          colon = k;
          break;
        }
        const token = this.t(k);
        if (!(token.isCapitalised || /^[.'’-]$/.test(token.text)) || token.quote !== -1) break;
      }
      if (colon <= t || this.doc.headings.has(p.index)) continue;
      let rest = 0;
      for (let k = colon + 1; k < this.tokens.length && this.t(k).start < p.end && rest < 3; k++) if (this.t(k).isWord) rest++;
      const label = this.doc.text.slice(this.t(t).start, this.t(colon - 1).end);
      if (rest < 3 || NOT_SPEAKERS.test(label) || /[“”"]/.test(this.doc.text.slice(p.start, p.end))) continue;
      const shouting = label === label.toUpperCase() && /\p{Lu}{2}/u.test(label);
      const name = shouting ? label.toLowerCase().replace(/(^|[\s'’.-])\p{Ll}/gu, (m) => m.toUpperCase()) : label;
      const phrase = shouting
        ? { start: this.t(t).start, end: this.t(colon - 1).end, text: label, form: 'name' as const, name, type: 'unknown' as const, head: name.toLowerCase(), plural: false }
        : this.phraseOf(t, colon - 1);
      if (!phrase || phrase.form !== 'name') continue;
      let speaker = this.resolve(phrase, t);
      // "LINDQVIST:" is a person shouted, not an acronym.
      if (speaker && shouting && speaker.speaker === label) speaker = { ...speaker, speaker: name, type: 'person', entity: undefined };
      if (speaker) turns.set(p.index, { speaker, colon });
    }
    return turns.size >= 2 ? turns : new Map();
  }

  /** Each sentence of a turn is a direct quote of its speaker. */
  private transcriptUnit(unit: Unit, turn: { speaker: ResolvedSpeaker; colon: number }): void {
    const first = Math.max(unit.first, turn.colon + 1);
    const span = this.trimClause(first, unit.last);
    if (!span) return;
    const words = this.doc.text.slice(span.start, span.end);
    if (words.split(/\s+/).length < 4) return;
    const end = /[.!?]$/.test(this.t(unit.last).text) ? this.t(unit.last).end : span.end;
    const quote = { start: span.start, end };
    this.add(
      {
        kind: 'direct_quote',
        stance: /\?$/.test(this.doc.text.slice(quote.start, quote.end)) ? 'questions' : 'asserts',
        cue: ':',
        speaker: turn.speaker,
        quote,
        claimText: capitaliseSentence(this.doc.text.slice(quote.start, quote.end)),
        confidence: 0.8,
        rule: 'transcript-turn',
        unit: unit.index,
        paragraph: unit.paragraph,
      },
      turn.colon,
    );
  }

  // ---------------------------------------------------------------- helpers

  private t(i: number): Token {
    return this.tokens[i] as Token;
  }

  private textOf(a: number, b: number): string {
    return this.doc.text.slice(this.t(a).start, this.t(b).end);
  }

  private isCue(i: number, set = SPEECH_VERBS): boolean {
    const token = this.tokens[i];
    if (!token || token.quote !== -1 || !set.has(token.lower)) return false;
    if (UNAMBIGUOUS_CUES.has(token.lower) || token.pos === 'VERB' || token.pos === 'AUX') return true;
    // "The association estimates that …": wink may tag the verb a noun; "that" after it settles it.
    return this.tokens[i + 1]?.lower === 'that' && this.tokens[i - 1]?.isWord === true && !['the', 'a', 'an', 'its', 'their'].includes(this.tokens[i - 1]?.lower ?? '');
  }

  /** First and last token of each quotation (its marks when present), from one pass over the tokens. */
  private readonly quoteRange: [number, number][];
  /** The quotations that open in each unit. */
  private readonly quotesOfUnit = new Map<number, Quotation[]>();

  private marksOf(q: Quotation): [number, number] {
    return this.quoteRange[q.index] ?? [-1, -1];
  }

  /**
   * A quotation that is part of the writer's own sentence ("called the plan
   * “wishful thinking”", "the improvement was “broad-based”") rather than a
   * stand-alone quote.
   */
  private isEmbedded(q: Quotation): boolean {
    const [first, last] = this.marksOf(q);
    if (first === -1) return true;
    const before = this.tokens[first - 1];
    const after = this.tokens[last + 1];
    const startsUpper = /^\p{Lu}/u.test(this.doc.text.slice(q.start, q.start + 1));
    if (before && before.paragraph === this.t(first).paragraph && before.quote === -1 && before.isWord) {
      if (!(this.isCue(first - 1, QUOTE_VERBS) && startsUpper)) return true;
    }
    if (after && after.paragraph === this.t(last).paragraph && after.isWord && !after.isCapitalised && after.quote === -1 && (after.pos === 'AUX' || after.pos === 'VERB') && !this.isCue(last + 1) && after.lower !== 'according') {
      return true;
    }
    return false;
  }

  private quoteSpan(q: Quotation): Span {
    let end = q.end;
    const inner = this.doc.text.slice(q.start, end);
    const trimmed = inner.replace(/[\s,;:—–-]+$/, '');
    end = q.start + trimmed.length;
    return { start: q.start, end };
  }

  private isBoundary(token: Token): boolean {
    return token.quote !== -1 || /^[.;:?!()[\]]$/.test(token.text) || token.text === '—' || token.text === '–';
  }

  /** Tokens that can belong to a noun phrase read backwards from a reporting verb. */
  private isNounPhraseToken(i: number): boolean {
    const token = this.t(i);
    if (token.quote !== -1) return false;
    if (['what', 'which', 'whose', 'who', 'whom', 'whatever'].includes(token.lower) && !/^[A-Z]{2,}$/.test(token.text)) return false;
    if (['DET', 'ADJ', 'NOUN', 'PROPN', 'NUM', 'PART'].includes(token.pos)) return true;
    if (["'s", '’s', "'", '’', '-', '&'].includes(token.lower)) return true;
    if (token.pos === 'PRON' && ['its', 'their', 'his', 'her', 'our', 'them', 'those'].includes(token.lower)) return true;
    if (token.pos === 'ADP' && ['of', 'for', 'at', 'with', 'from', 'in'].includes(token.lower)) return true;
    if (token.lower === 'and' && this.t(i - 1)?.isCapitalised && this.tokens[i + 1]?.isCapitalised) return true;
    // wink sometimes tags role words or names as verbs ("chair", "Doe")
    if (token.isCapitalised && token.pos === 'VERB') return true;
    if (ROLE_WORDS.has(token.lower)) return true;
    return false;
  }

  /** Reads a subject noun phrase ending at `end`, not before `limit`. */
  private nounPhraseBack(end: number, limit: number): [number, number] | null {
    const last = this.t(end);
    if (last.pos === 'PRON' && ['he', 'she', 'it', 'they', 'we', 'i'].includes(last.lower)) {
      // "one of them"
      if (last.lower === 'them') return null;
      return [end, end];
    }
    let k = end;
    while (k >= limit && this.isNounPhraseToken(k)) {
      const token = this.t(k);
      // A determiner right after a noun starts a new phrase: "after the meeting the minister".
      if (token.pos === 'DET' && k - 1 >= limit && ['NOUN', 'PROPN'].includes(this.t(k - 1).pos) && !['of', 'for'].includes(this.t(k - 1).lower)) {
        break;
      }
      k--;
    }
    let start = k + 1;
    // A phrase cannot start with a preposition or a possessive marker.
    while (start <= end && (this.t(start).pos === 'ADP' || ["'s", '’s', "'", '’'].includes(this.t(start).lower))) start++;
    return start <= end ? [start, end] : null;
  }

  private phraseOf(a: number, b: number): SpeakerPhrase | null {
    return this.mentions.phrase(a, b);
  }

  /** Comma-separated pieces before a reporting verb: "A spokeswoman for the ministry, Lena Falk, said". */
  private speakerBefore(cue: number, limit: number): { phrase: SpeakerPhrase; first: number } | null {
    let end = cue - 1;
    while (end >= limit && PRE_VERB_FILLERS.has(this.t(end).lower)) end--;
    if (end < limit) return null;
    if (this.t(end).text !== ',') {
      const np = this.nounPhraseBack(end, limit);
      if (!np) return null;
      const phrase = this.phraseOf(np[0], np[1]);
      return phrase ? { phrase, first: np[0] } : null;
    }
    // Appositives: collect up to four comma-separated pieces.
    const pieces: [number, number][] = [];
    let k = end - 1;
    while (k >= limit && pieces.length < 4) {
      const pieceEnd = k;
      while (k >= limit && this.t(k).text !== ',' && !this.isBoundary(this.t(k))) k--;
      const pieceStart = k + 1;
      if (pieceStart > pieceEnd) break;
      const head = this.t(pieceStart);
      // An introductory phrase ("In a statement", "Speaking at …") ends the search.
      if (pieces.length > 0 && (head.pos === 'ADP' || head.pos === 'SCONJ' || (head.pos === 'VERB' && /ing$/.test(head.lower)))) break;
      pieces.push([pieceStart, pieceEnd]);
      if (k < limit || this.t(k).text !== ',') break;
      k--;
    }
    if (pieces.length === 0) return null;
    const readable = pieces
      .map(([a, b]) => {
        const head = this.t(a);
        const relative = ['who', 'which', 'whose', 'where', 'when', 'whom'].includes(head.lower);
        const participle = head.pos === 'VERB' || head.lower === 'speaking';
        const numeric = b - a <= 1 && /^\d/.test(head.text);
        if (relative || participle || numeric) return { range: [a, b] as [number, number], phrase: null, aside: true };
        return { range: [a, b] as [number, number], phrase: this.phraseOf(a, b), aside: false };
      })
      .reverse(); // farthest first
    let named = readable.find((p) => p.phrase?.form === 'name');
    // "The survey …, conducted by Lakeview University, found": the organisation behind the document speaks.
    const doc = readable.find((p) => p.phrase?.document);
    if (doc && !named) {
      for (const p of readable) {
        if (!p.aside) continue;
        const by = this.doc.tokens.slice(p.range[0], p.range[1] + 1).findIndex((tok) => tok.lower === 'by');
        const byPhrase = by === -1 ? null : this.phraseOf(p.range[0] + by + 1, p.range[1]);
        if (byPhrase?.form === 'name') named = { range: p.range, phrase: byPhrase, aside: false };
      }
    }
    const chosen = named ?? readable.find((p) => p.phrase && !p.aside);
    if (!chosen?.phrase) return null;
    const roles = readable.filter((p) => p !== chosen && p.phrase && p.phrase.form !== 'name').map((p) => p.phrase?.text);
    const phrase = { ...chosen.phrase };
    if (roles.length && !phrase.role) phrase.role = roles.join(', ').replace(/^(the|a|an)\s+/i, '');
    if (phrase.form === 'name' && phrase.type === 'unknown' && roles.length) phrase.type = /\b(union|company|charity|group|firm|organisation|organization|association|agency|ministry)\b/i.test(roles.join(' ')) ? 'organization' : 'person';
    return { phrase, first: readable[0]?.range[0] ?? chosen.range[0] };
  }

  /** The speaker after a reporting verb: "said Marta Ruiz, the city's head of emergency planning". */
  private speakerAfter(from: number, limit: number): { phrase: SpeakerPhrase; last: number } | null {
    const pieceFrom = (a: number): [number, number] | null => {
      let k = a;
      let sawName = false;
      while (k <= limit) {
        const token = this.t(k);
        if (token.text === ',' || this.isBoundary(token)) break;
        if (sawName && token.pos === 'ADP' && !['of', 'for'].includes(token.lower)) break;
        if (token.pos === 'VERB' && !token.isCapitalised && k > a) break;
        if (token.pos === 'PROPN') sawName = true;
        k++;
      }
      return k > a ? [a, k - 1] : null;
    };
    const first = pieceFrom(from);
    if (!first) return null;
    let phrase = this.phraseOf(first[0], first[1]);
    let last = first[1];
    const comma = this.tokens[first[1] + 1];
    if (comma?.text === ',' && first[1] + 2 <= limit) {
      const second = pieceFrom(first[1] + 2);
      if (second) {
        const other = this.phraseOf(second[0], second[1]);
        if (phrase && phrase.form !== 'name' && other?.form === 'name') {
          phrase = { ...other, role: phrase.text.replace(/^(the|a|an)\s+/i, ''), type: other.type === 'unknown' ? 'person' : other.type };
          last = second[1];
        } else if (phrase?.form === 'name' && other && other.form === 'nominal' && !phrase.role) {
          phrase = { ...phrase, role: other.text.replace(/^(the|a|an)\s+/i, ''), type: phrase.type === 'unknown' ? (other.type === 'organization' ? 'person' : other.type === 'person' || other.type === 'anonymous' ? 'person' : phrase.type) : phrase.type };
        }
      }
    }
    return phrase ? { phrase, last } : null;
  }

  private resolve(phrase: SpeakerPhrase, at: number): ResolvedSpeaker | null {
    return this.mentions.resolve(phrase, at);
  }

  /** The paragraph holding an offset (binary search: paragraphs are in text order). */
  private paragraphAt(offset: number): number {
    const list = this.doc.paragraphs;
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((list[mid] as { start: number }).start <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private add(candidate: RawCandidate, cueAt: number): void {
    this.candidates.push(candidate);
    this.mentions.noteSpeaker(cueAt, candidate.speaker);
  }

  private consume(a: number, b: number): void {
    for (let k = a; k <= b; k++) this.consumed[k] = 1;
  }

  // ---------------------------------------------------------- direct quotes

  private directQuotes(unit: Unit): void {
    const quotes = (this.quotesOfUnit.get(unit.index) ?? []).filter((q) => !this.embedded[q.index]);
    for (let n = 0; n < quotes.length; n++) {
      const q = quotes[n] as Quotation;
      const [open, close] = this.marksOf(q);
      const next = quotes[n + 1];
      const regionEnd = next ? this.marksOf(next)[0] - 1 : unit.last;
      const previous = quotes[n - 1];
      const regionStart = previous ? this.marksOf(previous)[1] + 1 : unit.first;

      let found = this.attributionAfter(q, close, regionEnd);
      let rule = 'quote-then-speaker';
      if (!found) {
        found = this.attributionBefore(open, regionStart);
        rule = 'speaker-then-quote';
      }
      // "In a statement, the union said:" closing one paragraph, the quotation opening the next.
      const previousToken = this.tokens[open - 1];
      if (!found && !previous && previousToken?.text === ':' && previousToken.paragraph === q.paragraph - 1) {
        found = this.attributionBefore(open, (this.doc.units[previousToken.unit] as Unit).first);
        rule = 'speaker-colon-paragraph-quote';
      }
      let span = this.quoteSpan(q);
      let claimText = capitaliseSentence(this.doc.text.slice(span.start, span.end));
      let parts: Span[] | undefined;
      let confidence = found ? 0.92 : 0;
      let cue = found?.cue ?? '';
      let speaker = found?.speaker ?? null;

      // “The previous projects were planned by a different administration,” she said, “and they did not …”
      if (found && next && found.last !== undefined && this.doc.text.slice(q.start, q.end).trimEnd().endsWith(',')) {
        const [nextOpen] = this.marksOf(next);
        const between = this.tokens.slice(found.last + 1, nextOpen);
        const nextStartsLower = /^\p{Ll}/u.test(this.doc.text.slice(next.start, next.start + 1));
        if (nextStartsLower && between.every((tok) => tok.text === ',' || tok.text === '—')) {
          const second = this.quoteSpan(next);
          parts = [span, second];
          // The first part keeps its comma: "…administration, and they …".
          claimText = capitaliseSentence(`${this.doc.text.slice(q.start, q.end)} ${this.doc.text.slice(second.start, second.end)}`);
          span = { start: span.start, end: second.end };
          rule = 'split-quote';
          this.consume(nextOpen, this.marksOf(next)[1]);
          n++;
        }
      }

      if (!speaker) {
        const inherited = this.continuation(q);
        if (inherited) {
          speaker = inherited.speaker;
          confidence = inherited.confidence;
          cue = inherited.cue;
          rule = inherited.rule;
        }
      }
      if (!speaker) continue;
      if (found) this.consume(found.first, found.last);
      this.consume(open, close);
      const stance = /\?\s*$/.test(this.doc.text.slice(span.start, span.end)) ? 'questions' : found && DENY_VERBS.has(found.cueLower) ? 'denies' : 'asserts';
      const candidate: RawCandidate = {
        kind: 'direct_quote',
        stance,
        cue,
        speaker,
        quote: span,
        parts,
        claimText,
        confidence: speaker.resolved ? confidence - 0.07 : confidence,
        rule,
        unit: unit.index,
        paragraph: this.paragraphAt(span.start),
      };
      this.add(candidate, found?.cueIndex ?? open);
      this.lastQuote = candidate;
    }
  }

  private attributionAfter(q: Quotation, close: number, regionEnd: number) {
    let j = close + 1;
    while (j <= regionEnd && [',', '—', '–', '-'].includes(this.t(j).text)) j++;
    if (j > regionEnd) return null;
    // “…,” according to a statement from the governor's office.
    if (this.t(j).lower === 'according' && this.tokens[j + 1]?.lower === 'to') {
      let last = j + 2;
      while (last + 1 <= regionEnd && !/^[.,;]$/.test(this.t(last + 1).text) && !this.isBoundary(this.t(last + 1))) last++;
      const phrase = this.phraseOf(j + 2, last) ?? this.documentPhrase(j + 2, last);
      const speaker = phrase && this.resolve(phrase, j);
      if (!speaker) return null;
      return { speaker, cue: 'according to', cueLower: 'according', cueIndex: j, first: j, last };
    }
    // “…,” said Marta Ruiz, …
    if (this.isCue(j, QUOTE_VERBS)) {
      const after = this.speakerAfter(j + 1, regionEnd);
      if (!after) return null;
      const speaker = this.resolve(after.phrase, j);
      if (!speaker) return null;
      return { speaker, cue: this.t(j).text, cueLower: this.t(j).lower, cueIndex: j, first: j, last: after.last };
    }
    // “…,” Mayor Ana Lindqvist said after the vote.
    for (let k = j; k <= regionEnd && k - j <= 30; k++) {
      const token = this.t(k);
      if (/^[.?!;]$/.test(token.text) || token.quote !== -1) return null;
      if (this.isCue(k, QUOTE_VERBS)) {
        const before = this.speakerBefore(k, j);
        if (!before || before.first !== j) return null;
        const speaker = this.resolve(before.phrase, k);
        if (!speaker) return null;
        // Whatever follows (time, place, "in a statement") belongs to the attribution too.
        return { speaker, cue: token.text, cueLower: token.lower, cueIndex: k, first: j, last: k };
      }
    }
    return null;
  }

  private attributionBefore(open: number, regionStart: number) {
    let k = open - 1;
    if (k < regionStart) return null;
    const colon = this.t(k).text === ':';
    if (colon || this.t(k).text === ',') k--;
    // Look back a few tokens for the verb: "said on Monday:", "told reporters:", "said in a statement:".
    for (let c = k; c >= regionStart && k - c <= 10; c--) {
      if (this.isCue(c, QUOTE_VERBS)) {
        const before = this.speakerBefore(c, regionStart);
        if (!before) return null;
        const speaker = this.resolve(before.phrase, c);
        if (!speaker) return null;
        return { speaker, cue: this.t(c).text, cueLower: this.t(c).lower, cueIndex: c, first: before.first, last: open - 1 };
      }
      if (this.isBoundary(this.t(c))) break;
    }
    // "Lindqvist was blunt: “…”" — the subject of the clause before the colon.
    if (colon) {
      const np = this.nounPhraseForward(regionStart, k);
      if (np) {
        const phrase = this.phraseOf(np[0], np[1]);
        if (phrase && (phrase.form === 'name' || phrase.form === 'pronoun')) {
          const speaker = this.resolve(phrase, np[0]);
          if (speaker) return { speaker, cue: ':', cueLower: ':', cueIndex: open - 1, first: np[0], last: np[1] };
        }
      }
    }
    return null;
  }

  private nounPhraseForward(from: number, limit: number): [number, number] | null {
    let a = from;
    while (a <= limit && !this.t(a).isWord) a++;
    let b = a;
    while (b <= limit && this.isNounPhraseToken(b) && this.t(b).pos !== 'ADP') b++;
    if (b === a && this.t(a)?.pos === 'PRON') return [a, a];
    return b > a ? [a, b - 1] : null;
  }

  /** A quotation with no attribution of its own continues the last quoted speaker, or the person just named. */
  private continuation(q: Quotation): { speaker: ResolvedSpeaker; confidence: number; cue: string; rule: string } | null {
    const last = this.lastQuote;
    if (last) {
      const lastParagraph = last.paragraph;
      const [open] = this.marksOf(q);
      const opensParagraph = this.doc.paragraphs[q.paragraph]?.start === q.open;
      const sameParagraph = lastParagraph === q.paragraph;
      const nextParagraph = lastParagraph === q.paragraph - 1 && opensParagraph && this.lastQuoteEndsParagraph(last, lastParagraph);
      let nothingBetween = true;
      for (let k = this.candidates.length - 1; k >= 0 && this.candidates[k] !== last; k--) {
        const c = this.candidates[k] as RawCandidate;
        if (c.quote.start > last.quote.end && c.quote.start < q.start) nothingBetween = false;
      }
      if (nothingBetween && (q.continues || sameParagraph || nextParagraph) && open !== -1) {
        return { speaker: { ...last.speaker, resolved: true }, confidence: q.continues || sameParagraph ? 0.85 : 0.75, cue: last.cue, rule: 'continued-quote' };
      }
    }
    // “…” after a sentence naming someone, in the same paragraph.
    const [open] = this.marksOf(q);
    // Only a name close before the quote (bounded, so a paragraph of quotes stays linear).
    for (let k = open - 1; k >= 0 && open - k <= 80 && this.t(k).paragraph === q.paragraph; k--) {
      if (this.t(k).quote !== -1) continue;
      if (this.mentions.isNameToken(k)) {
        const runs = this.mentions.nameRuns(Math.max(0, k - 5), k);
        const run = runs.at(-1);
        if (!run) continue;
        const phrase = this.phraseOf(run[0], run[1]);
        if (phrase?.form !== 'name') continue;
        const speaker = this.resolve(phrase, run[0]);
        if (speaker && speaker.type === 'person') return { speaker: { ...speaker, resolved: true }, confidence: 0.55, cue: '', rule: 'quote-after-named-person' };
      }
    }
    return null;
  }

  private lastQuoteEndsParagraph(candidate: RawCandidate, paragraph: number): boolean {
    const p = this.doc.paragraphs[paragraph];
    if (!p) return false;
    // Only the attribution, closing mark and punctuation may follow the quotation.
    const rest = this.doc.text.slice(candidate.quote.end, p.end);
    return !/[“"]/.test(rest) && rest.length < 120;
  }

  // --------------------------------------------------------- reported speech

  private reportedSpeech(unit: Unit, quotedSpeaker: ResolvedSpeaker | null): void {
    // "“…,” he said, adding that …": the quote's speaker is the subject to share.
    let lastSubject: { speaker: ResolvedSpeaker } | null = quotedSpeaker ? { speaker: quotedSpeaker } : null;
    for (let k = unit.first; k <= unit.last; k++) {
      const token = this.t(k);
      if (this.consumed[k] || token.quote !== -1) continue;
      if (token.lower === 'according' && this.tokens[k + 1]?.lower === 'to') {
        const made = this.accordingTo(unit, k);
        if (made) lastSubject = { speaker: made.speaker };
        continue;
      }
      if (!this.isCue(k)) continue;
      const made = this.reportedAt(unit, k, lastSubject?.speaker ?? null);
      if (made) lastSubject = { speaker: made.speaker };
    }
  }

  /** Where a reported clause ends: the unit's end, a coordinated reporting verb, or an inserted attribution. */
  private clauseEnd(from: number, unit: Unit): number {
    let k = from;
    for (; k <= unit.last; k++) {
      const token = this.t(k);
      if (token.quote !== -1 && !this.embedded[token.quote]) return k - 1;
      if (token.text === ';') return k - 1;
      // "…, while opposition councillor Jonas Berg said …": another speaker's claim starts.
      if (['while', 'whereas', 'but', 'and'].includes(token.lower) && k > from) {
        for (let v = k + 2; v <= unit.last && v - k <= 10; v++) {
          if (this.isBoundary(this.t(v)) || this.t(v).text === ',') break;
          if (this.isCue(v)) {
            const np = this.nounPhraseBack(v - 1, k + 1);
            if (np && np[0] === k + 1 && this.phraseOf(np[0], np[1])) return this.t(k - 1).text === ',' ? k - 2 : k - 1;
            break;
          }
        }
      }
      if ((token.lower === 'and' || token.lower === 'but') && k > from) {
        let v = k + 1;
        while (v <= unit.last && PRE_VERB_FILLERS.has(this.t(v).lower)) v++;
        if (this.isCue(v) && !/that$/.test(this.t(k - 1).lower)) return this.t(k - 1).text === ',' ? k - 2 : k - 1;
        // "… and that reporting rates were stable" keeps going.
      }
      if (token.text === ',' && k > from) {
        const nextToken = this.tokens[k + 1];
        if (nextToken && PARTICIPLE_CUES.has(nextToken.lower)) return k - 1;
        // ", he noted," / ", the ministry said,"
        for (let v = k + 1; v <= unit.last && v - k <= 6; v++) {
          if (this.t(v).text === ',' || this.isBoundary(this.t(v))) break;
          if (this.isCue(v) && v > k + 1) {
            const np = this.nounPhraseBack(v - 1, k + 1);
            if (np && np[0] === k + 1) return k - 1;
          }
        }
        if (nextToken?.lower === 'according' && this.tokens[k + 2]?.lower === 'to') return k - 1;
      }
    }
    return unit.last;
  }

  private trimClause(a: number, b: number): Span | null {
    while (b >= a && (/^[.,;:!?—–-]$/.test(this.t(b).text) || (this.t(b).quoteMark && this.t(b).start === this.doc.quotations[this.t(b).quote]?.open))) b--;
    while (a <= b && /^[,;:—–-]$/.test(this.t(a).text)) a++;
    if (a > b) return null;
    const words = this.tokens.slice(a, b + 1).filter((tok) => tok.isWord).length;
    if (words < 3) return null;
    return { start: this.t(a).start, end: this.t(b).end };
  }

  /** Does a bare complement (no "that") look like a clause: a subject, then a finite verb? */
  private looksLikeClause(a: number, b: number): boolean {
    const first = this.tokens[a];
    if (!first) return false;
    const okStart = ['DET', 'NUM', 'PROPN', 'NOUN', 'ADJ', 'ADV'].includes(first.pos) || SUBJECT_PRONOUNS.has(first.lower) || first.quoteMark || /^\d/.test(first.text);
    if (!okStart) return false;
    for (let k = a + 1; k <= b && k - a <= 20; k++) {
      const token = this.t(k);
      if (token.pos === 'AUX') return true;
      if (token.pos === 'VERB' && !/ing$/.test(token.lower)) return true;
    }
    return false;
  }

  private reportedAt(unit: Unit, cue: number, lastSubject: ResolvedSpeaker | null): RawCandidate | null {
    const verb = this.t(cue);
    // Who: a coordinated verb ("… and said", ", adding that") shares the subject before it.
    let p = cue - 1;
    while (p >= unit.first && PRE_VERB_FILLERS.has(this.t(p).lower)) p--;
    let speaker: ResolvedSpeaker | null = null;
    let subjectFirst = cue;
    const coordinated = p >= unit.first && (['and', 'but'].includes(this.t(p).lower) || (PARTICIPLE_CUES.has(verb.lower) && this.t(p).text === ','));
    if (coordinated) {
      speaker = lastSubject ?? this.unitSubject(unit, cue);
    } else if (p >= unit.first && this.t(p).text === ',' && QUOTE_VERBS.has(verb.lower) && this.invertedSpeakerEnds(cue + 1, unit)) {
      // "…, said Ingrid Dahl, a statistician at …"
      const after = this.speakerAfter(cue + 1, unit.last);
      const resolved = after && this.resolve(after.phrase, cue);
      if (after && resolved) return this.speakerAfterClause(unit, cue, p, resolved, after.last);
      return null;
    } else if (p >= unit.first) {
      const before = this.speakerBefore(cue, unit.first);
      if (before) {
        speaker = this.resolve(before.phrase, cue);
        subjectFirst = before.first;
      }
    }
    if (!speaker) return null;

    // What: the complement after the verb.
    let j = cue + 1;
    let stance: Stance = DENY_VERBS.has(verb.lower) ? 'denies' : QUESTION_VERBS.has(verb.lower) ? 'questions' : REPORT_VERBS.has(verb.lower) ? 'reports' : 'asserts';
    let cueText = verb.text;
    if (TELL_VERBS.has(verb.lower)) {
      // told reporters / told the Harbour Evening Post / told Reuters
      const listenerEnd = this.listenerEnd(j, unit.last);
      if (listenerEnd !== null) j = listenerEnd + 1;
    }
    j = this.skipAdverbials(j, unit.last);
    if (CHARACTERISE_VERBS.has(verb.lower)) {
      const described = this.characterisation(unit, cue, j, speaker, subjectFirst);
      if (described) return described;
    }
    let clauseStart = -1;
    let hasThat = false;
    const at = this.tokens[j];
    if (!at || j > unit.last) {
      return this.afterClauseOrNothing(unit, cue, subjectFirst, speaker);
    }
    if (at.lower === 'that') {
      // "said that claim was …" / "said that was …": a determiner or pronoun, part of the clause.
      const following = this.tokens[j + 1];
      if (following && (following.pos === 'AUX' || following.pos === 'VERB')) clauseStart = j;
      else {
        clauseStart = j + 1;
        hasThat = true;
      }
    } else if ((at.lower === 'whether' || at.lower === 'if') && QUESTION_VERBS.has(verb.lower)) {
      clauseStart = j + 1;
      stance = 'questions';
      hasThat = true;
    } else if (DENY_VERBS.has(verb.lower)) {
      let n = j;
      if (this.t(n)?.pos === 'DET') n++;
      if (CLAIM_NOUNS.has(this.tokens[n]?.lower ?? '') && this.tokens[n + 1]?.lower === 'that') {
        clauseStart = n + 2;
        hasThat = true;
        cueText = `${verb.text} ${this.textOf(j, n)}`;
      }
    }
    if (clauseStart === -1) {
      // "…, the researchers estimated." — the claim came first.
      if (/^[.,;—–]$/.test(at.text) || TIME_OR_PLACE.has(at.lower)) return this.afterClauseOrNothing(unit, cue, subjectFirst, speaker);
      if (CLAUSE_ONLY_VERBS.has(verb.lower)) return null;
      if (!this.looksLikeClause(j, unit.last)) return null;
      clauseStart = j;
    }
    const end = this.clauseEnd(clauseStart, unit);
    const span = this.trimClause(clauseStart, end);
    if (!span) return null;
    this.consume(subjectFirst, cue);
    const candidate: RawCandidate = {
      kind: 'reported',
      stance,
      cue: hasThat && stance === 'questions' ? `${cueText} whether` : cueText,
      speaker,
      quote: span,
      claimText: capitaliseSentence(this.doc.text.slice(span.start, span.end)),
      confidence: (hasThat ? 0.85 : 0.75) - (speaker.resolved ? 0.05 : 0),
      rule: hasThat ? 'reported-that' : 'reported-bare',
      unit: unit.index,
      paragraph: this.paragraphAt(span.start),
    };
    this.add(candidate, cue);
    return candidate;
  }

  /** After "…, said": a speaker and then nothing but an appositive, a time or a place, then the end. */
  private invertedSpeakerEnds(from: number, unit: Unit): boolean {
    const after = this.speakerAfter(from, unit.last);
    if (!after) return false;
    const next = this.tokens[after.last + 1];
    if (!next || after.last + 1 > unit.last) return true;
    return /^[.,;—–]$/.test(next.text) || TIME_OR_PLACE.has(next.lower);
  }

  /** "…, the health ministry reported on Monday." — the claim is the clause before the attribution. */
  private afterClauseOrNothing(unit: Unit, cue: number, subjectFirst: number, speaker: ResolvedSpeaker): RawCandidate | null {
    const comma = subjectFirst - 1;
    if (comma < unit.first || this.t(comma).text !== ',') return null;
    return this.speakerAfterClause(unit, cue, comma, speaker, cue);
  }

  private speakerAfterClause(unit: Unit, cue: number, comma: number, speaker: ResolvedSpeaker, attributionEnd: number): RawCandidate | null {
    let a = unit.first;
    while (a < comma && (!this.t(a).isWord || ['but', 'and', 'however', 'yet', 'so'].includes(this.t(a).lower))) a++;
    // The clause must be the writer's sentence up to here, with no quotation of its own.
    for (let k = a; k < comma; k++) {
      const token = this.t(k);
      if (token.quote !== -1 && !this.embedded[token.quote]) return null;
      if (this.consumed[k]) return null;
    }
    const span = this.trimClause(a, comma - 1);
    if (!span) return null;
    if (!this.looksLikeClause(a, comma - 1)) return null;
    this.consume(comma, attributionEnd);
    const verb = this.t(cue);
    const candidate: RawCandidate = {
      kind: 'reported',
      stance: REPORT_VERBS.has(verb.lower) ? 'reports' : DENY_VERBS.has(verb.lower) ? 'denies' : 'asserts',
      cue: verb.text,
      speaker,
      quote: span,
      claimText: capitaliseSentence(this.doc.text.slice(span.start, span.end)),
      confidence: 0.8 - (speaker.resolved ? 0.05 : 0),
      rule: 'clause-then-speaker',
      unit: unit.index,
      paragraph: this.paragraphAt(span.start),
    };
    this.add(candidate, cue);
    return candidate;
  }

  /** "called the estimate “wishful thinking”", "described the findings as “deeply worrying”". */
  private characterisation(unit: Unit, cue: number, from: number, speaker: ResolvedSpeaker, subjectFirst: number): RawCandidate | null {
    const verb = this.t(cue);
    // "in what prosecutors described as …": the object was fronted as "what".
    const fronted = this.tokens[subjectFirst - 1]?.lower === 'what';
    let objectEnd = fronted ? from - 1 : -1;
    let complement: Span | null = null;
    let cueText = verb.text;
    let sawNoun = false;
    const complementFrom = (k: number): Span | null => {
      const after = this.tokens[k];
      if (after && after.quote !== -1 && after.quoteMark) return this.quoteSpan(this.doc.quotations[after.quote] as Quotation);
      const end = this.clauseEnd(k, unit);
      let stop = k;
      while (stop <= end && !/^[,;.]$/.test(this.t(stop).text)) stop++;
      return stop > k ? { start: this.t(k).start, end: this.t(stop - 1).end } : null;
    };
    for (let k = from; k <= unit.last && k - from <= 12; k++) {
      const token = this.t(k);
      // "accused the administration of “cultural vandalism”"
      if (token.lower === 'of' && /^accuse/.test(verb.lower) && k > from) {
        objectEnd = k - 1;
        cueText = `${verb.text} … of`;
        complement = complementFrom(k + 1);
        break;
      }
      if (token.lower === 'as' && verb.lower !== 'called' && (k > from || fronted)) {
        if (!fronted) objectEnd = k - 1;
        cueText = `${verb.text} … as`;
        complement = complementFrom(k + 1);
        break;
      }
      if (token.quote !== -1 && token.quoteMark && k > from) {
        const q = this.doc.quotations[token.quote] as Quotation;
        if (!this.embedded[q.index]) return null;
        objectEnd = k - 1;
        complement = this.quoteSpan(q);
        break;
      }
      // "called that claim misleading": an adjective after the object.
      if (token.pos === 'ADJ' && sawNoun && ['called', 'calls', 'call', 'branded', 'labelled', 'labeled'].includes(verb.lower)) {
        objectEnd = k - 1;
        complement = complementFrom(k);
        break;
      }
      if (token.pos === 'NOUN' || token.pos === 'PROPN' || token.pos === 'PRON') sawNoun = true;
      if (/^[.,;:]$/.test(token.text)) return null;
    }
    if (!complement || (objectEnd < from && !fronted)) return null;
    const subjectForms: Record<string, string> = { him: 'he', her: 'she', them: 'they', us: 'we', me: 'I' };
    const objectText = fronted ? 'it' : this.textOf(from, objectEnd);
    const object = subjectForms[objectText.toLowerCase()] ?? objectText.replace(/^(the|its|their|that|this)\b/i, (m) => m.toLowerCase());
    const plural = !fronted && ((/s$/.test(this.t(objectEnd).lower) && !/ss$/.test(this.t(objectEnd).lower)) || ['they', 'we'].includes(object));
    const words = this.doc.text.slice(complement.start, complement.end).replace(/^[“"‘']|[”"’']$/g, '');
    const link = /^accuse/.test(verb.lower) ? (plural ? 'are accused of' : 'is accused of') : plural ? 'are' : 'is';
    this.consume(cue, Math.max(cue, objectEnd));
    const candidate: RawCandidate = {
      kind: 'paraphrase',
      stance: 'asserts',
      cue: cueText,
      speaker,
      quote: complement,
      claimText: capitaliseSentence(`${object} ${link} ${words}`),
      confidence: 0.7 - (speaker.resolved ? 0.05 : 0),
      rule: 'characterisation',
      unit: unit.index,
      paragraph: this.paragraphAt(complement.start),
    };
    this.add(candidate, cue);
    return candidate;
  }

  private listenerEnd(j: number, last: number): number | null {
    const first = this.tokens[j];
    if (!first || j > last) return null;
    if (first.pos === 'PRON' && ['him', 'her', 'them', 'us', 'me', 'you'].includes(first.lower)) return j;
    let k = j;
    if (first.pos === 'DET') k++;
    let end = -1;
    while (
      k <= last &&
      (['NOUN', 'PROPN', 'ADJ'].includes(this.t(k).pos) || this.t(k).isCapitalised || (["'s", '’s'].includes(this.t(k).lower) && end !== -1)) &&
      this.t(k).lower !== 'that' &&
      this.t(k).quote === -1
    ) {
      end = k;
      k++;
    }
    return end === -1 ? null : end;
  }

  private skipAdverbials(j: number, last: number): number {
    // "said on Friday that", "said in a statement that", "noted, however, that"
    const start = j;
    const k = j;
    if (this.tokens[k]?.text === ',') {
      let close = k + 1;
      while (close <= last && close - k <= 6 && this.t(close).text !== ',') close++;
      if (close <= last && this.t(close).text === ',' && this.tokens[close + 1]?.lower === 'that') return close + 1;
    }
    if (this.tokens[k] && TIME_OR_PLACE.has(this.t(k).lower)) {
      // "wrote in a memo to staff, seen by Harbor Wire, that …"
      for (let n = k; n <= last && n - k <= 14; n++) {
        const next = this.tokens[n + 1];
        // "that kills …" is a relative clause inside the adverbial, not the reported one.
        if (this.t(n).lower === 'that') return next && (next.pos === 'VERB' || next.pos === 'AUX') ? start : n;
        if (this.isBoundary(this.t(n))) break;
        // ", raising hopes …": a participle clause ends the search.
        if (this.t(n).text === ',' && next?.pos === 'VERB' && /ing$/.test(next.lower)) break;
      }
    }
    return start;
  }

  /** A group or organisation that opens a sentence, for a "they" or "it" in the next. */
  private noteUnitSubject(unit: Unit): void {
    const np = this.nounPhraseForward(unit.first, Math.min(unit.last, unit.first + 12));
    if (!np) return;
    const next = this.tokens[np[1] + 1];
    if (!next || !(next.pos === 'VERB' || next.pos === 'AUX' || next.pos === 'ADV')) return;
    const phrase = this.phraseOf(np[0], np[1]);
    if (!phrase || phrase.form === 'pronoun') return;
    const subject = this.resolve(phrase, np[0]);
    if (subject) this.mentions.noteSubject(np[0], subject);
  }

  /** The subject at the start of a unit, for a coordinated verb without one of its own. */
  private unitSubject(unit: Unit, before: number): ResolvedSpeaker | null {
    const np = this.nounPhraseForward(unit.first, before - 1);
    if (!np) return null;
    const phrase = this.phraseOf(np[0], np[1]);
    return phrase ? this.resolve(phrase, np[0]) : null;
  }

  /** What "according to" names when it is no speaker we know: a document, as written ("a filing with the court"). */
  private documentPhrase(a: number, b: number): SpeakerPhrase | null {
    if (a > b || b - a > 14) return null;
    // "According to" names a source whatever the words; a verb means a clause was read instead.
    if (this.tokens.slice(a, b + 1).some((tok) => tok.pos === 'AUX' || tok.quote !== -1)) return null;
    const first = this.t(a);
    return { start: first.start, end: this.t(b).end, text: this.textOf(a, b), form: 'nominal', head: first.lower, plural: false, type: 'organization', document: true };
  }

  /** "According to the regional fire service, about 1,800 homes were flooded" (or the same, inverted). */
  private accordingTo(unit: Unit, k: number): RawCandidate | null {
    let a = unit.first;
    while (a < k && !this.t(a).isWord) a++;
    const atStart = a === k;
    let sourceFirst = k + 2;
    let sourceLast: number;
    let claim: Span | null;
    if (atStart) {
      sourceLast = sourceFirst;
      while (sourceLast + 1 <= unit.last && this.t(sourceLast + 1).text !== ',' && !this.isBoundary(this.t(sourceLast + 1))) sourceLast++;
      const end = this.clauseEnd(sourceLast + 2, unit);
      claim = this.trimClause(sourceLast + 2, end);
    } else {
      if (this.t(k - 1).text !== ',') return null;
      sourceLast = sourceFirst;
      while (sourceLast + 1 <= unit.last && !/^[.,;]$/.test(this.t(sourceLast + 1).text) && !this.isBoundary(this.t(sourceLast + 1))) sourceLast++;
      while (a < k && ['but', 'and', 'however'].includes(this.t(a).lower)) a++;
      for (let n = a; n < k - 1; n++) if (this.consumed[n] || (this.t(n).quote !== -1 && !this.embedded[this.t(n).quote])) return null;
      claim = this.trimClause(a, k - 2);
    }
    if (!claim || sourceFirst > sourceLast) return null;
    // "a study published on Tuesday by the Nordic Institute for Education Research": the institute speaks.
    let by = -1;
    for (let n = sourceFirst; n <= sourceLast; n++) if (this.t(n).lower === 'by') by = n;
    if (by !== -1) {
      let byEnd = by + 1;
      while (byEnd + 1 <= sourceLast && !(this.t(byEnd + 1).pos === 'ADP' && !['of', 'for'].includes(this.t(byEnd + 1).lower))) byEnd++;
      const phrase = this.phraseOf(by + 1, byEnd);
      if (phrase) {
        sourceFirst = by + 1;
        sourceLast = byEnd;
      }
    }
    // "a filing with the state attorney general": a document, named as written.
    const phrase = this.phraseOf(sourceFirst, sourceLast) ?? this.documentPhrase(sourceFirst, sourceLast);
    if (!phrase) return null;
    const speaker = this.resolve(phrase, k);
    if (!speaker) return null;
    this.consume(atStart ? k : k - 1, sourceLast);
    const candidate: RawCandidate = {
      kind: 'reported',
      stance: 'reports',
      cue: 'according to',
      speaker,
      quote: claim,
      claimText: capitaliseSentence(this.doc.text.slice(claim.start, claim.end)),
      confidence: 0.85,
      rule: 'according-to',
      unit: unit.index,
      paragraph: this.paragraphAt(claim.start),
    };
    this.add(candidate, k);
    return candidate;
  }
}
